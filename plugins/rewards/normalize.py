"""Argument values in a canonical form, so that equal meanings compare equal.

:func:`normalize_value` maps a JSON value to a hashable canonical form:

* booleans stay booleans (``True`` never equals ``1`` or ``"true"`` unless the schema declares
  a boolean, see ``param_type``); ``None`` stays ``None``;
* numbers, and numeric strings (``"47.45"``, ``" -2092174 "``), become floats;
* strings are case-folded with whitespace collapsed; a date in a common format
  (``2024-11-25``, ``2024/11/25``, ``Nov 25, 2024``, ``25 November 2024``, with an optional
  time) becomes ``2024-11-25`` (plus ``Thh:mm[:ss]``), and a time (``9:00``, ``09:00:00``,
  ``9:00 pm``) becomes ``hh:mm`` (seconds kept only when not zero);
* lists become tuples, or sorted tuples when ``unordered`` (the schema says the list is a
  set); objects become sorted tuples of ``(key, value)`` pairs.

:func:`values_equal` compares two values' canonical forms, with a numeric tolerance
``|a - b| <= max(rel_tol * max(|a|, |b|), abs_tol)`` for floats anywhere in the structure.
The reward compares arguments by the schema's declared type (:func:`normalize_string_param`,
:func:`argument_equal`): a parameter typed ``string`` is never read as a number (identifiers
such as ``"382161796"`` compare as text), and the numeric tolerance applies only where the
caller allows it (parameters typed ``number``, or untyped) and never between two integral
values (``-2092174`` and ``-2092175`` differ). Both are pure, never raise on JSON input, and
bound their work (strings longer than :data:`MAX_DATE_CHARS` skip date parsing; whatever is
nested deeper than :data:`MAX_DEPTH` becomes one marker value, and numbers beyond ±1e300 are
clamped).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

REL_TOL = 1e-6
ABS_TOL = 1e-9
MAX_DATE_CHARS = 40
MAX_DEPTH = 16
_TOO_DEEP = ("<nested deeper than 16 levels>",)

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$")
_SPACES = re.compile(r"\s+")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_MONTH_FIRST = re.compile(r"^([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]{3,9})\.?,? (\d{4})$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_DATETIME_SPLIT = re.compile(r"^(.*?\d{4}(?:[-/.]\d{1,2}[-/.]\d{1,2})?)[t ](\d{1,2}:\d{2}.*)$")


def normalize_value(value: Any, *, unordered: bool = False, param_type: str | None = None) -> Any:
    """The canonical form of ``value`` (see the module docstring).

    ``unordered`` makes a list compare as a set (top level only). ``param_type`` is the
    schema's declared type: with ``boolean``, the strings ``"true"``/``"false"`` become
    booleans. Types themselves are judged by the ``param_types`` term, not here.
    """
    return _norm(value, unordered, param_type, 0)


def values_equal(
    predicted: Any,
    gold: Any,
    *,
    unordered: bool = False,
    param_type: str | None = None,
    rel_tol: float = REL_TOL,
    abs_tol: float = ABS_TOL,
) -> bool:
    """Whether two values mean the same after :func:`normalize_value`, within tolerance."""
    a = normalize_value(predicted, unordered=unordered, param_type=param_type)
    b = normalize_value(gold, unordered=unordered, param_type=param_type)
    return canonical_equal(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def canonical_equal(a: Any, b: Any, *, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> bool:
    """Equality of two canonical forms, with the numeric tolerance on floats."""
    if a == b and type(a) is type(b):
        return True
    if type(a) is float and type(b) is float:
        return abs(a - b) <= max(rel_tol * max(abs(a), abs(b)), abs_tol)
    if type(a) is tuple and type(b) is tuple and len(a) == len(b):
        return all(
            canonical_equal(x, y, rel_tol=rel_tol, abs_tol=abs_tol)
            for x, y in zip(a, b, strict=True)
        )
    return False


def argument_equal(a: Any, b: Any, *, tolerant: bool) -> bool:
    """Equality of two canonical argument values: exact, or within tolerance when ``tolerant``.

    The tolerance (:func:`canonical_equal`) never applies between two integral numbers, so an
    identifier or a count off by one is never equal.
    """
    if a == b and type(a) is type(b):
        return True
    integral = type(a) is float and type(b) is float and a.is_integer() and b.is_integer()
    if not tolerant or integral:
        return False
    return canonical_equal(a, b)


def string_param_form(value: Any) -> Any:
    """Canonical form of a top-level value of a parameter typed ``string``.

    Text is normalised by :func:`normalize_string_param` (never turned into a number); a JSON
    number becomes its text (``382161796`` → ``"382161796"``, ``1.5`` → ``"1.5"``), so a value
    of the wrong JSON type can still carry the right identifier (the type term judges the
    type); other values as :func:`normalize_value`.
    """
    if type(value) is str:
        return normalize_string_param(value) if len(value) <= 4_096 else normalize_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e300 else repr(value)
    return normalize_value(value)


def normalize_text(text: str) -> str:
    """Case-folded text with runs of whitespace collapsed to one space, ends stripped."""
    return _SPACES.sub(" ", text).strip().casefold()


# --------------------------------------------------------------------------- internals


def _norm(value: Any, unordered: bool, param_type: str | None, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value) if abs(value) < 1e300 else (1e300 if value > 0 else -1e300)
        return number if math.isfinite(number) else repr(value)
    if isinstance(value, str):
        if len(value) > 4_096:
            return normalize_text(value)
        return normalize_str(value, param_type)
    if depth >= MAX_DEPTH:
        return _TOO_DEEP
    if isinstance(value, list | tuple):
        items = tuple(_norm(item, False, None, depth + 1) for item in value)
        return tuple(sorted(items, key=_sort_key)) if unordered else items
    if isinstance(value, dict):
        pairs = ((str(k), _norm(v, False, None, depth + 1)) for k, v in value.items())
        return ("<object>", *sorted(pairs, key=lambda kv: kv[0]))
    return f"<{type(value).__name__}>"


@lru_cache(maxsize=65_536)
def normalize_str(text: str, param_type: str | None = None) -> Any:
    """:func:`normalize_value` of a string (memoised: rollouts repeat the same strings)."""
    stripped = text.strip()
    if _NUMBER.match(stripped):
        number = float(stripped)
        if math.isfinite(number):
            return number
    folded = normalize_text(text)
    if param_type == "boolean" and folded in ("true", "false"):
        return folded == "true"
    return _moment_or_text(folded)


@lru_cache(maxsize=65_536)
def normalize_string_param(text: str) -> str:
    """:func:`normalize_str` for a parameter typed ``string``: case, spacing, dates, times, but
    never a number (``"382161796"`` stays text, so it equals only ``"382161796"``)."""
    return _moment_or_text(normalize_text(text))


def _moment_or_text(folded: str) -> str:
    if len(folded) <= MAX_DATE_CHARS and any(c.isdigit() for c in folded):
        moment = _date_or_time(folded)
        if moment is not None:
            return moment
    return folded


def _date_or_time(text: str) -> str | None:
    time = _time(text)
    if time is not None:
        return time
    date = _date(text)
    if date is not None:
        return date
    split = _DATETIME_SPLIT.match(text)
    if split is not None:
        date, time = _date(split.group(1).strip().rstrip(",")), _time(split.group(2).strip())
        if date is not None and time is not None:
            return f"{date}T{time}"
    return None


def _date(text: str) -> str | None:
    match = _ISO_DATE.match(text)
    if match is not None:
        year, month, day = match.groups()
    else:
        match = _MONTH_FIRST.match(text)
        if match is not None:
            month_name, day, year = match.groups()
        else:
            match = _DAY_FIRST.match(text)
            if match is None:
                return None
            day, month_name, year = match.groups()
        month = _MONTHS.get(month_name)
        if month is None:
            return None
    try:
        return datetime(int(year), int(month), int(day)).strftime("%Y-%m-%d")
    except ValueError:
        return None


def _time(text: str) -> str | None:
    match = _TIME.match(text.rstrip("z"))
    if match is None:
        return None
    hour, minute, second, meridiem = match.groups()
    h, m, s = int(hour), int(minute), int(second or 0)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem.startswith("p") else 0)
    if h > 23 or m > 59 or s > 59:
        return None
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _sort_key(item: Any) -> tuple[str, str]:
    return (type(item).__name__, repr(item))
