"""The order-aware one-to-one assignment."""

from __future__ import annotations

from orchestrl.plugins.rewards.matching import assign


def _table(predicted, gold, table):
    return assign(predicted, gold, lambda p, g: table.get((p, g), 0.0))


def test_repeated_function_goes_to_its_own_occurrence() -> None:
    # gold: A(x=1), A(x=2); predicted: A(x=2), A(x=1) -> each to its equal arguments
    matched = _table(["A", "A"], ["A", "A"], {(0, 1): 1.0, (1, 0): 1.0})
    assert matched == {1: 0, 0: 1}


def test_ties_follow_occurrence_order() -> None:
    assert assign(["A", "A", "A"], ["A", "A"], lambda p, g: 0.5) == {0: 0, 1: 1}


def test_one_to_one_and_same_function_only() -> None:
    matched = assign(["A", "B", None, "A", "C"], ["B", "A", "D"], lambda p, g: 1.0)
    assert matched == {0: 1, 1: 0}
    assert len(set(matched.values())) == len(matched)


def test_better_arguments_win_over_order() -> None:
    matched = _table(["A", "A"], ["A"], {(1, 0): 0.9, (0, 0): 0.2})
    assert matched == {0: 1}


def test_thousands_of_candidates() -> None:
    predicted = ["A"] * 3_000 + ["B"] * 3_000
    matched = assign(predicted, ["A", "B", "A"], lambda p, g: 0.0)
    assert matched == {0: 0, 2: 1, 1: 3_000}
