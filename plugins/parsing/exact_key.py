"""Exact memo keys of JSON values, made in one C call: their ``marshal`` bytes.

``marshal`` writes each value with its exact type (``True``, ``1`` and ``1.0`` differ, so do
``0.0`` and ``-0.0``; dicts in key order; lists and tuples apart) and refuses subclasses and
other objects, and equal bytes decode to equal values of equal types. Only buffers (``bytes``,
``bytearray``, ``memoryview``) share one code. So a memo that *stores* values of plain JSON
types only (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, None; checked by the
caller when it stores) and *looks up* by :func:`exact_bytes` never confuses two values: bytes
found in it decode to plain JSON, and a value with the same bytes is that JSON, value for
value, type for type and in key order. Two equal values may get different bytes (``marshal``
marks objects referenced more than once): a miss, never a wrong hit. The bytes are only ever
compared and hashed in this process, never decoded.
"""

from __future__ import annotations

import marshal
from typing import Any


def exact_bytes(value: Any) -> bytes | None:
    """The ``marshal`` bytes of ``value`` (see the module docstring), None when refused."""
    try:
        return marshal.dumps(value)
    except (ValueError, TypeError, RecursionError):
        return None
