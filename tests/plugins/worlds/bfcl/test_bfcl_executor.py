"""The safe executor answers exactly as BFCL's eval-based executor, without running code."""

from __future__ import annotations

import time

from orchestrl.api import ToolCall
from orchestrl.plugins.worlds.bfcl.checker import ground_truth_calls, new_backends
from orchestrl.plugins.worlds.bfcl.executor import ERROR_PREFIX, BfclBackends
from orchestrl.plugins.worlds.bfcl.package import import_bfcl


def test_responses_equal_bfcl_executor_on_every_base_ground_truth(
    base_entries, restore_bfcl_defaults
):
    utils = import_bfcl("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils")
    for n, entry in enumerate(base_entries):
        restore_bfcl_defaults()
        ours = new_backends(entry)
        for turn, calls in zip(entry.ground_truth, ground_truth_calls(entry), strict=True):
            theirs, _ = utils.execute_multi_turn_func_call(
                turn, entry.initial_config, entry.involved_classes, f"orl_exec_{n}", entry.id
            )
            assert [ours.execute(c) for c in calls] == theirs, entry.id


def test_names_that_are_not_public_backend_methods_never_run(base_entries):
    backends = new_backends(base_entries[0])
    for name in ("open", "__import__", "eval", "_load_scenario", "__init__", "exit"):
        answer = backends.execute(ToolCall(name, {"file": "/etc/passwd"}))
        assert answer.startswith(ERROR_PREFIX), name
    assert "is not allowed" in backends.execute(ToolCall("exit", {}))


def test_wrong_arguments_give_python_messages_as_bfcl_does(base_entries):
    backends = new_backends(base_entries[0])
    answer = backends.execute(ToolCall("cd", {"directory": "x"}))
    assert answer == f"{ERROR_PREFIX}GorillaFileSystem.cd() got an unexpected keyword argument " \
        "'directory'"


def test_huge_power_and_precision_are_refused_quickly():
    backends = BfclBackends({}, ["MathAPI"])
    start = time.perf_counter()
    assert backends.execute(ToolCall("power", {"base": 10, "exponent": 10**9})).startswith(
        ERROR_PREFIX)
    assert backends.execute(
        ToolCall("logarithm", {"value": 2.0, "base": 10.0, "precision": 10**8})
    ).startswith(ERROR_PREFIX)
    assert time.perf_counter() - start < 1.0
    assert backends.execute(ToolCall("power", {"base": 2, "exponent": 10})) == '{"result": 1024}'


def test_episodes_do_not_share_state_through_defaults_or_arguments():
    config = {"TwitterAPI": {"username": "u", "password": "p", "authenticated": True}}
    first = BfclBackends(config, ["TwitterAPI"])
    arguments = {"content": "hello"}
    first.execute(ToolCall("post_tweet", arguments))
    first.execute(ToolCall("mention", {"tweet_id": 0, "mentioned_usernames": ["@a"]}))
    assert arguments == {"content": "hello"}
    second = BfclBackends(config, ["TwitterAPI"])
    posted = second.execute(ToolCall("post_tweet", {"content": "again"}))
    assert '"mentions": []' in posted
    assert second.state()["TwitterAPI"]["tweets"][0]["mentions"] == []
