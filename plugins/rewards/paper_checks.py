"""The reference implementation's per-call checks, reproduced for the ``paper`` preset.

These reproduce the public code of arXiv 2603.24709 *including its defects*, so that runs can
be compared with the paper; orchestrl's own terms do better (see ``conf/reward/paper.yaml``).

* :func:`reference_standardize` — BFCL's string standardisation: remove spaces and the
  characters ``, . / - _ * ^``, lower-case, ``'`` → ``"`` (so ``2024-11-25`` equals
  ``20241125``; no date parsing).
* :func:`reference_values_ok` — all or nothing: every gold key present, no key outside gold,
  each value equal by the gold value's type (an int is accepted for a float, a float is not
  accepted for an int, a numeric string never for a number, lists element-wise in order).
  An object, or a list of objects, goes through BFCL's dict checker as the reference calls it
  (erratum 1 of the paper-reference notes): each gold object's values are read as *lists of
  accepted candidates*, so a gold string is a sequence of one-character candidates and a real
  string never matches (every ``legs`` value of the multi-stop flight functions fails, gold
  included); a model key absent from gold fails; a gold key absent from the model never fails
  when its gold value is a string (``"" in "abc"``). Where BFCL would raise (a non-iterable
  gold value), the value counts as not equal.
* :func:`reference_types_compatible` — int, float and bool are all "numbers"; otherwise the
  same Python type.
* :func:`reference_response_ok` — the response as the rollout showed it (serialised with
  ``ensure_ascii=False``, cut in the middle when longer than ``max_chars``: the first
  ``max_chars // 2`` characters, ``...(truncated)...``, the last ``max_chars // 2``, as verl's
  multi-turn tool does) parses as JSON — else None, the pair is dropped — and then whether it
  is a success: not a dict with an ``error`` key, not a dict with ``status == False`` (so ``0``
  fails too), not ``{}``. :func:`reference_result_ok` does the same for a
  :class:`~orchestrl.api.ToolResult`, reading a response that came as text (``result.text``)
  from that text, as the reference reads its ``<tool_response>`` blocks, instead of
  serialising its decoded value again. Both are memoised per response object, so a response
  scored under many rollouts is read once, and neither parses what needs no parse: a value
  serialised whole (not cut) parses back to an equal value, and a text already decoded whole
  (or one already cut as this cut would cut it) is that value, so the success rule reads the
  value directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from orchestrl.api import ToolResult
from orchestrl.plugins.rewards.text_trajectory import breaks_json_syntax

_STRIP = re.compile(r"[ ,./\-_*^]")


def reference_standardize(text: str) -> str:
    """BFCL's standardised form of a string."""
    return _STRIP.sub("", text).lower().replace("'", '"')


def reference_value_equal(predicted: Any, gold: Any) -> bool:
    """One value against one gold value, typed by the gold value."""
    if isinstance(gold, bool):
        return isinstance(predicted, bool) and predicted == gold
    if isinstance(gold, int):
        return isinstance(predicted, int) and not isinstance(predicted, bool) and predicted == gold
    if isinstance(gold, float):
        return (
            isinstance(predicted, int | float)
            and not isinstance(predicted, bool)
            and float(predicted) == gold
        )
    if isinstance(gold, str):
        return isinstance(predicted, str) and (
            predicted == gold or reference_standardize(predicted) == reference_standardize(gold)
        )
    if isinstance(gold, dict):
        return isinstance(predicted, dict) and _bfcl_dict_ok(predicted, gold)
    if isinstance(gold, list):
        if gold and all(isinstance(item, dict) for item in gold):
            return (
                isinstance(predicted, list)
                and len(predicted) == len(gold)
                and all(
                    isinstance(p, dict) and _bfcl_dict_ok(p, g)
                    for p, g in zip(predicted, gold, strict=True)
                )
            )
        return (
            isinstance(predicted, list)
            and len(predicted) == len(gold)
            and all(reference_value_equal(p, g) for p, g in zip(predicted, gold, strict=True))
        )
    return bool(predicted == gold)


def reference_values_ok(predicted: dict[str, Any], gold: dict[str, Any]) -> bool:
    """BFCL's simple-function check: same keys as gold and every value equal."""
    if set(predicted) != set(gold):
        return False
    return all(reference_value_equal(predicted[k], v) for k, v in gold.items())


def reference_types_compatible(predicted: Any, gold: Any) -> bool:
    """Whether two values have compatible types in the reference's sense."""
    numbers = (int, float, bool)
    if isinstance(predicted, numbers) and isinstance(gold, numbers):
        return True
    return type(predicted) is type(gold)


def _bfcl_dict_ok(predicted: dict[str, Any], gold: dict[str, Any]) -> bool:
    """BFCL's ``dict_checker(param, predicted, [gold])``: gold values read as candidate lists."""
    try:
        for key, value in predicted.items():
            if key not in gold:
                return False
            wanted = reference_standardize(value) if type(value) is str else value
            candidates = gold[key]
            standard = [
                reference_standardize(candidates[i])
                if type(candidates[i]) is str
                else candidates[i]
                for i in range(len(candidates))
            ]
            if wanted not in standard:
                return False
        return all(key in predicted or "" in value for key, value in gold.items())
    except (TypeError, KeyError, IndexError):
        return False


TRUNCATION_MARK = "...(truncated)..."
_MEMO_LIMIT = 4_096
_RESPONSE_MEMO: dict[int, tuple[Any, int, bool | None]] = {}


def cut_response(text: str, max_chars: int) -> str:
    """``text`` as the rollout showed it: middle cut when longer than ``max_chars`` (0: no cut)."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    half = max_chars // 2
    return text[:half] + TRUNCATION_MARK + text[-half:]


def reference_response_ok(content: Any, max_chars: int) -> bool | None:
    """None when the shown response does not parse (the pair is dropped), else its success.

    ``content`` is a response as the environment returned it: text is shown as it is, any
    other value serialised with ``json.dumps(..., ensure_ascii=False)``. Memoised by object
    identity (the memo holds the object, so an identity is never reused while it is memoised).
    """
    return _memoised(content, max_chars, _value_verdict)


def reference_result_ok(result: ToolResult, max_chars: int) -> bool | None:
    """:func:`reference_response_ok` of the response ``result`` stands for: its ``text`` when
    it was read from text (shown as it is, cut when longer than ``max_chars``), else its
    ``content``."""
    if result.text is None:
        return reference_response_ok(result.content, max_chars)
    return _memoised(result, max_chars, _text_verdict)


def _memoised(
    obj: Any, max_chars: int, verdict_of: Callable[[Any, int], bool | None]
) -> bool | None:
    key = id(obj)
    memo = _RESPONSE_MEMO.get(key)
    if memo is not None and memo[0] is obj and memo[1] == max_chars:
        return memo[2]
    verdict = verdict_of(obj, max_chars)
    if len(_RESPONSE_MEMO) >= _MEMO_LIMIT:
        _RESPONSE_MEMO.clear()
    _RESPONSE_MEMO[key] = (obj, max_chars, verdict)
    return verdict


def _value_verdict(content: Any, max_chars: int) -> bool | None:
    if isinstance(content, str):
        return _parsed_verdict(cut_response(content, max_chars))
    try:
        text = json.dumps(content, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return None
    if max_chars <= 0 or len(text) <= max_chars:
        # shown whole: it parses back to a value equal to ``content`` for the success rule
        # (keys become strings, but only a string key reads "error" or "status")
        return _success(content)
    return _parsed_verdict(cut_response(text, max_chars))


def _text_verdict(result: ToolResult, max_chars: int) -> bool | None:
    text = result.text
    assert text is not None
    shown = cut_response(text, max_chars)
    if shown == text:  # shown as it was read
        if result.content is not text:
            return _success(result.content)  # decoded: its value
        if breaks_json_syntax(result):
            return None
    return _parsed_verdict(shown)


def _parsed_verdict(text: str) -> bool | None:
    try:
        parsed = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None
    return _success(parsed)


def _success(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value) and "error" not in value and value.get("status") != False  # noqa: E712
    return True
