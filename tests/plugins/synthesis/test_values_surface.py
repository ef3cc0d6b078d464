from __future__ import annotations

import pytest

from orchestrl.plugins.synthesis.surface import statable, states, surface_forms
from orchestrl.plugins.synthesis.values import STRONG, TEXT, WEAK, canonical, same, strength


def test_numbers_and_numeric_strings_are_the_same_value() -> None:
    assert same(755355561, "755355561")
    assert same(32.873055, "32.873055")
    assert same(2.0, 2)
    assert not same(True, 1)
    assert not same("true", True)
    assert canonical([1]) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("eyJ1ZmkiOi0yNjAyNTEyfQ==", STRONG),
        ("BOM.AIRPORT", STRONG),
        ("PRPUAyqNKVwd", STRONG),
        (-2601889, STRONG),
        (32.873055, STRONG),
        ("San Diego Marriott La Jolla", TEXT),
        ("2024-10-14", WEAK),
        ("08:00", WEAK),
        (2, WEAK),
        ("trending", WEAK),
        (True, WEAK),
    ],
)
def test_evidence_strength(value: object, expected: str) -> None:
    assert strength(value) == expected


def test_dates_times_and_enums_have_natural_forms() -> None:
    query = "Pick it up at 8 AM on October 14th and sort by the most booked, for two adults."
    assert states(query, "08:00")
    assert states(query, "2024-10-14")
    assert states(query, "attr_book_score")
    assert states(query, 2)
    assert not states(query, "2024-10-15")
    assert not states(query, "09:00")
    assert not states(query, 3)
    assert "14:00" in surface_forms("14:00") and "2 pm" in surface_forms("14:00")


def test_numbers_are_not_found_inside_other_numbers() -> None:
    assert not states("latitude 32.87", 2)
    assert not states("room 12", 2)
    assert states("coordinates 32.873055, -117.2", 32.873055)


def test_opaque_values_are_not_statable() -> None:
    assert not statable("eyJ1ZmkiOi0yNjAyNTEyfQ==")
    assert not statable([{"fromId": "BOM.AIRPORT"}])
    assert statable("Paris") and statable(48.8566) and statable("2024-12-01")
