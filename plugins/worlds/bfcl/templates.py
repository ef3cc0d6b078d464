"""Workflow templates of the BFCL world, mined from the ground-truth call sequences.

A template is the shape of a conversation's ground truth: the function names each user turn
calls, in order (``(("cd", "mkdir", "mv"), ("cd", "grep"), ...)``). Mining counts how many
entries share each shape and keeps their ids, the backend classes involved and the
complexity (turns, calls), so samplers can stratify by template and bound complexity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orchestrl.plugins.worlds.bfcl.calls import parse_call_string
from orchestrl.plugins.worlds.bfcl.entries import BfclEntry

Pattern = tuple[tuple[str, ...], ...]


@dataclass
class BfclTemplate:
    """One mined shape: per-turn function names, and the entries that have it."""

    pattern: Pattern
    classes: tuple[str, ...]
    entry_ids: list[str] = field(default_factory=list)

    @property
    def frequency(self) -> int:
        """Number of entries with this shape."""
        return len(self.entry_ids)

    @property
    def turns(self) -> int:
        """User turns of the shape."""
        return len(self.pattern)

    @property
    def calls(self) -> int:
        """Ground-truth calls of the shape."""
        return sum(len(turn) for turn in self.pattern)


def pattern_of(entry: BfclEntry) -> Pattern:
    """The per-turn function names of an entry's ground truth (parsed with ast, no eval)."""
    return tuple(
        tuple(parse_call_string(text, _positional_ok).name for text in turn)
        for turn in entry.ground_truth
    )


def mine_templates(entries: Iterable[BfclEntry]) -> list[BfclTemplate]:
    """Templates of ``entries``, most frequent first (ties by pattern, so the order is stable)."""
    found: dict[tuple[Pattern, tuple[str, ...]], BfclTemplate] = {}
    for entry in entries:
        classes = tuple(sorted(entry.involved_classes))
        pattern = pattern_of(entry)
        template = found.setdefault((pattern, classes), BfclTemplate(pattern, classes))
        template.entry_ids.append(entry.id)
    return sorted(found.values(), key=lambda t: (-t.frequency, t.pattern, t.classes))


def _positional_ok(name: str) -> list[str]:
    """Names for positional arguments when only the function name matters."""
    return [f"_{i}" for i in range(64)]
