"""JSON-aware rendering of the real responses."""

from __future__ import annotations

import json

import pytest

from orchestrl.plugins.env.render import dumps, render_response
from orchestrl.plugins.worlds.booking.data import load_tasks


@pytest.fixture(scope="module")
def responses(booking_dir):
    return [s.response for t in load_tasks(booking_dir / "train_101.jsonl", {})
            for s in t.steps if s.response is not None]


@pytest.mark.parametrize("budget", [8192, 2000, 300])
def test_every_real_response_renders_as_valid_json_within_budget(responses, budget):
    broken_by_cutting = 0
    for response in responses:
        text = render_response(response, budget)
        assert len(text) <= budget
        parsed = json.loads(text)
        full = dumps(response)
        if len(full) <= budget:
            assert text == full
        else:
            assert "…" in text or "_truncated" in text  # says what it trimmed
            try:
                json.loads(full[:budget])
            except json.JSONDecodeError:
                broken_by_cutting += 1
            if budget >= 2000 and isinstance(parsed, dict) and isinstance(response, dict):
                assert set(response) <= set(parsed)  # top-level keys survive
    assert broken_by_cutting > 0  # the reference's character cut breaks some of them


def test_trimming_marks_lists_strings_and_depth():
    value = {"data": [{"name": "x" * 5000, "id": i} for i in range(100)]}
    parsed = json.loads(render_response(value, 1000))
    assert parsed["data"][-1].endswith("more items")
    assert "chars)" in parsed["data"][0]["name"]
    assert parsed["_truncated"].startswith("response shortened from")
    deep: list = []
    cursor = deep
    for _ in range(50_000):
        cursor.append([])
        cursor = cursor[0]
    assert json.loads(render_response(deep, 500))
    assert render_response([1] * 1000, 2) == "[]"
    assert json.loads(render_response({"a": float("nan")}, 100))["a"] == "NaN"
