"""The environment's shortcuts answer exactly as the long way: the size bound, lazy preferences."""

from __future__ import annotations

import json

import pytest

from orchestrl.api import ErrorKind, GoldStep, Task
from orchestrl.plugins.env.environment import CachedEnvironment, _flat_json_bound

EDGE_VALUES = ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline\x00\x1f", "Zürich",
               "東京", "emoji 😀😀", "\ud800 lone", 0, -1, 7, 2**63, -(2**200), 10**40, 0.0, -0.0,
               1e-308, -1.7976931348623157e308, 0.1 + 0.2, float("inf"), float("-inf"),
               float("nan"), True, False, None]


def test_the_bound_is_never_below_the_json_length(seeded):
    _, cache = seeded
    samples = [dict(e.arguments) for e in cache.entries()]
    samples += [{"k": v} for v in EDGE_VALUES]
    samples += [{f"key {i} ü😀": v for i, v in enumerate(EDGE_VALUES)}, {}]
    flat = 0
    for arguments in samples:
        bound = _flat_json_bound(arguments)
        if bound is None:
            assert any(isinstance(v, dict | list) for v in arguments.values())
            continue
        flat += 1
        assert bound >= len(json.dumps(arguments, default=str)), arguments
    assert flat > 300


def test_the_bound_declines_what_it_cannot_bound():
    assert _flat_json_bound({"a": {"b": 1}}) is None
    assert _flat_json_bound({"a": [1]}) is None
    assert _flat_json_bound({1: "a"}) is None
    assert _flat_json_bound(["a"]) is None
    assert _flat_json_bound({"a": object()}) is None


@pytest.mark.parametrize("limit", [20, 64, 100, 257])
def test_size_verdicts_match_the_exact_length(seeded, limit):
    schemas, cache = seeded
    env = CachedEnvironment(schemas, cache, max_argument_chars=limit)
    env.reset()
    for n in range(0, 60):
        for text in ("x" * n, "é" * n, "😀" * (n // 2)):
            arguments = {"query": text}
            too_long = len(json.dumps(arguments, default=str)) > limit
            result = env.call("Search_Car_Location", arguments)
            assert (result.error_kind == ErrorKind.INVALID_VALUE) == too_long, (limit, text)


def test_a_task_gets_its_own_conflicting_response_and_nothing_else_does(seeded):
    schemas, cache = seeded
    entry = next(e for e in cache.conflicts() if not e.state)
    env = CachedEnvironment(schemas, cache)
    for alternative in entry.alternatives:
        task = Task(id="t", query="", tools=[], steps=[GoldStep(
            index=0, function=entry.function, arguments=dict(entry.arguments),
            response=alternative.response)])
        env.reset(task)
        assert env.call(entry.function, dict(entry.arguments)).content == alternative.response
        env.reset()
        assert env.call(entry.function, dict(entry.arguments)).content == entry.response
    # a gold response that is not JSON prefers nothing and does not break the episode
    task = Task(id="t", query="", tools=[], steps=[GoldStep(
        index=0, function=entry.function, arguments=dict(entry.arguments), response={1, 2})])
    env.reset(task)
    assert env.call(entry.function, dict(entry.arguments)).content == entry.response
