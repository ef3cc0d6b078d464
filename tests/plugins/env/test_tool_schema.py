"""Tool schemas and call validation on the real Booking tools."""

from __future__ import annotations

from orchestrl.api import ErrorKind
from orchestrl.plugins.tools.schema import coerce_arguments, load_schemas, validate_call
from orchestrl.plugins.worlds.booking.data import load_tasks


def test_every_gold_call_of_the_real_traces_is_valid(booking_dir):
    schemas = load_schemas(booking_dir)
    assert len(schemas) == 40
    calls = 0
    for name in ("train_101.jsonl", "eval_80.jsonl"):
        for task in load_tasks(booking_dir / name, {}):
            for step in task.steps:
                assert validate_call(schemas[step.function], step.arguments) == [], step
                calls += 1
    assert calls > 800


def test_declared_types_enums_and_endpoints(booking_dir):
    schemas = load_schemas(booking_dir)
    flights = schemas["Search_Flights"]
    assert flights.param_type("adults") == "number"
    assert flights.param_type("nope") is None
    assert flights.parameters["cabinClass"].enum == ("ECONOMY", "PREMIUM_ECONOMY", "BUSINESS",
                                                     "FIRST")
    assert flights.parameters["sort"].enum == ("BEST", "CHEAPEST", "FASTEST")
    assert flights.endpoint == "/api/v1/flights/searchFlights"
    legs = schemas["Search_Flights_Multi_Stops"].parameters["legs"]
    assert legs.type == "array" and legs.items is not None and legs.items.type == "dict"


def test_each_violation_kind_is_reported_with_a_usable_message(booking_dir):
    flights = load_schemas(booking_dir)["Search_Flights"]
    violations = validate_call(flights, {
        "fromId": 7, "cabinClass": "economy", "adults": "two", "bogus": 1, "departDate": None,
    })
    kinds = {(v.kind, v.parameter) for v in violations}
    assert kinds == {
        (ErrorKind.MISSING_REQUIRED, "toId"), (ErrorKind.MISSING_REQUIRED, "departDate"),
        (ErrorKind.WRONG_TYPE, "fromId"), (ErrorKind.INVALID_VALUE, "cabinClass"),
        (ErrorKind.WRONG_TYPE, "adults"), (ErrorKind.UNKNOWN_PARAMETER, "bogus"),
    }
    by_param = {v.parameter: v.message for v in violations}
    assert "ECONOMY" in by_param["cabinClass"] and "'economy'" in by_param["cabinClass"]
    assert "must be a number" in by_param["adults"]
    assert "departDate" in by_param["bogus"]  # lists the real parameters
    assert validate_call(flights, ["not", "an", "object"])[0].kind == ErrorKind.WRONG_TYPE


def test_nested_items_are_validated(booking_dir):
    multi = load_schemas(booking_dir)["Search_Flights_Multi_Stops"]
    violations = validate_call(multi, {"legs": [{"fromId": "A", "toId": 3, "x": 1}, "leg"]})
    assert {(v.kind, v.parameter) for v in violations} == {
        (ErrorKind.WRONG_TYPE, "legs[0].toId"), (ErrorKind.UNKNOWN_PARAMETER, "legs[0].x"),
        (ErrorKind.WRONG_TYPE, "legs[1]"),
    }


def test_coercion_by_declared_type(booking_dir):
    coords = load_schemas(booking_dir)["Search_Hotels_By_Coordinates"]
    kinds = {name: coords.param_type(name) for name in ("latitude", "adults", "radius")}
    coerced = coerce_arguments(coords, {"adults": "2", "radius": 10.0, "children_age": None,
                                        "latitude": "47.45"})
    assert coerced["adults"] == 2 and isinstance(coerced["adults"], int)
    assert coerced["radius"] == 10 and isinstance(coerced["radius"], int)
    assert "children_age" not in coerced
    assert coerced["latitude"] == (47.45 if kinds["latitude"] == "number" else "47.45")
