"""Exact bytes tell apart every pair of JSON values that differ in value, type or key order."""

from __future__ import annotations

import enum
import json

from orchestrl.plugins.parsing.exact_key import exact_bytes

DISTINCT = [
    1, 1.0, True, "1", 0, 0.0, -0.0, False, None, "", [], {}, [1], [1.0], [True], (1,),
    {"a": 1}, {"a": 1.0}, {"a": True}, {"a": 1, "b": 2}, {"b": 2, "a": 1}, [[1]], [{"a": 1}],
    float("inf"), 10**70, "é", {"a": [1, {"b": 2}]}, {"a": [1, {"b": 2.0}]},
]


def test_values_that_differ_get_different_bytes() -> None:
    keys = [exact_bytes(v) for v in DISTINCT]
    assert None not in keys
    assert len(set(keys)) == len(DISTINCT)


def test_equal_values_decoded_afresh_get_equal_bytes() -> None:
    text = json.dumps({"name": "f", "arguments": {"a": 1, "b": [1.5, "x", None, True]}})
    assert exact_bytes(json.loads(text)) == exact_bytes(json.loads(text))


class _Text(str):
    pass


class _Number(enum.IntEnum):
    ONE = 1


def test_subclasses_and_other_objects_are_refused() -> None:
    for value in (_Text("a"), _Number.ONE, {"a": _Text("a")}, [object()], {"a": {1, 2}.pop}):
        assert exact_bytes(value) is None, value
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    assert exact_bytes(deep) is None


def test_equal_values_get_equal_bytes_however_they_are_held() -> None:
    # marshal from version 3 flags shared objects (reference count > 1) and interned strings;
    # the keys must depend on the content alone
    literal = {"name": "Search_Hotels", "arguments": {"dest_id": "-2092174", "adults": 2}}
    decoded = json.loads(json.dumps(literal))
    shared_key = json.loads(json.dumps([literal, literal]))  # json shares keys in one text
    held = [decoded["arguments"]["dest_id"]] * 5  # more references to one value
    assert held
    assert exact_bytes(literal) == exact_bytes(decoded) == exact_bytes(shared_key[0])
    assert exact_bytes(dict(decoded)) == exact_bytes(decoded)
