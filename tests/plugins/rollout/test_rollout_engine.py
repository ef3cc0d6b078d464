"""The rollout engine on real Booking tasks: gold replays, and models that misbehave."""

from __future__ import annotations

import json

import pytest

from orchestrl.api import ErrorKind, Policy, PolicyOutput, ToolEnvironment
from orchestrl.errors import ContextBudgetExceeded, OrchestrlError
from orchestrl.plugins.policies.scripted import ScriptedPolicy
from orchestrl.plugins.rollout.driver import rollout
from orchestrl.plugins.rollout.engine import Episode, RolloutLimits


class Replay(Policy):
    """Emits the given turns in order, then repeats the last one forever."""

    def __init__(self, *turns: PolicyOutput | str, tokens_per_turn: int | None = None) -> None:
        self.turns = [t if isinstance(t, PolicyOutput) else PolicyOutput(text=t) for t in turns]
        self.calls = 0
        if tokens_per_turn is not None:
            self.count_tokens = lambda text: tokens_per_turn

    def act(self, messages, tools):
        self.calls += 1
        return self.turns[min(self.calls - 1, len(self.turns) - 1)]


def block(name: str, arguments: dict) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


def test_gold_replays_execute_every_call_and_score_one(train_tasks, make_env, graduated):
    env = make_env()
    assert isinstance(env, ToolEnvironment)
    for task in train_tasks[:40]:
        trajectory = rollout(ScriptedPolicy(), env, task)
        assert trajectory.stop_reason == "answer"
        assert [r.call.name for r in trajectory.calls] == [s.function for s in task.steps]
        assert all(r.result is not None and r.result.ok and r.result.cache_hit
                   for r in trajectory.calls)
        assert graduated.score(trajectory, task) == pytest.approx(1.0)


def test_messages_alternate_calls_and_tool_results_with_matching_ids(train_tasks, make_env):
    task = train_tasks[0]
    trajectory = rollout(ScriptedPolicy(), make_env(), task)
    roles = [m["role"] for m in trajectory.messages]
    assert roles[:2] == ["system", "user"] and roles[-1] == "assistant"
    for i, message in enumerate(trajectory.messages):
        if message["role"] == "assistant" and message.get("tool_calls"):
            ids = [c["id"] for c in message["tool_calls"]]
            following = trajectory.messages[i + 1 : i + 1 + len(ids)]
            assert [m["tool_call_id"] for m in following] == ids
            assert "<tool_call>" not in message["content"]


def test_tool_messages_are_valid_json_within_the_budget(train_tasks, make_env):
    limits = RolloutLimits(response_chars=300)
    for task in train_tasks[:10]:
        trajectory = rollout(ScriptedPolicy(), make_env(), task, limits)
        tool_messages = [m for m in trajectory.messages if m["role"] == "tool"]
        assert tool_messages
        for message in tool_messages:
            assert len(message["content"]) <= 300
            json.loads(message["content"])


def test_garbage_never_crashes_and_ends_at_the_turn_limit(train_tasks, make_env, graduated):
    task = train_tasks[0]
    garbage = "<tool_call>{'name': oops, \x00 \ud800 [[[[</tool_call> and more <tool_call>{\"na"
    trajectory = rollout(Replay(garbage), make_env(), task, RolloutLimits(max_turns=3))
    assert trajectory.stop_reason == "max_turns"
    assert trajectory.calls and all(r.call is None and r.parse_error for r in trajectory.calls)
    tool_messages = [m for m in trajectory.messages if m["role"] == "tool"]
    assert len(tool_messages) == len(trajectory.calls)
    assert all("could not parse" in m["content"] for m in tool_messages)
    assert graduated.score(trajectory, task) == 0.0


def test_endless_calls_are_capped_per_turn_and_by_turns(train_tasks, make_env):
    task = train_tasks[0]
    step = task.steps[0]
    many = "\n".join(block(step.function, step.arguments) for _ in range(20))
    limits = RolloutLimits(max_turns=4, max_calls_per_turn=3)
    trajectory = rollout(Replay(many), make_env(), task, limits)
    assert trajectory.stop_reason == "max_turns"
    assert len(trajectory.calls) == 4 * 20
    for turn in range(4):
        executed = [r for r in trajectory.calls if r.turn == turn and r.result is not None]
        assert len(executed) == 3
    tool_texts = [m["content"] for m in trajectory.messages if m["role"] == "tool"]
    skipped = [text for text in tool_texts if "not executed" in text]
    assert len(skipped) == 4 * 17


def test_unknown_and_unoffered_tools_get_unknown_tool(train_tasks, make_env, graduated):
    task = train_tasks[0]
    offered = {t["name"] for t in task.tools}
    unoffered = next(n for n in ("Search_Flights", "Search_Hotels", "Taxi_Search_Location")
                     if n not in offered)
    turn = block("Book_A_Spaceship", {"to": "Mars"}) + block(unoffered, {"query": "Paris"})
    trajectory = rollout(Replay(turn, "done"), make_env(), task)
    assert trajectory.stop_reason == "answer" and trajectory.final_answer == "done"
    kinds = [r.result.error_kind for r in trajectory.calls]
    assert kinds == [ErrorKind.UNKNOWN_TOOL, ErrorKind.UNKNOWN_TOOL]
    assert graduated.score(trajectory, task) < 0.1


def test_token_budget_and_context_overflow_end_the_rollout(train_tasks, make_env):
    task = train_tasks[0]
    step = task.steps[0]
    call = block(step.function, step.arguments)
    limits = RolloutLimits(token_budget=250)
    trajectory = rollout(Replay(call, tokens_per_turn=100), make_env(), task, limits)
    assert trajectory.stop_reason == "token_budget"
    assert len([m for m in trajectory.messages if m["role"] == "assistant"]) == 3

    class Overflowing(Policy):
        def act(self, messages, tools):
            raise ContextBudgetExceeded("full")

    assert rollout(Overflowing(), make_env(), task).stop_reason == "token_budget"


def test_a_failing_policy_ends_with_error(train_tasks, make_env):
    class Down(Policy):
        def act(self, messages, tools):
            raise OrchestrlError("server unreachable")

    trajectory = rollout(Down(), make_env(), train_tasks[0])
    assert trajectory.stop_reason == "error" and trajectory.calls == []


def test_structured_tool_calls_keep_their_ids(train_tasks, make_env):
    task = train_tasks[0]
    step = task.steps[0]
    output = PolicyOutput(text="", tool_calls=[
        {"id": "abc", "type": "function",
         "function": {"name": step.function, "arguments": json.dumps(step.arguments)}},
        {"type": "function", "function": {"name": step.function, "arguments": "{not json"}},
    ])
    trajectory = rollout(Replay(output, "ok"), make_env(), task)
    first, second = trajectory.calls
    assert first.result.ok and first.call.arguments == step.arguments
    assert second.call is None and second.parse_error
    ids = [m.get("tool_call_id") for m in trajectory.messages if m["role"] == "tool"]
    assert ids == ["abc", "call_0_1"]


def test_episode_offers_compacted_tools_when_asked(train_tasks, make_env):
    task = train_tasks[0]
    full = RolloutLimits().tools(task)
    short = RolloutLimits(tool_description_chars=0).tools(task)
    assert [t["function"]["name"] for t in full] == [t["function"]["name"] for t in short]
    assert len(json.dumps(short)) < len(json.dumps(full)) / 2
    for tool in short:
        assert "description" not in json.dumps(tool["function"]["parameters"])
    episode = Episode(task, make_env(), RolloutLimits())
    assert episode.messages[-1] == {"role": "user", "content": task.query}
