"""Edge cases of the canonical key."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrl.plugins.cache.keys import MAX_KEY_CHARS, canonical_key, key_function


@pytest.fixture
def coords(schemas):
    return schemas["Search_Hotels_By_Coordinates"]


def test_numeric_string_equals_number_only_for_number_parameters(schemas):
    flights = schemas["Search_Flights"]
    assert flights.param_type("adults") == "number"
    assert flights.param_type("fromId") == "string"
    base = {"fromId": "BOM.AIRPORT", "toId": "DEL.AIRPORT", "departDate": "2024-11-25"}
    assert canonical_key("Search_Flights", {**base, "adults": "2"}, flights) == canonical_key(
        "Search_Flights", {**base, "adults": 2}, flights)
    assert canonical_key("Search_Flights", {**base, "adults": "47.45"}, flights) == canonical_key(
        "Search_Flights", {**base, "adults": 47.45}, flights)
    # a string parameter keeps its string: "123" is not 123
    assert canonical_key("Search_Flights", {**base, "fromId": "123"}, flights) != canonical_key(
        "Search_Flights", {**base, "fromId": 123}, flights)
    # without a schema nothing is guessed
    assert canonical_key("Search_Flights", {"adults": "2"}) != canonical_key(
        "Search_Flights", {"adults": 2})


def test_integral_floats_key_order_and_absent_optionals():
    one = canonical_key("f", {"a": 2.0, "b": "x", "c": None})
    assert one == canonical_key("f", {"b": "x", "a": 2})
    assert one == 'f {"a":2,"b":"x"}'
    assert canonical_key("f", {"a": 2.5}) != canonical_key("f", {"a": 2})
    assert canonical_key("f", {"nested": {"z": 1.0, "y": None}}) == canonical_key(
        "f", {"nested": {"z": 1}})


def test_booleans_are_not_numbers_and_nan_is_keyed():
    assert canonical_key("f", {"a": True}) != canonical_key("f", {"a": 1})
    assert canonical_key("f", {"a": float("nan")}) == 'f {"a":NaN}'


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_not_their_names(text: str) -> None:
    number = float(text)
    assert canonical_key("f", {"a": number}) != canonical_key("f", {"a": text})
    assert canonical_key("f", {"a": [number]}) != canonical_key("f", {"a": [text]})
    assert canonical_key("f", {}, state={"s": number}) != canonical_key("f", {}, state={"s": text})
    assert canonical_key("f", {"a": number}) == canonical_key("f", {"a": float(text)})


def test_the_real_data_keeps_its_keys(booking_dir) -> None:
    """The digest of every gold call's key in the Booking traces, as computed before
    non-finite numbers were told apart from strings (ordinary values must key as before)."""
    import hashlib

    from orchestrl.plugins.tools.schema import load_schemas
    from orchestrl.plugins.worlds.booking.data import load_tasks, load_tools

    schemas = load_schemas(booking_dir)
    digest, count = hashlib.sha256(), 0
    for name in ("train_101.jsonl", "eval_80.jsonl"):
        for task in load_tasks(booking_dir / name, load_tools(booking_dir)):
            for step in task.steps:
                key = canonical_key(step.function, step.arguments, schemas.get(step.function))
                digest.update(key.encode() + b"\n")
                count += 1
    assert (count, digest.hexdigest()) == (
        829, "f63717e893a78e0e65f3a1022a5097ba032efa3c8c83e58b815812179319acee")


def test_unicode_is_nfc_normalised():
    composed = "Zürich"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert canonical_key("f", {"q": decomposed}) == canonical_key("f", {"q": composed})
    assert canonical_key("f", {decomposed: 1}) == canonical_key("f", {composed: 1})
    assert "Zürich" in canonical_key("f", {"q": composed})  # kept readable


def test_state_component_and_function_name():
    plain = canonical_key("f", {"a": 1})
    with_state = canonical_key("f", {"a": 1}, state={"cart": [1.0]})
    assert with_state == plain + ' @{"cart":[1]}'
    assert key_function(with_state) == "f"
    assert canonical_key(" f ", {"a": 1}) == plain


def test_long_keys_are_hashed_and_deep_ones_refused():
    key = canonical_key("f", {"q": "x" * (2 * MAX_KEY_CHARS)})
    assert len(key) < 100 and key.startswith("f sha256:")
    assert key != canonical_key("f", {"q": "y" * (2 * MAX_KEY_CHARS)})
    deep: list = []
    cursor = deep
    for _ in range(100_000):
        cursor.append([])
        cursor = cursor[0]
    with pytest.raises(ValueError, match="nested too deeply"):
        canonical_key("f", {"q": deep})
    with pytest.raises(ValueError, match="not an object"):
        canonical_key("f", ["not", "an", "object"])  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_key_ignores_order_and_none(arguments):
    reordered = dict(reversed(list(arguments.items())))
    with_none = {**arguments, "\x00absent": None}
    assert canonical_key("f", arguments) == canonical_key("f", reordered)
    assert canonical_key("f", arguments) == canonical_key("f", with_none)


def test_a_nan_argument_is_stored_and_found_apart_from_the_string() -> None:
    from orchestrl.plugins.cache.memory_backend import MemoryBackend
    from orchestrl.plugins.cache.response_cache import ResponseCache

    cache = ResponseCache(MemoryBackend())
    cache.put("f", {"a": float("nan")}, {"n": 1}, "test")
    cache.put("f", {"a": "NaN"}, {"s": 1}, "test")
    assert len(cache) == 2
    assert cache.lookup("f", {"a": float("nan")}).response == {"n": 1}
    assert cache.lookup("f", {"a": "NaN"}).response == {"s": 1}
