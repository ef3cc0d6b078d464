"""The order-aware one-to-one assignment."""

from __future__ import annotations

import random

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


def _greedy(predicted, gold, similarity) -> dict[int, int]:
    """The module docstring's greedy order over every same-function candidate, spelled out."""
    matched: dict[int, int] = {}
    for name in dict.fromkeys(n for n in predicted if n is not None):
        preds = [p for p, n in enumerate(predicted) if n == name]
        golds = [g for g, n in enumerate(gold) if n == name]
        candidates = sorted(
            (-similarity(p, g), abs(pr - gr), p, g)
            for pr, p in enumerate(preds)
            for gr, g in enumerate(golds)
        )
        used: set[int] = set()
        for _, _, p, g in candidates:
            if g not in matched and p not in used:
                matched[g] = p
                used.add(p)
    return matched


def test_the_shortcuts_take_what_the_greedy_order_takes() -> None:
    # rank-aligned pairs that agree fully are taken without sorting; ties at 1.0 elsewhere,
    # partial agreement and unequal counts must still give the greedy order's assignment
    rng = random.Random(7)
    for _ in range(3_000):
        predicted = [rng.choice(["A", "B", None]) for _ in range(rng.randint(0, 6))]
        gold = [rng.choice(["A", "B"]) for _ in range(rng.randint(0, 5))]
        table = {
            (p, g): rng.choice([0.0, 0.5, 1.0, 1.0, 1.0])
            for p in range(len(predicted))
            for g in range(len(gold))
        }
        assert assign(predicted, gold, _lookup(table)) == _greedy(predicted, gold, _lookup(table))


def _lookup(table: dict[tuple[int, int], float]):
    return lambda p, g: table[p, g]
