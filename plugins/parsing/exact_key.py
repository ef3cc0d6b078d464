"""Exact memo keys of JSON values, made in one C call: their ``marshal`` bytes.

``marshal`` writes each value with its exact type (``True``, ``1`` and ``1.0`` differ, so do
``0.0`` and ``-0.0``; dicts in key order; lists and tuples apart) and refuses subclasses and
other objects, and equal bytes decode to equal values of equal types. Only buffers (``bytes``,
``bytearray``, ``memoryview``) share one code. So a memo that *stores* values of plain JSON
types only (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, None; checked by the
caller when it stores) and *looks up* by :func:`exact_bytes` never confuses two values: bytes
found in it decode to plain JSON, and a value with the same bytes is that JSON, value for
value, type for type and in key order. The bytes are only ever compared and hashed in this
process, never decoded.

The bytes are written in ``marshal`` format version 2 (:data:`VERSION`): from version 3 on,
``marshal`` flags every object whose reference count exceeds one and marks interned strings,
so equal values held by different objects (a call decoded afresh, the same arguments copied
into another dict, a key that ``json`` shared across a batch) got different bytes and
missed the memo by chance. Version 2 writes content and exact types only: equal JSON, equal
bytes, however it is held.
"""

from __future__ import annotations

import marshal
from typing import Any

VERSION = 2
"""``marshal`` format of the keys: the last without object references or interning flags."""


def exact_bytes(value: Any) -> bytes | None:
    """The ``marshal`` bytes of ``value`` (see the module docstring), None when refused."""
    try:
        return marshal.dumps(value, VERSION)
    except (ValueError, TypeError, RecursionError):
        return None
