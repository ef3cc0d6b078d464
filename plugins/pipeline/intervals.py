"""95% bootstrap confidence intervals over items, alone and paired.

Every metric here is a ratio of sums over items (``Σ numerator / Σ denominator``, as
ComplexFuncBench micro-averages turn and call accuracy; a plain mean has denominator 1 per
item), given per item as :meth:`orchestrl.api.Benchmark.item_counts` returns it. An interval
resamples the items with replacement ``resamples`` times and takes the percentiles of the
recomputed metric (resamples whose denominator is 0 are left out). A paired comparison of two
evaluations uses the items they share, draws the same resampled items for both, and gives the
interval of the difference ``b - a``: the variation between items cancels, so it is much
tighter than two separate intervals. Deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

Counts = Mapping[str, Mapping[str, tuple[float, float]]]
"""Item id -> metric -> (numerator, denominator)."""

RESAMPLES = 2000
LEVEL = 0.95


def interval(counts: Counts, metric: str, *, resamples: int = RESAMPLES, seed: int = 0,
             level: float = LEVEL) -> dict[str, Any]:
    """``{"value", "low", "high", "items"}`` of ``metric`` over the items of ``counts`` (None
    values where no item has a denominator)."""
    num, den = _arrays(counts, sorted(counts), metric)
    if den.sum() == 0:
        return {"value": None, "low": None, "high": None, "items": len(num)}
    draws = _draws(len(num), resamples, seed)
    low, high = _percentiles(_ratios(num[draws], den[draws]), level)
    return {"value": float(num.sum() / den.sum()), "low": low, "high": high,
            "items": len(num)}


def paired(a: Counts, b: Counts, metric: str, *, resamples: int = RESAMPLES, seed: int = 0,
           level: float = LEVEL) -> dict[str, Any]:
    """``{"diff", "low", "high", "items"}``: ``metric`` of ``b`` minus that of ``a`` over their
    shared items, with the paired bootstrap interval of the difference."""
    shared = sorted(set(a) & set(b))
    num_a, den_a = _arrays(a, shared, metric)
    num_b, den_b = _arrays(b, shared, metric)
    if den_a.sum() == 0 or den_b.sum() == 0:
        return {"diff": None, "low": None, "high": None, "items": len(shared)}
    draws = _draws(len(shared), resamples, seed)
    diffs = _ratios(num_b[draws], den_b[draws]) - _ratios(num_a[draws], den_a[draws])
    low, high = _percentiles(diffs, level)
    return {"diff": float(num_b.sum() / den_b.sum() - num_a.sum() / den_a.sum()),
            "low": low, "high": high, "items": len(shared)}


def excludes_zero(found: Mapping[str, Any]) -> bool:
    """Whether an interval (of a difference) lies wholly above or below 0."""
    low, high = found.get("low"), found.get("high")
    return low is not None and high is not None and (low > 0 or high < 0)


def _arrays(counts: Counts, ids: list[str], metric: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = [counts[i].get(metric, (0.0, 0.0)) for i in ids]
    values = np.asarray(pairs, dtype=float).reshape(len(ids), 2)
    return values[:, 0], values[:, 1]


def _draws(n: int, resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def _ratios(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    totals = den.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, num.sum(axis=1) / np.where(totals > 0, totals, 1), np.nan)


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2 * 100
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return float(low), float(high)
