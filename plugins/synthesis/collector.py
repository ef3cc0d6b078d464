"""Fewer garbage-collector passes while a sampler builds many long-lived objects.

A sampler keeps what it emits: every task holds its real responses, hundreds of dicts and lists
each. CPython runs a full collection whenever the objects that survived the young generations
grow by a quarter, and each full collection walks the whole heap; on a 10^5-entry cache these
passes took 45% of the constrained sampler's time (``benchmarks/synthesis_efficiency.py``,
measured with ``gc.callbacks``), while finding nothing to free: decoded JSON has no cycles.

:func:`fewer_collections` raises the young-generation threshold (``gc.set_threshold``'s first
value) to at least ``threshold`` and returns the previous thresholds, which the sampler restores
(:func:`restore`) when it finishes or is closed, however it ends. Collections still run (young
ones every ``threshold`` allocations), so cyclic garbage made meanwhile is still freed, only
later. The threshold is process-wide: code running between the sampler's yields (and other
threads) sees the raised value too.
"""

from __future__ import annotations

import gc

THRESHOLD = 50_000


def fewer_collections(threshold: int = THRESHOLD) -> tuple[int, ...]:
    """Raise the young-generation threshold to at least ``threshold``; return the thresholds
    to :func:`restore`."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], threshold), *before[1:])
    return before


def restore(before: tuple[int, ...]) -> None:
    """Put back the thresholds :func:`fewer_collections` returned."""
    gc.set_threshold(*before)
