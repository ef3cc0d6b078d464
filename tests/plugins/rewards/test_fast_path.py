"""The memos that make scoring fast change no score: warm caches equal a cold recomputation.

Every trajectory is scored once with every cache warm (after all the others, so the per-task
call memo, the tool-output memo and the response memos hold entries made by other
trajectories), and once from cold (all caches cleared, a fresh reward object); the breakdowns
must be identical, term by term, to the last bit.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from orchestrl.api import Task, ToolCall, Trajectory
from orchestrl.plugins.rewards import paper_checks, perturb, prepared, text_trajectory
from orchestrl.plugins.rewards.analysis import call_key
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions

PRESETS = ("graduated", "paper")


def cold() -> None:
    prepared.clear_caches()
    text_trajectory.clear_result_memo()
    paper_checks._RESPONSE_MEMO.clear()


def retyped(value: Any, rng: random.Random) -> Any:
    """The same value under another JSON type, or a near value (what memo keys must separate)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return rng.choice([float(value), str(value), value + 1, bool(value % 2)])
    if isinstance(value, float):
        return rng.choice([int(value), str(value), -value, 0.0 if value else -0.0])
    if isinstance(value, str):
        number = int(value) if value.isascii() and value.isdigit() else value
        return rng.choice([value.upper(), value + "1", number])
    if isinstance(value, list):
        return [retyped(v, rng) for v in value] or [0]
    return value


def perturbed(task: Task, rng: random.Random, n: int) -> list[Trajectory]:
    gold = gold_trajectory(task)
    out = [gold, *perturb.random_variants(gold, rng, n)]
    for _ in range(n):
        if not gold.calls:
            break
        position = rng.randrange(len(gold.calls))
        arguments = gold.calls[position].call.arguments
        if arguments:
            name = rng.choice(sorted(arguments))
            out.append(
                perturb.add_argument(gold, position, name, retyped(arguments[name], rng))
            )
    for position, record in enumerate(gold.calls[:2]):
        for name in sorted(record.call.arguments)[:2]:  # values equal under == but not in type
            out.extend(perturb.add_argument(gold, position, name, v) for v in EQUAL_UNDER_EQ)
    return out


EQUAL_UNDER_EQ = (1, 1.0, True, "1", 0, 0.0, -0.0, False, [1], [1.0], [True])


def perturbed_messages(trajectory: Trajectory, rng: random.Random) -> list[dict[str, Any]]:
    """A TRL message list of ``trajectory`` with one change: an argument retyped, a tool
    output made not JSON or an error, a tool message dropped, or an assistant turn repeated."""
    messages = copy.deepcopy(trajectory.messages[1:])
    kind = rng.randrange(5)
    assistants = [m for m in messages if m.get("tool_calls")]
    tools = [m for m in messages if m["role"] == "tool"]
    if kind == 0 and assistants:
        call = rng.choice(rng.choice(assistants)["tool_calls"])["function"]
        if call["arguments"]:
            name = rng.choice(sorted(call["arguments"]))
            call["arguments"][name] = retyped(call["arguments"][name], rng)
    elif kind == 1 and tools:
        message = rng.choice(tools)
        message["content"] = rng.choice(
            [message["content"][:-3], json.dumps({"error": "x"}), "{}", "not json"]
        )
    elif kind == 2 and tools:
        messages.remove(rng.choice(tools))
    elif kind == 3 and assistants:
        index = messages.index(rng.choice(assistants))
        messages.insert(index + 1, copy.deepcopy(messages[index]))
    return messages


@pytest.fixture(scope="module")
def cases(train_tasks: list[Task]) -> list[tuple[Trajectory, Task]]:
    rng = random.Random(15)
    return [(t, task) for task in train_tasks for t in perturbed(task, rng, 3)]


@pytest.mark.parametrize("preset", PRESETS)
def test_warm_caches_score_like_a_cold_recomputation(
    preset, cases, plugin_host, compose_config
) -> None:
    config = compose_config(f"reward={preset}").reward
    warm = CombinedReward.from_config(config)
    for trajectory, task in cases:  # fill every memo
        warm.breakdown(trajectory, task)
    scored = [warm.breakdown(trajectory, task) for trajectory, task in cases]
    fresh = CombinedReward.from_config(config)  # the reward holds no cache: cold() empties all
    for (trajectory, task), fast in zip(cases, scored, strict=True):
        cold()
        assert fresh.breakdown(trajectory, task) == fast


@pytest.mark.parametrize("preset", PRESETS)
def test_trl_message_lists_score_like_a_cold_recomputation(
    preset, train_tasks, plugin_host, compose_config
) -> None:
    rng = random.Random(16)
    rows = [
        (perturbed_messages(gold_trajectory(task), rng), task_to_json(task, with_responses=False))
        for task in train_tasks
        for _ in range(2)
    ]
    config = compose_config(f"reward={preset}").reward

    def score(batch: list[tuple[list, str]], reward: CombinedReward) -> list[list[float]]:
        functions, _ = trl_reward_functions(reward)
        completions = [copy.deepcopy(m) for m, _ in batch]  # fresh objects, equal text
        columns = [c for _, c in batch]
        prompts = [""] * len(batch)
        return [f(prompts=prompts, completions=completions, task=columns) for f in functions]

    warm = CombinedReward.from_config(config)
    score(rows, warm)
    fast = score(rows, warm)
    fresh = CombinedReward.from_config(config)
    for i, row in enumerate(rows):
        cold()
        plain = score([row], fresh)
        assert [column[0] for column in plain] == [column[i] for column in fast]


def test_call_keys_separate_types_and_signed_zeros() -> None:
    values = [1, 1.0, True, "1", 0, 0.0, -0.0, False, None, [1], [1.0], [True], {"a": 1}]
    keys = [call_key(ToolCall("f", {"x": v})) for v in values]
    assert None not in keys
    assert len(set(keys)) == len(values)
    assert call_key(ToolCall("f", {"x": 1.5})) == call_key(ToolCall("f", {"x": 1.5}))
    assert call_key(ToolCall("f", {"x": 1})) != call_key(ToolCall("g", {"x": 1}))
