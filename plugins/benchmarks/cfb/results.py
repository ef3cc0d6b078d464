"""The record of one evaluated item, as written to the per-item JSONL file.

Status:

* ``success`` — every required gold call of every turn was matched, then the model answered
  in text;
* ``failed`` — the episode stopped before that (``stop`` and ``failure`` say why);
* ``truncated`` — the item has gold calls whose observation is recorded nowhere, so only its
  first ``scored_turns`` turns (up to and including the first turn with a missing observation)
  were played; every required call of those was matched (otherwise the status is ``failed``);
* ``skipped`` — not played because of missing observations (``missing_gold: skip``).

Counts: ``turns_completed`` is the number of leading scored turns whose required calls were all
matched (free calls may be skipped); ``calls_correct`` counts matched gold calls plus free gold
calls skipped inside completed turns, each gold call at most once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrl.api import JSON

SUCCESS = "success"
FAILED = "failed"
TRUNCATED = "truncated"
SKIPPED = "skipped"


@dataclass
class ItemResult:
    """One item's outcome; every field is JSON-compatible."""

    id: str
    domain: str
    n_steps: int
    n_turns: int
    scored_turns: int
    scored_calls: int
    status: str = FAILED
    stop: str = ""
    failure: str | None = None
    turns_completed: int = 0
    calls_correct: int = 0
    model_turns: int = 0
    matched_by: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, JSON]] = field(default_factory=list)
    missing_gold: dict[str, str] = field(default_factory=dict)
    gold_sources: dict[str, int] = field(default_factory=dict)
    log: list[dict[str, JSON]] = field(default_factory=list)
    final_answer: str | None = None
    reward: float | None = None
    """The benchmark's reward preset on the episode's trajectory (None: not scored)."""

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object."""
        return asdict(self)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> ItemResult:
        """Read a record written by :meth:`to_json`; unknown keys are ignored."""
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in record.items() if k in known})
