"""JSON decoding with bounds, for text a model wrote (untrusted, possibly adversarial).

Python's ``json`` accepts ``NaN``/``Infinity``, arbitrarily long integers (and then raises on
more than 4,300 digits) and recurses once per nesting level. Tool-call arguments need none of
that, so :func:`loads_bounded` rejects non-finite numbers, integers longer than
``max_int_digits``, nesting deeper than ``max_depth`` and texts longer than ``max_chars``, and
:func:`check_value` applies the same bounds to values that arrive already decoded (structured
``tool_calls``). Both raise :class:`ValueError` with a short lower-case reason.

After decoding, :func:`loads_bounded` walks the value the general way (:func:`check_value`)
only when it could fail there: a decoded text has only ``str`` keys, plain values and fewer
parts than characters, its floats are finite and its integers short (the hooks saw to that
while decoding), so what is left is nesting (:func:`_within_depth`, which visits only
containers, depth first, and only when the text has more brackets than the depth bound) and
an integer that passed the digit bound but not ``check_value``'s ``bit_length`` bound
(flagged by the hook). When either could fail, ``check_value`` runs and
raises exactly as it always did.

Texts whose digits cannot break the integer bounds skip the hooks (:func:`_value`): msgspec
decodes them when installed (the same value, about twice as fast), else, or when msgspec
refuses them, :mod:`json` with the other hooks only; results and reasons are the hooked
path's either way, and never depend on msgspec being there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from orchestrl.plugins.parsing import fast_json


@dataclass(frozen=True)
class JsonLimits:
    """Bounds on one decoded JSON value."""

    max_chars: int = 65_536
    """Longest text decoded at all."""
    max_depth: int = 32
    """Deepest nesting of lists and objects."""
    max_int_digits: int = 64
    """Longest integer literal."""


DEFAULT_LIMITS = JsonLimits()
SYNTAX_ERROR = "invalid json"
"""How :func:`loads_bounded`'s reason starts when the text breaks JSON's syntax (every bound
it applies held up to that point, so plain ``json.loads`` fails on the text too)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} overflows")
    return value


def loads_bounded(text: str, limits: JsonLimits = DEFAULT_LIMITS) -> Any:
    """Decode ``text`` as one JSON value within ``limits``; raise ValueError saying why not."""
    if len(text) > limits.max_chars:
        raise ValueError(f"json text of {len(text)} characters exceeds {limits.max_chars}")
    value = _value(text, limits)
    if _brackets(text) > limits.max_depth and not _within_depth(value, limits.max_depth):
        check_value(value, limits)  # the reason, as check_value gives it
    return value


def _value(text: str, limits: JsonLimits) -> Any:
    """``text``'s value with its numbers within ``limits``; ValueError saying why not.

    The text's digits are looked at first (as bytes, with every digit mapped to ``0``):

    * a run longer than :func:`_safe_digits` may be an integer out of bounds: :mod:`json`
      with the number hooks decides (:func:`_hooked_value`);
    * else msgspec, when installed, decodes the text (:func:`~.fast_json.decode`): what it
      accepts it decodes to the value :mod:`json` gives, and that value's floats are finite
      (msgspec refuses the others);
    * what it refuses (a syntax error, ``NaN``, a float out of range, a lone surrogate escape,
      deep nesting), or everything without msgspec, is decoded by :mod:`json` with the hooks
      but the integer one (:data:`_SHORT_INTEGERS`), which could not fail, so the outcome and
      its reason are :func:`_hooked_value`'s either way.
    """
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return _hooked_value(text, limits)
    digits = data.translate(_DIGITS)
    if b"0" * (_safe_digits(limits) + 1) in digits:
        return _hooked_value(text, limits)
    value = fast_json.decode(data)
    return _json_value(text, _SHORT_INTEGERS) if value is fast_json.REFUSED else value


_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)


def _hooked_value(text: str, limits: JsonLimits) -> Any:
    """``text``'s value through :mod:`json` with the number hooks; ValueError saying why not
    (after :func:`check_value` when an integer passed the digit bound but not the bit bound)."""
    wide: list[int] = []  # integers check_value would refuse by bit_length

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > limits.max_int_digits:
            raise ValueError(f"integer of {len(digits)} digits exceeds {limits.max_int_digits}")
        value = int(digits)
        if value.bit_length() > limits.max_int_digits * 3.33:
            wide.append(value)
        return value

    decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_int=parse_int,
                               parse_float=_float)
    value = _json_value(text, decoder)
    if wide:
        check_value(value, limits)
    return value


_SHORT_INTEGERS = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_float)
""":func:`_hooked_value`'s decoder for a text whose integers are all within the bounds."""


def _json_value(text: str, decoder: json.JSONDecoder) -> Any:
    """``json.loads(text)`` with ``decoder``'s hooks (json.loads refuses a BOM first)."""
    try:
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{SYNTAX_ERROR} ({exc.msg} at position {exc.pos})") from None
    except RecursionError:
        raise ValueError("json nested too deeply") from None


@lru_cache(maxsize=64)
def _safe_digits(limits: JsonLimits) -> int:
    """The most digits an integer may have and pass both bounds whatever its digits are
    (``max_int_digits``, and ``bit_length`` at most ``max_int_digits * 3.33``)."""
    bits = limits.max_int_digits * 3.33
    digits = max(0, min(limits.max_int_digits, int(bits / math.log2(10)) + 1))
    while digits > 0 and (10**digits - 1).bit_length() > bits:
        digits -= 1
    return digits


def _brackets(text: str) -> int:
    """An upper bound on the lists and objects in the value ``text`` decodes to (every one
    opens with a bracket; brackets inside strings only raise it), so on its depth: a text
    with no more than ``max_depth`` brackets needs no walk (most tool outputs)."""
    return text.count("{") + text.count("[")


_NESTED = frozenset({dict, list})


def _within_depth(value: Any, max_depth: int) -> bool:
    """Whether no list or object of the decoded ``value`` lies ``max_depth`` levels deep or
    deeper (the root at level 0), visiting containers only, depth first (a too deep one is
    found as soon as :func:`check_value` would find it)."""
    stack = [(value, 0)] if type(value) in _NESTED else []
    while stack:
        container, depth = stack.pop()
        if depth >= max_depth:
            return False
        items = container.values() if type(container) is dict else container
        if not _NESTED.isdisjoint(map(type, items)):
            deeper = depth + 1
            stack += [(item, deeper) for item in items if type(item) in _NESTED]
    return True


def check_value(value: Any, limits: JsonLimits = DEFAULT_LIMITS) -> None:
    """Raise ValueError unless ``value`` is plain JSON within ``limits`` (iteratively)."""
    if type(value) is dict and _flat_ok(value, limits):
        return
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > limits.max_chars:
            raise ValueError(f"json value has more than {limits.max_chars} parts")
        if isinstance(item, dict):
            if depth >= limits.max_depth:
                raise ValueError(f"json nested deeper than {limits.max_depth} levels")
            for key, sub in item.items():
                if not isinstance(key, str):
                    raise ValueError(f"object key {key!r} is not a string")
                stack.append((sub, depth + 1))
        elif isinstance(item, list | tuple):
            if depth >= limits.max_depth:
                raise ValueError(f"json nested deeper than {limits.max_depth} levels")
            stack.extend((sub, depth + 1) for sub in item)
        elif isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        elif isinstance(item, int):
            if item.bit_length() > limits.max_int_digits * 3.33:
                raise ValueError(f"integer exceeds {limits.max_int_digits} digits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"non-finite number {item}")
        else:
            raise ValueError(f"value of type {type(item).__name__} is not json")


def _flat_ok(value: dict[Any, Any], limits: JsonLimits) -> bool:
    """Whether ``value`` is an object of plain scalars that :func:`check_value` accepts (the
    common shape of call arguments); False means: check it the general way."""
    if len(value) >= limits.max_chars or limits.max_depth <= 0:
        return False
    for key, item in value.items():
        kind = type(item)
        if type(key) is not str:
            return False
        if kind is str or kind is bool or item is None:
            continue
        if kind is float:
            if not math.isfinite(item):
                return False
        elif kind is not int or item.bit_length() > limits.max_int_digits * 3.33:
            return False
    return True
