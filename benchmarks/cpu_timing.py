"""CPU-time rates for the benchmarks: many passes per timing, median and spread over rounds.

A pass over a small batch lasts a few milliseconds, so one pass per timing (best of a few)
mostly measures the machine's noise. :func:`timed_rate` times a path over passes adding up to
at least ``min_seconds`` of this process's CPU time (``time.process_time``: other work on a
shared machine inflates wall time, not it). The machine's speed still drifts within seconds,
so a ratio of two paths' medians can be off by tens of percent: :func:`paired_rates` runs
``rounds`` rounds over every path, times a baseline right before each path's timing and keeps
each round's rate and ratio; :class:`Rates` gives their median, min and max, and the median
ratio is the figure to compare paths by.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timed:
    """One timed path: ``setup()`` builds a pass's input, untimed (a new batch, memos
    emptied); ``run(that)`` is the timed pass, over ``items`` items."""

    label: str
    run: Callable[[Any], object]
    setup: Callable[[], Any] = lambda: None
    items: int = 1


@dataclass(frozen=True)
class Rates:
    """A path's rates (items per CPU second), one per round."""

    rounds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    @property
    def low(self) -> float:
        return min(self.rounds)

    @property
    def high(self) -> float:
        return max(self.rounds)

    def spread(self) -> str:
        """``min-max`` in thousands (``12.1-14.0k``)."""
        return f"{self.low / 1000:.1f}-{self.high / 1000:.1f}k"


def timed_rate(path: Timed, min_seconds: float) -> float:
    """Items per CPU second over passes of ``path`` adding up to ``min_seconds`` (at least
    one pass; each pass's setup is not timed)."""
    spent, passes = 0.0, 0
    while passes == 0 or spent < min_seconds:
        argument = path.setup()
        start = time.process_time()
        path.run(argument)
        spent += time.process_time() - start
        passes += 1
    return passes * path.items / spent if spent > 0 else float("inf")


@dataclass(frozen=True)
class Paired:
    """A path's rates and, per round, its rate over the baseline's rate timed just before."""

    rates: Rates
    ratios: Rates


def paired_rates(
    paths: Sequence[Timed], baseline: Timed, rounds: int, min_seconds: float
) -> tuple[Rates, list[Paired]]:
    """Each path's rate in each of ``rounds`` rounds, with ``baseline`` timed right before it;
    a path's ratio in a round is its rate over that timing of the baseline. Every timing
    follows one untimed pass of its path (its warm state: another path may have emptied a
    memo). Returns the baseline's rates (all its timings) and each path's."""
    rates: list[list[float]] = [[] for _ in paths]
    ratios: list[list[float]] = [[] for _ in paths]
    bases: list[float] = []
    for _ in range(rounds):
        for path, kept, ratio in zip(paths, rates, ratios, strict=True):
            bases.append(_warm_rate(baseline, min_seconds))
            kept.append(_warm_rate(path, min_seconds))
            ratio.append(kept[-1] / bases[-1])
    paired = [Paired(Rates(tuple(r)), Rates(tuple(q))) for r, q in zip(rates, ratios, strict=True)]
    return Rates(tuple(bases)), paired


def _warm_rate(path: Timed, min_seconds: float) -> float:
    path.run(path.setup())
    return timed_rate(path, min_seconds)
