"""Argument values: canonical comparison and how strongly an equality is evidence of a dependency.

Two values are the *same* when they are equal, or when both are scalars other than booleans
and their string forms agree after numbers are written canonically (``32.87`` and ``"32.87"``,
``755355561`` and ``"755355561"``). A boolean never equals a non-boolean.

Evidence strength of an equality between an argument and a response field (:func:`strength`):

* ``STRONG`` — opaque identifiers (tokens, base64, long digit strings, ``BOM.AIRPORT``) and
  high-precision coordinates: such a value is practically never equal by coincidence;
* ``TEXT`` — free text such as a city or hotel name: strong unless the user stated it;
* ``WEAK`` — dates, times, small integers, booleans and short enum-like words: equal values
  elsewhere are expected by coincidence, so a match needs corroboration.
"""

from __future__ import annotations

import re
from typing import Any

STRONG = "strong"
TEXT = "text"
WEAK = "weak"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
_ENUMISH = re.compile(r"^[A-Za-z_]{1,24}$")
_WORDS = re.compile(r"[A-Za-z]+")


def canonical(value: Any) -> str | None:
    """A hashable canonical form of a scalar value (None for lists, dicts and None).

    Numbers and numeric strings map to the same form (integral floats as integers), booleans to
    ``"<true>"``/``"<false>"`` so that they never meet a string.
    """
    if isinstance(value, bool):
        return "<true>" if value else "<false>"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped and (stripped[0].isdigit() or stripped[0] in "-.") and _is_number(stripped):
            number = float(stripped)
            if "." not in stripped and "e" not in stripped.lower():
                return str(int(stripped))
            return canonical(number)
        return value
    return None


def same(a: Any, b: Any) -> bool:
    """Whether two argument or response values are the same value (see the module docstring)."""
    if a == b and type(a) is type(b):
        return True
    ca, cb = canonical(a), canonical(b)
    if ca is not None and cb is not None:
        return ca == cb
    return a == b and not isinstance(a, bool) and not isinstance(b, bool)


def strength(value: Any) -> str:
    """How much an equality on ``value`` says about a dependency: STRONG, TEXT or WEAK."""
    if isinstance(value, bool) or value is None:
        return WEAK
    if isinstance(value, int):
        return STRONG if abs(value) >= 100_000 else WEAK
    if isinstance(value, float):
        decimals = repr(value).split(".")[-1] if "." in repr(value) else ""
        return STRONG if len(decimals) >= 3 else WEAK
    if not isinstance(value, str):
        return WEAK
    text = value.strip()
    if not text or _DATE.match(text) or _TIME.match(text):
        return WEAK
    if _is_number(text):
        return strength(float(text) if "." in text else int(float(text)))
    if " " not in text and any(c.isdigit() for c in text) and len(text) >= 6:
        return STRONG
    if " " not in text and "." in text and text.isupper():  # airport and city ids: BOM.AIRPORT
        return STRONG
    if len(text) >= 16 and " " not in text:
        return STRONG
    inner = text[1:]
    if (" " not in text and len(text) >= 8 and sum(c.isupper() for c in inner) >= 2
            and sum(c.islower() for c in inner) >= 2):  # mixed-case tokens: PRPUAyqNKVwd
        return STRONG
    if _ENUMISH.match(text) and (text.isupper() or "_" in text or text.islower()):
        return WEAK
    return TEXT


def words(text: str) -> set[str]:
    """Lower-case alphabetic tokens of an identifier (camelCase and snake_case split)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return {w.lower() for w in _WORDS.findall(spaced)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.lower() not in ("nan", "inf", "-inf", "infinity", "-infinity")
