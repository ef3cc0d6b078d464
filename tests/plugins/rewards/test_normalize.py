"""Value normalisation: equal meanings compare equal, different ones do not."""

from __future__ import annotations

import pytest

from orchestrl.plugins.rewards.normalize import normalize_value, values_equal


@pytest.mark.parametrize(
    ("predicted", "gold"),
    [
        ("2024-11-25", "Nov 25, 2024"),
        ("2024/11/25", "25th November 2024"),
        ("25 Nov 2024", "2024-11-25"),
        ("9:00 pm", "21:00"),
        ("09:00:00", "9:00"),
        ("12:30 am", "00:30"),
        ("2024-11-25T10:00", "2024-11-25 10:00"),
        ("  Paris   France ", "paris france"),
        ("ZÜRICH", "zürich"),
        ("47.4519", 47.45190000001),
        (2, 2.0),
        ("-2092174", -2092174),
        (8.56281, "8.56281"),
        ({"a": [1, "X"]}, {"a": [1.0, "x"]}),
        (
            [{"fromId": "BOM.AIRPORT", "date": "2026-03-27"}],
            [{"date": "Mar 27, 2026", "fromId": "bom.airport"}],
        ),
    ],
)
def test_equal_meanings(predicted, gold) -> None:
    assert values_equal(predicted, gold)
    assert values_equal(gold, predicted)


@pytest.mark.parametrize(
    ("predicted", "gold"),
    [
        ("2024-11-25", "2024-11-26"),
        ("20241125", "2024-11-25"),  # the reference's punctuation stripping made these equal
        ("9:00", "9:01"),
        ("13:00 pm", "13:00"),  # not a valid 12-hour time: compared as text
        (47.45, 47.46),
        (True, 1),
        (True, "true"),
        ("Paris", "Pariss"),
        ([1, 2], [2, 1]),
        ([1, 2], [1, 2, 3]),
        ({"a": 1}, {"a": 1, "b": 2}),
        (None, ""),
        ("2024-02-30", "2024-03-01"),
    ],
)
def test_different_meanings(predicted, gold) -> None:
    assert not values_equal(predicted, gold)


def test_numeric_tolerance_is_relative() -> None:
    assert values_equal(1_000_000.0, 1_000_000.5)
    assert not values_equal(1.0, 1.5)
    assert values_equal(0.0, 1e-12)


def test_sets_ignore_order_only_when_asked() -> None:
    assert values_equal(["b", "A"], ["a", "B"], unordered=True)
    assert not values_equal(["b", "A"], ["a", "B"])


def test_boolean_strings_under_a_boolean_schema() -> None:
    assert values_equal("TRUE", True, param_type="boolean")
    assert not values_equal("TRUE", True)


def test_canonical_forms_are_hashable_and_bounded() -> None:
    deep: object = 1
    for _ in range(500):
        deep = [deep]
    for value in (deep, {"k": deep}, "x" * 1_000_000, 10**200, -(10**400), [None, True]):
        form = normalize_value(value)
        hash(form)
    assert values_equal("A" * 1_000_000, "a" * 1_000_000)
