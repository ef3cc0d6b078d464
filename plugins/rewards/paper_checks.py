"""The reference implementation's per-call checks, reproduced for the ``paper`` preset.

These reproduce the public code of arXiv 2603.24709 *including its defects*, so that runs can
be compared with the paper; orchestrl's own terms do better (see ``conf/reward/paper.yaml``).

* :func:`reference_standardize` — BFCL's string standardisation: remove spaces and the
  characters ``, . / - _ * ^``, lower-case, ``'`` → ``"`` (so ``2024-11-25`` equals
  ``20241125``; no date parsing).
* :func:`reference_values_ok` — all or nothing: every gold key present, no key outside gold,
  each value equal by the gold value's type (an int is accepted for a float, a float is not
  accepted for an int, a numeric string never for a number, lists element-wise in order).
* :func:`reference_types_compatible` — int, float and bool are all "numbers"; otherwise the
  same Python type.
* :func:`reference_exec_ok` — the response text (JSON, cut at ``max_chars`` characters as the
  rollout did) parses, and is not a dict with an ``error`` key, a dict with ``status`` false,
  or ``{}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from orchestrl.api import ToolResult

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
            reference_standardize(predicted) == reference_standardize(gold)
        )
    if isinstance(gold, list):
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


def reference_exec_ok(result: ToolResult | None, max_chars: int) -> bool:
    """Whether the reference would count the call's response as a successful execution."""
    if result is None:
        return False
    content = result.content
    try:
        text = content if isinstance(content, str) else json.dumps(content)
        parsed = json.loads(text[:max_chars] if max_chars > 0 else text)
    except (ValueError, TypeError, RecursionError):
        return False
    return not (
        isinstance(parsed, dict)
        and (not parsed or "error" in parsed or parsed.get("status") is False)
    )
