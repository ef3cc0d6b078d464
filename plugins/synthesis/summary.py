"""What a synthesis run did: attempts, valid traces, drops by reason, per-template counts and the
complexity histogram of what was emitted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from orchestrl.api import Task


@dataclass
class SynthesisSummary:
    """Counters of one ``sample`` call (``valid`` counts emitted tasks)."""

    sampler: str = ""
    attempts: int = 0
    valid: int = 0
    search_nodes: int = 0
    exhausted_templates: list[str] = field(default_factory=list)
    abandoned_templates: list[str] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    per_template: Counter[str] = field(default_factory=Counter)
    complexity: dict[str, Counter[int]] = field(default_factory=dict)
    seconds: float = 0.0

    def emitted(self, task: Task) -> None:
        """Count an emitted task."""
        self.valid += 1
        self.per_template[str(task.metadata.get("template", ""))] += 1
        for name, value in (task.metadata.get("complexity") or {}).items():
            self.complexity.setdefault(name, Counter())[int(value)] += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "sampler": self.sampler,
            "attempts": self.attempts,
            "valid": self.valid,
            "valid_per_attempt": self.valid / self.attempts if self.attempts else 0.0,
            "seconds": round(self.seconds, 3),
            "valid_per_second": self.valid / self.seconds if self.seconds else 0.0,
            "search_nodes": self.search_nodes,
            "dropped": dict(sorted(self.dropped.items())),
            "exhausted_templates": sorted(self.exhausted_templates),
            "abandoned_templates": sorted(self.abandoned_templates),
            "per_template": dict(self.per_template.most_common()),
            "complexity": {k: dict(sorted(v.items())) for k, v in sorted(self.complexity.items())},
        }
