"""Rendering a response for the model: JSON-aware truncation to a character budget.

:func:`render_response` always returns valid JSON. When the compact JSON of the response fits
the budget it is returned unchanged. Otherwise the response is shortened by a fixed schedule
of ever stronger limits until it fits, and the output says what was trimmed:

* a list keeps its first *n* items and ends with a string ``"… 17 more items"``;
* an object keeps its first *4n* keys and gets a key ``"…"`` with ``"9 more keys"``;
* a long string keeps its first *m* characters and ends with ``"… (+1234 chars)"``;
* a value nested deeper than *d* becomes ``"… object with 5 keys"`` / ``"… list of 3 items"``;
* a top-level object gets a key ``"_truncated"`` stating the original size and the limits.

The schedule first cuts list tails (n = 64 … 1, strings kept up to 512 characters), then
strings (m = 256 … 16), then depth (d = 6 … 1). If even the strongest limits do not fit, the
result is a one-key object explaining that, or ``{}``/``[]``/``""`` for budgets too small for
that. Truncating by characters instead (as the paper's reference does) breaks JSON for 28% of
the Booking responses at 8,192 characters.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrl.api import JSON

ELLIPSIS = "…"
_DEEP = 64
_SCHEDULE: tuple[tuple[int, int, int], ...] = (
    *((n, 512, _DEEP) for n in (64, 32, 16, 8, 4, 2, 1)),
    *((1, m, _DEEP) for m in (256, 128, 64, 32, 16)),
    *((1, 16, d) for d in (6, 4, 3, 2, 1)),
)


def dumps(value: JSON) -> str:
    """Compact JSON as the model sees it (non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def render_response(content: JSON, budget_chars: int | None) -> str:
    """``content`` as JSON text of at most ``budget_chars`` characters (None: no limit).

    Always valid JSON; see the module docstring for what is trimmed and how it is marked.
    The length bound holds for every budget of at least 2 characters.
    """
    try:
        full = dumps(content)
    except (RecursionError, ValueError, TypeError):
        full = None
    if full is not None and (budget_chars is None or len(full) <= budget_chars):
        return full
    if full is None:  # NaN, infinities or deep nesting: make it plain JSON first
        full = dumps(_trim(content, 2**62, 2**62, _DEEP))
        if budget_chars is None or len(full) <= budget_chars:
            return full
    budget = max(int(budget_chars or 0), 2)
    original = f"{len(full)} characters"
    for items, chars, depth in _SCHEDULE:
        trimmed = _trim(content, items, chars, depth)
        if isinstance(trimmed, dict) and "_truncated" not in trimmed:
            trimmed["_truncated"] = (
                f"response shortened from {original} to fit {budget}: lists cut to {items} "
                f"items, strings to {chars} characters" + (f", depth to {depth}" if depth < _DEEP
                                                           else "")
            )
        text = dumps(trimmed)
        if len(text) <= budget:
            return text
    if isinstance(content, list):
        note = dumps([f"{ELLIPSIS} list of {len(content)} items omitted: does not fit"])
    else:
        note = dumps({"_truncated": f"response of {original} does not fit in {budget} characters"})
    if len(note) <= budget:
        return note
    return "[]" if isinstance(content, list) else ('""' if isinstance(content, str) else "{}")


def _trim(value: Any, items: int, chars: int, depth: int) -> Any:
    if isinstance(value, str):
        if len(value) <= chars:
            return value
        return f"{value[:chars]}{ELLIPSIS} (+{len(value) - chars} chars)"
    if isinstance(value, list):
        if depth <= 0:
            return f"{ELLIPSIS} list of {len(value)} items"
        kept = [_trim(v, items, chars, depth - 1) for v in value[:items]]
        if len(value) > items:
            kept.append(f"{ELLIPSIS} {len(value) - items} more items")
        return kept
    if isinstance(value, dict):
        if depth <= 0:
            return f"{ELLIPSIS} object with {len(value)} keys"
        limit = max(4 * items, 8)
        out = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= limit:
                out[ELLIPSIS] = f"{len(value) - limit} more keys"
                break
            out[_trim(str(key), items, max(chars, 64), 1)] = _trim(item, items, chars, depth - 1)
        return out
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
