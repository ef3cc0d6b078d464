"""The environment TRL sees: generated tool methods, episodes, and merged call records."""

from __future__ import annotations

import inspect
import json
from types import SimpleNamespace

import pytest
from transformers.utils import get_json_schema

from orchestrl.api import CallRecord, ErrorKind, ToolCall, ToolResult
from orchestrl.plugins.parsing.tool_calls import parse_message
from orchestrl.plugins.policies.scripted import ScriptedPolicy
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions
from orchestrl.plugins.rollout.driver import rollout
from orchestrl.plugins.rollout.engine import RolloutLimits
from orchestrl.plugins.rollout.prompt import openai_tool
from orchestrl.plugins.training.parts import grpo_dataset, with_merged_calls
from orchestrl.plugins.training.trl_env import (
    environment_factories,
    merged_calls,
    tool_method,
    toolset_name,
)
from orchestrl.plugins.worlds.booking.data import load_tools

LIMITS = RolloutLimits(response_chars=2048)


def test_generated_methods_render_the_booking_schemas(booking_dir):
    for schema in load_tools(booking_dir).values():
        rendered = get_json_schema(tool_method(schema))["function"]
        expected = openai_tool(schema)["function"]
        assert rendered["name"] == expected["name"]
        params, want = rendered["parameters"], expected["parameters"]
        assert set(params["properties"]) == set(want["properties"])
        assert set(params.get("required", [])) == set(want.get("required", []))
        for name, spec in want["properties"].items():
            kind = {"dict": "object"}.get(spec["type"], spec["type"])
            assert params["properties"][name]["type"] == kind


def test_one_class_per_tool_set_exposing_exactly_the_offered_tools(train_tasks, make_env):
    classes = environment_factories(train_tasks, make_env, LIMITS)
    assert len(classes) == len({toolset_name(t) for t in train_tasks}) > 1
    for task in train_tasks[:20]:
        cls = classes[toolset_name(task)]
        public = {n for n, _ in inspect.getmembers(cls, inspect.isfunction)
                  if not n.startswith("_") and n not in ("reset", "get_reward")}
        assert public == {t["name"] for t in task.tools}


def trl_completion(trajectory):
    """A trajectory's messages after the prompt, as TRL's tool loop builds them."""
    out = []
    for message in trajectory.messages[2:]:
        if message["role"] == "tool":
            out.append({"role": "tool", "name": message["name"], "content": message["content"]})
        else:
            out.append({k: v for k, v in message.items() if k != "tool_call_id"})
    return out


def play(task, classes, turns):
    """Reset an environment for ``task`` and call its methods as TRL would."""
    env = classes[toolset_name(task)]()
    env.reset(task_id=task.id, prompt=[], task="")
    for name, arguments in turns:
        if hasattr(type(env), name):
            json.loads(getattr(env, name)(**arguments))
    return env


def test_gold_completions_score_one_through_the_trl_reward_functions(
    train_tasks, make_env, graduated
):
    tasks = [t for t in train_tasks if len(t.steps) >= 2][:6]
    classes = environment_factories(tasks, make_env, LIMITS)
    functions, weights = trl_reward_functions(graduated)
    completions, environments = [], []
    for task in tasks:
        trajectory = rollout(ScriptedPolicy(), make_env(), task, LIMITS)
        completions.append(trl_completion(trajectory))
        environments.append(play(task, classes, [(s.function, s.arguments) for s in task.steps]))
    columns = {"task": [task_to_json(t) for t in tasks], "environments": environments}
    per_term = [with_merged_calls(f)(prompts=[None] * len(tasks), completions=completions,
                                     **columns) for f in functions]
    totals = [sum(w * s[i] for w, s in zip(weights, per_term, strict=True))
              for i in range(len(tasks))]
    assert totals == pytest.approx([1.0] * len(tasks))
    assert [f.__name__ for f in functions] == graduated.names


def test_refused_and_garbled_calls_reach_the_reward(train_tasks, make_env):
    task = train_tasks[0]
    step = task.steps[0]
    classes = environment_factories([task], make_env, LIMITS)
    env = play(task, classes, [(step.function, step.arguments)])
    good = {"type": "function", "function": {"name": step.function, "arguments": step.arguments}}
    ghost = {"type": "function", "function": {"name": "Ghost_Tool", "arguments": {}}}
    completion = [
        {"role": "assistant", "content": "", "tool_calls": [good, ghost]},
        {"role": "tool", "name": step.function, "content": "{}"},
        {"role": "tool", "name": "Ghost_Tool", "content": "{'error': 'Tool not found.'}"},
        {"role": "assistant", "content": '<tool_call>{"name": "x", "arguments": {</tool_call>'},
    ]
    records = merged_calls(completion, env)
    assert [r.turn for r in records] == [0, 0, 1]
    assert records[0].result.ok and records[0].result.cache_hit
    assert records[1].result.error_kind == ErrorKind.UNKNOWN_TOOL
    assert records[2].call is None and records[2].parse_error


def test_grpo_rows_route_each_task_to_its_tool_set(train_tasks):
    rows = grpo_dataset(train_tasks[:5], LIMITS)
    assert rows.column_names == ["prompt", "task", "task_id", "environment"]
    for row, task in zip(rows, train_tasks[:5], strict=True):
        assert row["environment"] == toolset_name(task)
        assert row["prompt"][-1] == {"role": "user", "content": task.query}


def test_an_episode_executes_at_most_its_call_budget(train_tasks, make_env):
    task = train_tasks[0]
    step = task.steps[0]
    limits = RolloutLimits(max_turns=2, max_calls_per_turn=3)
    env = environment_factories([task], make_env, limits)[toolset_name(task)]()
    env.reset(task_id=task.id)
    answers = [json.loads(getattr(env, step.function)(**step.arguments)) for _ in range(8)]
    assert len(env.calls) == 6 and all(r.result.ok for r in env.calls)
    assert all("not executed" in a["error"] for a in answers[6:])


@pytest.mark.parametrize("kind", ["number", "string"])
def test_a_huge_number_gets_a_model_readable_error_and_a_reward(
    train_tasks, make_env, graduated, kind
):
    """TRL parses tool calls itself (no integer bound), so 10**5000 reaches the method; the
    model reads an error naming the parameter and the completion is scored, not crashed on."""
    task, tool, param = next(
        (t, tool["name"], p) for t in train_tasks for tool in t.tools
        for p, spec in tool["parameters"]["properties"].items() if spec.get("type") == kind)
    env = environment_factories([task], make_env, LIMITS)[toolset_name(task)]()
    env.reset(task_id=task.id)
    answer = json.loads(getattr(env, tool)(**{param: 10**5000}))
    assert f"parameter '{param}' of '{tool}' is an integer of about 5001 digits" in answer["error"]
    assert not env.calls[-1].result.ok
    call = {"type": "function", "function": {"name": tool, "arguments": {param: 10**5000}}}
    completion = [{"role": "assistant", "content": "", "tool_calls": [call]},
                  {"role": "tool", "name": tool, "content": json.dumps(answer)}]
    functions, _ = trl_reward_functions(graduated)
    for function in functions:
        scores = with_merged_calls(function)(prompts=[None], completions=[completion],
                                             task=[task_to_json(task)], environments=[env])
        assert len(scores) == 1 and 0.0 <= scores[0] <= 1.0


def batch_of_rollouts(train_tasks, make_env, classes):
    """Gold completions of a few tasks and, for each, one with its first call's values garbled
    and one without its last turn, with the environments TRL would hand over."""
    completions, environments, columns = [], [], []
    for task in [t for t in train_tasks if len(t.steps) >= 2][:5]:
        gold = trl_completion(rollout(ScriptedPolicy(), make_env(), task, LIMITS))
        garbled = json.loads(json.dumps(gold))
        arguments = garbled[0]["tool_calls"][0]["function"]["arguments"]
        for name in arguments:
            arguments[name] = "garbled"
        short = gold[: max(i for i, m in enumerate(gold) if m.get("tool_calls"))]
        steps = [(s.function, s.arguments) for s in task.steps]
        for completion, played in ((gold, steps), (garbled, steps), (short, steps[:-1])):
            completions.append(completion)
            environments.append(play(task, classes, played))
            columns.append(task_to_json(task))
    return completions, environments, columns


def test_the_merge_is_done_once_per_batch_and_scores_like_each_function_alone(
    train_tasks, make_env, graduated, monkeypatch
):
    from orchestrl.plugins.training import parts

    classes = environment_factories(train_tasks, make_env, LIMITS)
    completions, environments, columns = batch_of_rollouts(train_tasks, make_env, classes)
    alone = []  # each function on its own: a fresh adapter, fresh lists, its own merge
    for position in range(len(graduated.names)):
        function = trl_reward_functions(graduated)[0][position]
        alone.append(with_merged_calls(function)(
            prompts=[None] * len(completions), completions=list(completions),
            task=list(columns), environments=list(environments)))
    merges = []

    def counted(completion, environment):
        merges.append(environment)
        return merged_calls(completion, environment)

    monkeypatch.setattr(parts, "merged_calls", counted)
    functions, _ = trl_reward_functions(graduated)
    shared = [with_merged_calls(f)(prompts=[None] * len(completions), completions=completions,
                                   task=columns, environments=environments) for f in functions]
    assert shared == alone  # bit-identical, term by term
    assert len(merges) == len(completions)  # once per completion, not once per function
    assert len({min(s) for s in shared}) > 1 and min(shared[0]) < 1.0  # the batch discriminates
    second = {"completions": completions[1:2], "task": columns[1:2],
              "environments": environments[1:2]}
    again = [with_merged_calls(f)(prompts=[None], **second) for f in functions]
    assert again == [[s[1]] for s in shared]  # a new batch is merged anew, not the last one
    assert len(merges) == len(completions) + 1


@pytest.mark.parametrize(("executed", "identical"), [
    (ToolCall("f", {"x": 1, "y": "a"}, "c1"), True),
    (ToolCall("f", {"x": 1.0, "y": "a"}, "c1"), False),  # equal, another type
    (ToolCall("f", {"x": True, "y": "a"}, "c1"), False),
    (ToolCall("f", {"y": "a", "x": 1}, "c1"), False),  # equal, another key order
    (ToolCall("f", {"x": 1, "y": "a"}, "c2"), False),  # another id
])
def test_a_merged_record_carries_the_parsed_call_only_when_it_is_the_executed_one_exactly(
    executed: ToolCall, identical: bool
) -> None:
    # the fast path (the parser's shared call object) must give the record the slow path gives
    entry = {"id": "c1", "type": "function",
             "function": {"name": "f", "arguments": {"x": 1, "y": "a"}}}
    completion = [{"role": "assistant", "content": "", "tool_calls": [entry]}]
    ran = CallRecord(0, "raw", executed, None, ToolResult(True, {"id": 7}))
    environment = SimpleNamespace(calls=[ran])
    parsed = parse_message(completion[0])[0].call
    for _ in range(2):  # the memo cold, then warm
        (record,) = merged_calls(json.loads(json.dumps(completion)), environment)
        assert record == CallRecord(0, record.raw, ran.call, None, ran.result)
        assert (record.call is parsed) is identical
        assert list(record.call.arguments.items()) == list(executed.arguments.items())
        assert [type(v) for v in record.call.arguments.values()] == [
            type(v) for v in executed.arguments.values()
        ]
        assert record.call.id == executed.id
