"""Checks an import applies to every record before anything is written.

* :func:`loads_record` parses one JSONL line strictly: a duplicate object key, or an integer
  beyond Python's int-string limit, is an error naming the line (``json.loads`` silently keeps
  the last duplicate, and raises a bare ValueError on the integer).
* :func:`check_recordings` refuses a function name that is not a valid tool name (a space
  would split the cache key: ``key_function`` reads the name up to the first space), and a name
  the world's tool schemas do not know unless ``allow_unknown``; it counts, for a warning,
  unknown tools kept and calls whose arguments break their tool's schema.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrl.errors import DataError
from orchestrl.plugins.tools.schema import ToolSchema, validate_call

TOOL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}")
"""A valid tool name: letters, digits, ``_``, ``.``, ``-``; at most 128 characters."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key[:60]!r} in an object")
            seen.add(key)
    return record


def loads_record(text: str) -> Any:
    """One JSON value, refusing duplicate keys; ValueError (a short reason) when it cannot be.

    Raises json.JSONDecodeError for malformed text, RecursionError for deep nesting.
    """
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            raise ValueError(f"an integer has more than {limit} digits") from None
        raise


@dataclass
class CheckCounts:
    """What the checks let through with a warning: unknown tools kept, mistyped calls."""

    unknown_tools: Counter[str] = field(default_factory=Counter)
    mismatched: Counter[str] = field(default_factory=Counter)
    first_mismatch: str = ""

    def warnings(self, path: str) -> list[str]:
        """One line per kind of problem, with counts, naming ``path``."""
        lines = []
        if self.unknown_tools:
            names = ", ".join(f"{n} ({c})" for n, c in self.unknown_tools.most_common(5))
            lines.append(f"{path}: {sum(self.unknown_tools.values())} calls of tools the world "
                         f"does not know, kept: {names}")
        if self.mismatched:
            lines.append(f"{path}: {sum(self.mismatched.values())} calls break their tool's "
                         f"schema (first: {self.first_mismatch})")
        return lines


def check_recordings(
    located: Sequence[tuple[str, str, Mapping[str, Any]]],
    schemas: Mapping[str, ToolSchema],
    *,
    allow_unknown: bool = False,
) -> CheckCounts:
    """Check ``(where, function, arguments)`` triples; DataError (naming ``where``) on the first
    invalid name, or unknown name unless ``allow_unknown``. Without schemas (a world whose
    cache is untyped) names are only checked to be valid tool names."""
    counts = CheckCounts()
    for where, function, arguments in located:
        if not TOOL_NAME.fullmatch(function):
            raise DataError(f"{where}: {function[:80]!r} is not a valid tool name (letters, "
                            "digits, '_', '.', '-'; no spaces); nothing was imported")
        if not schemas:
            continue
        schema = schemas.get(function)
        if schema is None:
            if not allow_unknown:
                raise DataError(f"{where}: unknown tool '{function}' (not among the world's "
                                f"{len(schemas)} tools); pass --allow-unknown to keep it; "
                                "nothing was imported")
            counts.unknown_tools[function] += 1
            continue
        violations = validate_call(schema, dict(arguments))
        if violations:
            counts.mismatched[function] += 1
            if not counts.first_mismatch:
                counts.first_mismatch = f"{where}: {violations[0].message}"
    return counts
