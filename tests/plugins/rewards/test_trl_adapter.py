"""Terms as TRL reward functions: names, weights, the task column, completions in TRL's shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrl.api import Task, Trajectory
from orchestrl.errors import ConfigError
from orchestrl.plugins.rewards import combined as combined_module
from orchestrl.plugins.rewards import perturb, prepared
from orchestrl.plugins.rewards import trl_adapter as adapter
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.trl_adapter import to_trajectory, trl_reward_functions


@pytest.fixture
def graduated(plugin_host, compose_config) -> CombinedReward:
    return CombinedReward.from_config(compose_config("reward=graduated").reward)


def trl_completion(trajectory: Trajectory) -> list[dict[str, Any]]:
    """What TRL's tool loop leaves as a completion: assistant turns with parsed tool_calls
    (arguments as dicts) followed by one ``tool`` message per call with the tool's output."""
    messages = []
    for message in trajectory.messages:
        if message["role"] == "assistant":
            calls = [
                {"type": "function", "function": dict(c["function"])}
                for c in message.get("tool_calls") or []
            ]
            messages.append(
                {"role": "assistant", "content": "", **({"tool_calls": calls} if calls else {})}
            )
        elif message["role"] == "tool":
            messages.append(
                {"role": "tool", "name": message["name"], "content": message["content"]}
            )
    return messages


def call_like_trl(func, completions, tasks: list[Task], **extra) -> list[float]:
    return func(
        prompts=[[{"role": "user", "content": t.query}] for t in tasks],
        completions=completions,
        completion_ids=[[1, 2, 3]] * len(completions),
        task=[task_to_json(t) for t in tasks],
        trainer_state=None,
        log_extra=lambda *a, **k: None,
        log_metric=lambda *a, **k: None,
        **extra,
    )


@pytest.mark.filterwarnings("ignore::FutureWarning")  # transformers' own deprecation, in TRL
def test_functions_are_named_after_terms_and_weights_follow(graduated, tmp_path) -> None:
    from trl import GRPOConfig
    from trl.trainer.utils import get_callable_name

    functions, weights = trl_reward_functions(graduated)
    assert [get_callable_name(f) for f in functions] == graduated.names
    assert weights == graduated.weights
    config = GRPOConfig(
        output_dir=str(tmp_path), reward_weights=weights, report_to=[], use_cpu=True, bf16=False
    )
    assert list(config.reward_weights) == weights


def test_gold_conversations_score_one_on_every_term(graduated, eval_tasks, train_tasks) -> None:
    tasks = eval_tasks[:8] + train_tasks[:8]
    completions = [trl_completion(gold_trajectory(t)) for t in tasks]
    functions, _ = trl_reward_functions(graduated)
    for func in functions:
        assert call_like_trl(func, completions, tasks) == [1.0] * len(tasks), func.__name__


def test_scores_match_the_combined_reward(graduated, train_tasks) -> None:
    import random

    rng = random.Random(0)
    tasks = train_tasks[:20]
    trajectories = [next(perturb.random_variants(gold_trajectory(t), rng, 1)) for t in tasks]
    environments = [type("Env", (), {"calls": tr.calls})() for tr in trajectories]
    functions, weights = trl_reward_functions(graduated)
    columns = [
        call_like_trl(f, [[]] * len(tasks), tasks, environments=environments) for f in functions
    ]
    for i, (trajectory, task) in enumerate(zip(trajectories, tasks, strict=True)):
        expected = graduated.breakdown(trajectory, task)
        assert [col[i] for col in columns] == list(expected.terms.values())
        assert sum(w * col[i] for w, col in zip(weights, columns, strict=True)) == pytest.approx(
            expected.total
        )


def test_one_batch_is_analysed_once(graduated, eval_tasks, monkeypatch) -> None:
    calls = []
    original = combined_module.analyse
    monkeypatch.setattr(combined_module, "analyse", lambda *a: calls.append(1) or original(*a))
    prepared.clear_caches()
    tasks = eval_tasks[:5]
    completions = [trl_completion(gold_trajectory(t)) for t in tasks]
    functions, _ = trl_reward_functions(graduated)
    for func in functions:
        call_like_trl(func, completions, tasks)
    assert len(calls) == len(tasks)
    # the next batch: new objects with equal content; each trajectory's breakdown is memoised
    again = json.loads(json.dumps(completions))
    for func in functions:
        assert call_like_trl(func, again, tasks) == [1.0] * len(tasks)
    assert len(calls) == len(tasks)


def test_tool_messages_decide_execution_without_environment(eval_tasks) -> None:
    task = next(t for t in eval_tasks if len(t.steps) >= 2)
    completion = trl_completion(gold_trajectory(task))
    tools = [m for m in completion if m["role"] == "tool"]
    tools[0]["content"] = json.dumps({"error": "Tool Search_Car_Location not found."})
    tools[1]["content"] = str({"status": True, "data": []})  # python repr, not JSON
    trajectory = to_trajectory(completion)
    assert [r.result.ok for r in trajectory.calls][:2] == [False, False]
    assert all(r.result.ok for r in trajectory.calls[2:])


def test_text_completions_are_parsed_but_not_executed(eval_tasks) -> None:
    task = eval_tasks[0]
    text = "".join(r.raw for r in gold_trajectory(task).calls) + " done"
    trajectory = to_trajectory(text)
    assert [r.call.name for r in trajectory.calls] == [s.function for s in task.steps]
    assert all(r.result is None for r in trajectory.calls)


def test_missing_task_column_is_a_config_error(graduated, eval_tasks) -> None:
    functions, _ = trl_reward_functions(graduated)
    with pytest.raises(ConfigError, match="'task' column"):
        functions[0](prompts=["p"], completions=["c"], trainer_state=None)


def test_each_function_alone_scores_like_the_shared_batch(graduated, train_tasks) -> None:
    tasks = train_tasks[:12]
    completions = [trl_completion(gold_trajectory(t)) for t in tasks]
    for completion in completions[::2]:  # values garbled in one call, one tool output failed
        arguments = completion[0]["tool_calls"][0]["function"]["arguments"]
        arguments.update(dict.fromkeys(arguments, "garbled"))
        completion[-2]["content"] = "not json"
    functions, _ = trl_reward_functions(graduated)
    shared = [call_like_trl(f, completions, tasks) for f in functions]
    alone = [  # only this function called, on its own adapter: it scores its term itself
        call_like_trl(trl_reward_functions(graduated)[0][i], completions, tasks)
        for i in range(len(functions))
    ]
    assert shared == alone
    assert len({tuple(column) for column in shared}) > 2  # the terms disagree somewhere


def test_a_term_out_of_range_is_named(train_tasks) -> None:
    from orchestrl.api import RewardTerm
    from orchestrl.errors import PluginError

    class TooMuch(RewardTerm):
        def score(self, trajectory: Trajectory, task: Task) -> float:
            return 1.5

    functions, _ = trl_reward_functions({"too_much": (TooMuch(), 1.0)})
    completions = [trl_completion(gold_trajectory(train_tasks[0]))]
    with pytest.raises(PluginError, match="reward term 'too_much' returned 1.5"):
        call_like_trl(functions[0], completions, train_tasks[:1])


def test_repeated_task_texts_are_decoded_once_per_run(train_tasks, monkeypatch) -> None:
    decoded = []
    original = adapter.task_from_json
    monkeypatch.setattr(adapter, "task_from_json", lambda t: decoded.append(t) or original(t))
    first, second = (task_to_json(t, with_responses=False) for t in train_tasks[:2])
    copy = json.loads(json.dumps(first))  # an equal text, another object (as TRL hands over)
    assert copy is not first
    column = [first, copy, copy, second, first, train_tasks[3], train_tasks[3], first]
    got = adapter.batch_tasks(column)
    assert len(decoded) == 4  # one per run of equal texts: first, second, first, first
    assert got == [adapter._task(v) for v in column]
    assert got[0] is got[1] is got[2] and got[3] is not got[2] and got[5] is train_tasks[3]


def _call(name: str, call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": {}}}


def test_tool_messages_pair_by_id_then_in_order() -> None:
    messages = [
        {"role": "assistant", "content": "", "tool_calls": [_call("a", "1"), _call("b", "2")]},
        {"role": "tool", "tool_call_id": "2", "content": '{"for": "b"}'},
        {"role": "tool", "tool_call_id": "unknown", "content": '{"for": "a"}'},
        {"role": "assistant", "content": "", "tool_calls": [_call("c", "3")]},
        # one call pending: it is answered, whatever id the message names
        {"role": "tool", "tool_call_id": "9", "content": '{"for": "c"}'},
        {"role": "tool", "content": '{"surplus": true}'},  # nothing pending: ignored
    ]
    calls = to_trajectory(messages).calls
    assert [(r.call.name, r.result.content) for r in calls] == [
        ("a", {"for": "a"}), ("b", {"for": "b"}), ("c", {"for": "c"}),
    ]
    assert [r.turn for r in calls] == [0, 0, 1]
