"""The canonical key of a tool call: the one definition of "the same call".

Two calls share a key exactly when :func:`canonical_key` returns the same string for them.
The canonical form is::

    <function> <canonical arguments JSON>[ @<canonical state JSON>]

where

* ``<function>`` is the tool name, unicode-NFC-normalised and stripped of surrounding spaces;
* the arguments are first normalised by the tool's declared types
  (:func:`orchestrl.plugins.tools.schema.coerce_arguments`): ``"47.45"`` for a ``number``
  parameter is ``47.45``, ``"true"`` for a ``boolean`` is ``true``;
* ``None`` values are dropped, so an optional argument given as ``null`` equals one left out
  (also inside nested objects);
* every finite float that is integral becomes an int (``2.0`` is ``2``, with or without a
  schema); non-finite floats stay floats and are written as the bare JSON extensions ``NaN``,
  ``Infinity``, ``-Infinity``, so they never equal the strings ``"NaN"``, ``"Infinity"``,
  ``"-Infinity"`` (which are written quoted);
* every string and object key is unicode-NFC-normalised (``"Zu\\u0308rich"`` is ``"Zürich"``);
  strings are otherwise kept exactly (case and spaces matter to the API);
* objects are written with sorted keys, no whitespace, non-ASCII characters kept
  (``ensure_ascii=False``); booleans stay distinct from numbers (``true`` is not ``1``);
* ``state`` (any JSON value, for stateful APIs; None for stateless ones) is normalised the same
  way and appended after ``" @"``;
* when the whole key would exceed :data:`MAX_KEY_CHARS`, the part after the function name is
  replaced by ``sha256:<hex digest of it>`` so keys stay bounded.

Without a schema only the type-independent rules apply (no string-to-number conversion), so a
cache must be written and read with the same schemas (:class:`ResponseCache` holds them).
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

from orchestrl.api import JSON
from orchestrl.plugins.tools.schema import coerce_arguments

if TYPE_CHECKING:
    from orchestrl.plugins.tools.schema import ToolSchema

MAX_KEY_CHARS = 2048
"""Longest key kept readable; longer ones end in a sha256 digest."""


def canonical_value(value: JSON) -> JSON:
    """``value`` in canonical form (see the module docstring); raise ValueError if too deep."""
    try:
        return _canon(value)
    except RecursionError:
        raise ValueError("value is nested too deeply for a cache key") from None


def canonical_json(value: JSON) -> str:
    """The canonical JSON text of ``value``: normalised, sorted keys, compact, non-ASCII kept."""
    try:
        return json.dumps(canonical_value(value), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False)
    except RecursionError:
        raise ValueError("value is nested too deeply for a cache key") from None


def canonical_arguments(
    function: str, arguments: Mapping[str, JSON], schema: ToolSchema | None = None
) -> dict[str, JSON]:
    """The arguments as the key sees them: type-coerced by ``schema``, then canonical."""

    if not isinstance(arguments, Mapping):
        raise ValueError(f"the arguments of '{function}' are not an object")
    coerced = coerce_arguments(schema, arguments)
    result = canonical_value(coerced)
    assert isinstance(result, dict)
    return result


def canonical_key(
    function: str,
    arguments: Mapping[str, JSON],
    schema: ToolSchema | None = None,
    state: JSON = None,
) -> str:
    """The cache key of calling ``function`` with ``arguments`` (in ``state``); see module doc.

    Raises ValueError when the arguments are not an object or are nested too deeply to encode.
    """
    name = unicodedata.normalize("NFC", str(function)).strip()
    return key_from_canonical(name, canonical_arguments(name, arguments, schema), state)


def key_from_canonical(name: str, arguments: dict[str, JSON], state: JSON = None) -> str:
    """The key of a normalised function ``name`` and already canonical ``arguments``
    (the output of :func:`canonical_arguments`, which is not normalised again)."""
    try:
        body = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError as exc:  # an integer beyond the int-string limit
        raise ValueError(f"the arguments of '{name}' cannot be keyed ({exc})") from None
    if state is not None:
        body = f"{body} @{canonical_json(state)}"
    if len(name) + 1 + len(body) > MAX_KEY_CHARS:
        body = "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()
    return f"{name} {body}"


def key_function(key: str) -> str:
    """The function name a canonical key starts with."""
    return key.split(" ", 1)[0]


def _canon(value: JSON) -> JSON:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else value
    if isinstance(value, Mapping):
        return {
            unicodedata.normalize("NFC", str(k)): _canon(v)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    raise ValueError(f"a {type(value).__name__} is not a JSON value")
