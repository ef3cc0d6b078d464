"""Error taxonomy: why a predicted call matched no gold call, or why a gold call was not made.

Kinds (strings stored in the per-item results):

* ``format_error`` — the call did not parse, or broke its tool's schema (unknown tool,
  missing required parameter, unknown parameter, wrong type, value outside an enum);
* ``wrong_function`` — a valid call of a function the item never expects;
* ``missing_parameter`` — the function of a pending gold call, without an argument it gives;
* ``wrong_value`` — the function of a pending gold call with every gold argument, but some
  value (or an extra argument) differs;
* ``wrong_order`` — a call the item expects only in a later turn (the same call, or a call of
  a function no pending call has), made before the pending ones (skipping a whole turn looks
  the same and is counted here);
* ``hallucinated_call`` — a call when nothing is pending, or a repeat of a call already matched;
* ``no_call`` — the model answered in text (or stopped) while gold calls were still pending.

:func:`classify` decides the kind of an unmatched, schema-valid call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orchestrl.api import GoldStep, ToolCall
from orchestrl.plugins.benchmarks.cfb.matching import normalized_agree
from orchestrl.plugins.cache.keys import canonical_arguments
from orchestrl.plugins.tools.schema import ToolSchema

FORMAT_ERROR = "format_error"
WRONG_FUNCTION = "wrong_function"
MISSING_PARAMETER = "missing_parameter"
WRONG_VALUE = "wrong_value"
WRONG_ORDER = "wrong_order"
HALLUCINATED_CALL = "hallucinated_call"
NO_CALL = "no_call"

KINDS = (WRONG_FUNCTION, MISSING_PARAMETER, WRONG_VALUE, WRONG_ORDER, HALLUCINATED_CALL,
         NO_CALL, FORMAT_ERROR)
"""Every kind, in report order."""


def classify(
    call: ToolCall,
    pending: Sequence[GoldStep],
    future: Sequence[GoldStep],
    done: Sequence[GoldStep],
    schemas: Mapping[str, ToolSchema],
) -> tuple[str, str]:
    """``(kind, detail)`` of a schema-valid call that matched none of ``pending``.

    ``future`` are unmatched gold calls of later turns, ``done`` the gold calls already matched.
    Checked in order: the call is a later turn's call (``wrong_order``); it has the function of
    a pending call (``missing_parameter`` or ``wrong_value`` against the closest one); its
    function comes only later (``wrong_order``); nothing is pending or it repeats a matched call
    (``hallucinated_call``); else ``wrong_function``.
    """
    if any(normalized_agree(call, step, schemas) for step in future):
        return WRONG_ORDER, f"'{call.name}' is a call expected in a later turn"
    same = [step for step in pending if step.function == call.name]
    if same:
        return _argument_error(call, same, schemas)
    if any(step.function == call.name for step in future):
        return WRONG_ORDER, f"'{call.name}' is expected in a later turn"
    if not pending:
        return HALLUCINATED_CALL, f"'{call.name}' called when no call was expected"
    if any(step.function == call.name for step in done):
        return HALLUCINATED_CALL, f"'{call.name}' repeats a call already made"
    expected = ", ".join(sorted({step.function for step in pending}))
    return WRONG_FUNCTION, f"'{call.name}' called where {expected} was expected"


def _argument_error(
    call: ToolCall, candidates: Sequence[GoldStep], schemas: Mapping[str, ToolSchema]
) -> tuple[str, str]:
    schema = schemas.get(call.name)
    try:
        pred = canonical_arguments(call.name, call.arguments, schema)
    except ValueError:
        pred = {}
    best: tuple[int, str, str] | None = None
    for step in candidates:
        try:
            gold = canonical_arguments(step.function, step.arguments, schema)
        except ValueError:
            continue
        absent = sorted(k for k in gold if k not in pred)
        wrong = sorted(k for k in gold if k in pred and pred[k] != gold[k])
        extra = sorted(k for k in pred if k not in gold)
        score = len(absent) + len(wrong) + len(extra)
        if absent:
            verdict = (MISSING_PARAMETER, f"'{call.name}' lacks {', '.join(absent)}")
        else:
            keys = [*wrong, *(f"extra {k}" for k in extra)]
            verdict = (WRONG_VALUE, f"'{call.name}' differs in {', '.join(keys) or 'nothing'}")
        if best is None or score < best[0]:
            best = (score, *verdict)
    if best is None:
        return WRONG_VALUE, f"'{call.name}' has arguments that cannot be compared"
    return best[1], best[2]
