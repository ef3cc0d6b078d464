import pytest

from orchestrl.paths import MISSING, parse_path, resolve

RESPONSE = {
    "status": True,
    "data": {"hotels": [{"property": {"latitude": 47.45, "name": "A"}}], "count": 1},
}


def test_parse_path_splits_keys_and_indices():
    assert parse_path("hotels[0].property.latitude") == ("hotels", 0, "property", "latitude")
    assert parse_path("[0].coordinates.latitude") == (0, "coordinates", "latitude")
    assert parse_path("data[2][1].id") == ("data", 2, 1, "id")


@pytest.mark.parametrize("bad", ["", "a..b", "a[x]", "a[0"])
def test_parse_path_rejects_malformed_paths(bad):
    with pytest.raises(ValueError, match="path"):
        parse_path(bad)


def test_resolve_reads_from_root_then_data_payload():
    assert resolve(RESPONSE, "data.hotels[0].property.latitude") == 47.45
    assert resolve(RESPONSE, "hotels[0].property.latitude") == 47.45
    assert resolve({"data": [{"id": "x"}]}, "[0].id") == "x"


def test_resolve_returns_missing_for_absent_steps():
    assert resolve(RESPONSE, "hotels[3].property") is MISSING
    assert resolve(RESPONSE, "hotels.property") is MISSING
    assert resolve("not a dict", "a") is MISSING
    assert resolve({"data": None}, "[0]") is MISSING
