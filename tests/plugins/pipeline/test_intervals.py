"""Bootstrap intervals over items, alone and paired."""

from __future__ import annotations

import pytest

from orchestrl.plugins.pipeline.intervals import excludes_zero, interval, paired


def _counts(values: list[tuple[float, float]]) -> dict[str, dict[str, tuple[float, float]]]:
    return {f"item-{i}": {"acc": v} for i, v in enumerate(values)}


def test_interval_is_the_ratio_of_sums_and_brackets_it() -> None:
    counts = _counts([(1, 2), (0, 1), (3, 3), (1, 4), (2, 2)] * 8)
    found = interval(counts, "acc", resamples=500, seed=1)
    assert found["value"] == pytest.approx(7 / 12)
    assert found["low"] < found["value"] < found["high"]
    assert found["items"] == 40
    again = interval(counts, "acc", resamples=500, seed=1)
    assert again == found  # deterministic for a seed


def test_interval_narrows_with_more_items() -> None:
    few = interval(_counts([(1, 1), (0, 1)] * 10), "acc", resamples=500)
    many = interval(_counts([(1, 1), (0, 1)] * 250), "acc", resamples=500)
    assert many["high"] - many["low"] < (few["high"] - few["low"]) / 3


def test_items_outside_a_metric_have_no_weight_and_no_denominator_gives_none() -> None:
    counts = _counts([(1, 1), (0, 0), (0, 1)])
    assert interval(counts, "acc")["value"] == 0.5
    assert interval(_counts([(0, 0)]), "acc")["value"] is None
    assert interval(counts, "other")["value"] is None


def test_paired_difference_of_identical_runs_is_exactly_zero() -> None:
    counts = _counts([(1, 2), (0, 1), (3, 3), (1, 4)] * 5)
    found = paired(counts, counts, "acc", resamples=300)
    assert found == {"diff": 0.0, "low": 0.0, "high": 0.0, "items": 20}
    assert not excludes_zero(found)


def test_a_consistent_gain_on_shared_items_excludes_zero_where_separate_intervals_overlap() -> None:
    # b answers one more item than a in 20 of 60, items vary a lot: the separate intervals
    # overlap, the paired one does not contain 0
    base = [(float(i % 2), 1.0) for i in range(60)]
    better = [(1.0, 1.0) if i % 3 == 0 else v for i, v in enumerate(base)]
    a, b = _counts(base), _counts(better)
    alone_a, alone_b = interval(a, "acc"), interval(b, "acc")
    assert alone_a["high"] > alone_b["low"]  # overlap
    found = paired(a, b, "acc")
    assert found["diff"] == pytest.approx(sum(v[0] for v in better) / 60 - 0.5)
    assert excludes_zero(found) and found["low"] > 0


def test_paired_uses_only_shared_items() -> None:
    a = _counts([(1, 1), (0, 1), (1, 1)])
    b = {"item-0": {"acc": (1.0, 1.0)}, "item-1": {"acc": (1.0, 1.0)}, "other": {"acc": (0.0, 1.0)}}
    found = paired(a, b, "acc", resamples=200)
    assert found["items"] == 2
    assert found["diff"] == pytest.approx(1.0 - 0.5)
