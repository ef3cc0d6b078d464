"""The stateful BFCL environment: record on miss, replay from the cache, byte-identical."""

from __future__ import annotations

import pytest

from orchestrl.api import ErrorKind, Task
from orchestrl.errors import CacheMissError
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.env.render import render_response
from orchestrl.plugins.worlds.bfcl.environment import BfclEnvironment
from orchestrl.plugins.worlds.bfcl.tasks import entry_to_task


@pytest.fixture(scope="module")
def base_tasks(base_entries) -> list[Task]:
    return [entry_to_task(entry) for entry in base_entries]


def replay(env: BfclEnvironment, task: Task, calls: list[tuple[str, dict]]) -> list:
    env.reset(task)
    return [env.call(name, dict(arguments)) for name, arguments in calls]


def gold(task: Task) -> list[tuple[str, dict]]:
    return [(step.function, step.arguments) for step in task.steps]


def test_cache_replay_is_byte_identical_to_live_execution(base_tasks):
    cache = ResponseCache(MemoryBackend())
    live, recorder, replayer = (BfclEnvironment(None), BfclEnvironment(cache),
                                BfclEnvironment(cache, miss_policy="strict"))
    calls = 0
    for task in base_tasks:
        expected = replay(live, task, gold(task))
        recorded = replay(recorder, task, gold(task))
        replayed = replay(replayer, task, gold(task))
        for a, b, c in zip(expected, recorded, replayed, strict=True):
            assert render_response(a.content, None) == render_response(c.content, None)
            assert (a.ok, a.error_kind, a.message) == (c.ok, c.error_kind, c.message)
            assert a.content == b.content
            assert not b.cache_hit and c.cache_hit and b.key == c.key
        calls += len(task.steps)
    assert replayer.hits == calls and replayer.misses == 0
    assert len(cache) == calls


def test_gold_responses_of_tasks_are_what_the_environment_answers(base_tasks):
    env = BfclEnvironment(None)
    for task in base_tasks[:50]:
        results = replay(env, task, gold(task))
        for step, result in zip(task.steps, results, strict=True):
            assert result.content == result_content(step.response)


def result_content(response: str):
    from orchestrl.plugins.worlds.bfcl.environment import result_of

    return result_of(response, cache_hit=False, key=None).content


def test_a_diverging_rollout_misses_from_the_divergence_on_and_matches_live(base_tasks):
    task = next(t for t in base_tasks if len(t.steps) >= 6)
    cache = ResponseCache(MemoryBackend())
    replay(BfclEnvironment(cache), task, gold(task))
    calls = gold(task)
    name, arguments = calls[2]
    calls[2] = (name, {k: (v + "_x" if isinstance(v, str) else v) for k, v in arguments.items()})
    env = BfclEnvironment(cache)
    mixed = replay(env, task, calls)
    live = replay(BfclEnvironment(None), task, calls)
    assert [r.cache_hit for r in mixed[:2]] == [True, True]
    assert not any(r.cache_hit for r in mixed[2:])
    assert [r.content for r in mixed] == [r.content for r in live]
    again = replay(BfclEnvironment(cache, miss_policy="strict"), task, calls)
    assert all(r.cache_hit for r in again)


def test_the_key_depends_on_state_and_keeps_ints_and_floats_apart(base_tasks):
    task = next(t for t in base_tasks if t.steps[0].function == "cd")
    env = BfclEnvironment(ResponseCache(MemoryBackend()))
    env.reset(task)
    first = env.call("pwd", {})
    env.call(task.steps[0].function, dict(task.steps[0].arguments))
    second = env.call("pwd", {})
    assert first.key != second.key and first.content != second.content
    assert env.key_state("f", {"x": 2}) != env.key_state("f", {"x": 2.0})


def test_miss_policies(base_tasks):
    task = base_tasks[0]
    cache = ResponseCache(MemoryBackend())
    env = BfclEnvironment(cache, miss_policy="error")
    env.reset(task)
    result = env.call("pwd", {})
    assert not result.ok and result.error_kind == ErrorKind.NOT_FOUND
    strict = BfclEnvironment(cache, miss_policy="strict")
    strict.reset(task)
    with pytest.raises(CacheMissError):
        strict.call("pwd", {})


def test_unknown_tools_and_bad_arguments_are_results_not_exceptions(base_tasks):
    env = BfclEnvironment(None)
    env.reset(base_tasks[0])
    assert env.call("open", {"file": "/etc/passwd"}).error_kind == ErrorKind.UNKNOWN_TOOL
    assert env.call("cd", {"nope": 1}).error_kind == ErrorKind.UNKNOWN_PARAMETER
    assert env.call("cd", {}).error_kind == ErrorKind.MISSING_REQUIRED


def test_a_cache_with_schemas_or_a_bare_backend_is_adapted(base_tasks):
    from orchestrl.plugins.tools.schema import load_schemas
    from orchestrl.plugins.worlds.bfcl.environment import bfcl_cache

    backend = MemoryBackend()
    typed = ResponseCache(backend, load_schemas(base_tasks[0].tools))
    for given in (typed, backend):
        adapted = bfcl_cache(given)
        assert adapted.backend is backend and not adapted.schemas
    env = BfclEnvironment(bfcl_cache(typed))
    replay(env, base_tasks[0], gold(base_tasks[0]))
    assert len(backend) == len(base_tasks[0].steps)
    with pytest.raises(Exception, match="without schemas"):
        BfclEnvironment(typed)
