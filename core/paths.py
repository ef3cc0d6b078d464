"""Response paths: where a dependent argument's value sits in a producer's response.

A path is a dotted key sequence with list indices: ``data[0].id``, ``hotels[0].property.latitude``,
``[0].coordinates.latitude``. Responses usually wrap their payload as
``{"status", "message", "data"}``; a path that does not resolve from the response root is
resolved from its ``data`` payload (so ``[0].id`` and ``data[0].id`` mean the same thing).
"""

from __future__ import annotations

import functools
import re
from typing import Any

_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Returned by :func:`resolve` when the path does not exist in the response."""


@functools.lru_cache(maxsize=8192)
def parse_path(path: str) -> tuple[str | int, ...]:
    """Split a path into keys (str) and indices (int); raise ValueError if it is malformed.

    Memoised (a few distinct paths are resolved millions of times by synthesis)."""
    tokens: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"malformed response path {path!r} at position {pos}")
        index, key = match.groups()
        tokens.append(int(index) if index is not None else key)
        pos = match.end()
    if not tokens:
        raise ValueError("empty response path")
    return tuple(tokens)


def get_path(value: Any, tokens: tuple[str | int, ...]) -> Any:
    """Follow ``tokens`` into ``value``; return :data:`MISSING` where a step does not exist."""
    for token in tokens:
        if isinstance(token, int):
            if not isinstance(value, list) or token >= len(value):
                return MISSING
        elif not isinstance(value, dict) or token not in value:
            return MISSING
        value = value[token]
    return value


def resolve(response: Any, path: str) -> Any:
    """The value at ``path`` in ``response`` (root first, then its ``data`` payload), or MISSING."""
    tokens = parse_path(path)
    found = get_path(response, tokens)
    if found is MISSING and isinstance(response, dict) and "data" in response:
        found = get_path(response["data"], tokens)
    return found
