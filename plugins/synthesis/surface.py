"""How argument values can be stated in a user query, and whether a query states them.

:func:`surface_forms` lists the phrasings of one value that count as stating it: the value
itself (case-insensitive, underscores read as spaces), dates as ``2024-10-14``,
``October 14``, ``Oct 14``, ``14 October``; times as ``08:00``, ``8:00``, ``8 AM``,
``8am``; small counts as digits or words; enum values through :data:`ENUM_PHRASES`. Relative
phrasings ("tomorrow") do not count: the check is deliberately strict so that a query which
passes really pins every free argument.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from orchestrl.plugins.synthesis.values import STRONG, strength

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve")

ENUM_PHRASES: dict[str, tuple[str, ...]] = {
    "trending": ("trending",),
    "attr_book_score": ("most booked", "most popular", "best-selling", "best selling"),
    "lowest_price": ("lowest price", "cheapest"),
    "CHEAPEST": ("cheapest", "lowest price"),
    "FASTEST": ("fastest", "shortest"),
    "BEST": ("best",),
    "ECONOMY": ("economy",),
    "PREMIUM_ECONOMY": ("premium economy",),
    "BUSINESS": ("business class",),
    "FIRST": ("first class",),
    "popularity": ("popularity", "most popular"),
    "price": ("price", "cheapest"),
    "class_descending": ("star rating", "stars"),
    "review_score": ("review score", "best reviewed", "highest rated"),
    "distance": ("distance", "closest"),
    "CITY": ("city",),
    "AIRPORT": ("airport",),
    "HOTEL": ("hotel",),
    "DISTRICT": ("district",),
    "LANDMARK": ("landmark",),
    "REGION": ("region",),
    "sort_most_relevant": ("most relevant", "relevance"),
    "sort_recent_desc": ("most recent", "newest"),
    "sort_recent_asc": ("oldest",),
    "sort_score_desc": ("highest score", "best reviews", "highest rated"),
    "sort_score_asc": ("lowest score", "worst reviews", "lowest rated"),
}
"""Natural phrasings of enum-like argument values of the Booking data (case-sensitive keys)."""

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def surface_forms(value: Any) -> list[str]:
    """Phrasings of ``value`` that count as stating it in a query (lower case)."""
    if isinstance(value, str | int | float):  # memoised: the same values recur in every task
        return list(_scalar_forms(value))
    return []


@functools.lru_cache(maxsize=65536, typed=True)
def _scalar_forms(value: Any) -> tuple[str, ...]:
    return tuple(_forms(value))


def _forms(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["yes", "with"] if value else ["no", "without"]
    if isinstance(value, int | float):
        forms = [_number(value)]
        if isinstance(value, int) and 0 <= value < len(NUMBER_WORDS):
            forms.append(NUMBER_WORDS[value])
        return forms
    if not isinstance(value, str):
        return []
    text = value.strip()
    if (match := _DATE.match(text)) and (day := _date(match)) is not None:
        return _date_forms(text, day)
    if match := _TIME.match(text):
        return _time_forms(int(match.group(1)), int(match.group(2)))
    forms = [text.lower()]
    if "_" in text:
        forms.append(text.replace("_", " ").lower())
    forms.extend(p.lower() for p in ENUM_PHRASES.get(text, ()))
    return forms


def states(query: str, value: Any) -> bool:
    """Whether ``query`` states ``value`` in one of its surface forms (lists: every element)."""
    return states_lower(query.lower(), value)


def states_lower(haystack: str, value: Any) -> bool:
    """:func:`states` on a query already in lower case (lower it once, test many values)."""
    if isinstance(value, list):
        return all(states_lower(haystack, v) for v in value)
    if isinstance(value, dict):
        return all(states_lower(haystack, v) for v in value.values())
    forms = _scalar_forms(value) if isinstance(value, str | int | float) else ()
    for form in forms:
        if not form or form not in haystack:
            continue
        if not (form[0].isalnum() and form[-1].isalnum()) or find_word(haystack, form) >= 0:
            return True
    return False


def find_word(text: str, word: str, start: int = 0) -> int:
    """Index of ``word`` in ``text`` as a whole token (not inside a longer word or number), or -1.

    Plain string search with boundary checks (no regular expression is built per value).
    """
    position = text.find(word, start)
    while position >= 0:
        end = position + len(word)
        before = text[position - 1] if position else " "
        after = text[end] if end < len(text) else " "
        decimal = after == "." and end + 1 < len(text) and text[end + 1].isdigit()
        if not (before.isalnum() or before in "_.") and not (after.isalnum() or after == "_"
                                                             or decimal):
            return position
        position = text.find(word, position + 1)
    return -1


def statable(value: Any) -> bool:
    """Whether a user could plausibly state ``value``: not an opaque id or token.

    Coordinates (floats) count as statable; long digit strings, tokens and ids do not.
    """

    if isinstance(value, list):
        return all(statable(v) for v in value)
    if isinstance(value, dict):
        return all(statable(v) for v in value.values())
    return isinstance(value, float) or strength(value) != STRONG


def _number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _date(match: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _date_forms(text: str, day: dt.date) -> list[str]:
    month, short = day.strftime("%B").lower(), day.strftime("%b").lower()
    suffix = "th" if 11 <= day.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    forms = [text]
    for name in (month, short):
        forms += [f"{name} {day.day}{suffix}", f"{name} {day.day}", f"{day.day}{suffix} {name}",
                  f"{day.day} {name}", f"{day.day}{suffix} of {name}"]
    return forms


def _time_forms(hour: int, minute: int) -> list[str]:
    twelve = hour % 12 or 12
    half = "am" if hour < 12 else "pm"
    forms = [f"{hour:02d}:{minute:02d}", f"{hour}:{minute:02d}"]
    if minute == 0:
        forms += [f"{twelve} {half}", f"{twelve}{half}", f"{twelve} o'clock", f"{twelve}:00 {half}",
                  f"{twelve} {half[0]}.m.", f"{twelve}:00{half}"]
        if hour == 12:
            forms.append("noon")
    else:
        forms += [f"{twelve}:{minute:02d} {half}", f"{twelve}:{minute:02d}{half}"]
    return forms
