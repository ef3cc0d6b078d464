"""Counters of what the environment did, per episode and per run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from orchestrl.api import ErrorKind, ToolResult


@dataclass
class Counters:
    """Calls, cache hits and misses (by function), validation and API errors (by kind)."""

    calls: int = 0
    hits: int = 0
    misses: int = 0
    validation_errors: int = 0
    api_errors: int = 0
    live_fetches: int = 0
    calls_by_function: Counter[str] = field(default_factory=Counter)
    misses_by_function: Counter[str] = field(default_factory=Counter)
    errors_by_kind: Counter[str] = field(default_factory=Counter)

    def record(self, name: str, result: ToolResult, *, missed: bool, fetched: bool) -> None:
        """Count one answered call (``missed``: the cache had no entry; ``fetched``: live)."""
        self.calls += 1
        self.calls_by_function[name] += 1
        self.hits += result.cache_hit
        if missed:
            self.misses += 1
            self.misses_by_function[name] += 1
        self.live_fetches += fetched
        if result.error_kind is not None:
            self.errors_by_kind[result.error_kind] += 1
            self.validation_errors += result.error_kind in ErrorKind.VALIDATION
            self.api_errors += result.error_kind == ErrorKind.API_ERROR

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-compatible values (counters as sorted dicts)."""
        return {
            "calls": self.calls, "hits": self.hits, "misses": self.misses,
            "validation_errors": self.validation_errors, "api_errors": self.api_errors,
            "live_fetches": self.live_fetches,
            "calls_by_function": dict(sorted(self.calls_by_function.items())),
            "misses_by_function": dict(sorted(self.misses_by_function.items())),
            "errors_by_kind": dict(sorted(self.errors_by_kind.items())),
        }


@dataclass
class EnvCounters:
    """The current episode's counters, the whole run's, and the number of episodes."""

    episode: Counters = field(default_factory=Counters)
    run: Counters = field(default_factory=Counters)
    episodes: int = 0

    def record(self, name: str, result: ToolResult, *, missed: bool, fetched: bool) -> None:
        """Count one call in both the episode and the run."""
        self.episode.record(name, result, missed=missed, fetched=fetched)
        self.run.record(name, result, missed=missed, fetched=fetched)

    def new_episode(self) -> None:
        """Start counting a new episode."""
        self.episode = Counters()
        self.episodes += 1
