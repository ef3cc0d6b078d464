"""Adversarial completions: no crash, bounded time, a low score, under every preset."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from orchestrl.api import Task
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.trl_adapter import to_trajectory, trl_reward_functions


def _gold_text(task: Task) -> str:
    return "".join(r.raw for r in gold_trajectory(task).calls)


def _adversarial(task: Task) -> dict[str, object]:
    step = task.steps[0]
    one = {"name": step.function, "arguments": step.arguments}
    structured = {"type": "function", "function": one}
    return {
        "garbage_1mb": ('}{ <tool_call> [["name" :: \x00 ﷽ ' * 40_000)[:1_000_000],
        "deep_json": "<tool_call>" + '{"name": "x", "arguments": ' * 20_000 + "</tool_call>",
        "deep_bare": "[" * 400_000,
        "nan_infinity": f'<tool_call>{{"name": "{step.function}", "arguments": '
        '{"a": NaN, "b": Infinity, "c": -Infinity}}</tool_call>',
        "huge_int": f'<tool_call>{{"name": "{step.function}", "arguments": {{"a": '
        + "7" * 100_000
        + "}}</tool_call>",
        "unicode": "<tool_call>"
        + json.dumps({"name": step.function + "\u202e", "arguments": {"q": "😀\ud800"}})
        + "</tool_call>",
        "thousands_of_gold_calls": _gold_text(task) * 2_000,
        "thousands_structured": [
            {"role": "assistant", "content": "", "tool_calls": [structured] * 5_000},
            *[{"role": "tool", "name": step.function, "content": "{}"}] * 5_000,
        ],
        "structured_nested": [
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "type": "function",
                        "function": {"name": step.function, "arguments": "[" * 50_000},
                    }
                ],
            }
        ],
        "wrong_shapes": [{"role": "assistant", "tool_calls": "nope"}, "not a message", 7],
    }


@pytest.fixture
def presets(plugin_host, compose_config) -> dict[str, CombinedReward]:
    names = ("graduated", "atomic_only", "orch_only", "binary", "paper", "format_only")
    return {n: CombinedReward.from_config(compose_config(f"reward={n}").reward) for n in names}


def test_adversarial_completions_score_low_in_bounded_time(presets, train_tasks) -> None:
    task = max(train_tasks[:20], key=lambda t: len(t.steps))
    for name, completion in _adversarial(task).items():
        start = time.perf_counter()
        trajectory = to_trajectory(completion, task_id=task.id)
        for preset, reward in presets.items():
            breakdown = reward.breakdown(trajectory, task)
            assert all(0.0 <= v <= 1.0 for v in breakdown.terms.values()), (name, preset)
            if preset == "paper" and name == "thousands_of_gold_calls":
                # the reference's exploit, reproduced: calls are never consumed by its
                # orchestration score and extra calls cost nothing there
                assert breakdown.terms["paper_orchestration"] == 1.0
            elif preset != "format_only":
                assert breakdown.total <= 0.35, (name, preset, breakdown)
        assert time.perf_counter() - start < 3.0, name


def test_adversarial_batch_through_trl_functions(presets, train_tasks) -> None:
    task = train_tasks[0]
    completions = list(_adversarial(task).values())
    functions, weights = trl_reward_functions(presets["graduated"])
    start = time.perf_counter()
    columns = [
        f(
            prompts=[""] * len(completions),
            completions=completions,
            task=[task_to_json(task)] * len(completions),
        )
        for f in functions
    ]
    assert time.perf_counter() - start < 10.0
    totals = [
        sum(w * col[i] for w, col in zip(weights, columns, strict=True))
        for i in range(len(completions))
    ]
    assert max(totals) < 0.35


def test_flooding_with_copies_of_a_gold_call_stays_bounded(presets, train_tasks) -> None:
    graduated = presets["graduated"]
    for task in train_tasks[:20]:
        gold = gold_trajectory(task)
        flooded = dataclasses.replace(gold, calls=list(gold.calls) + [gold.calls[0]] * 10)
        n = len(task.steps)
        total = graduated.score(flooded, task)
        # every level is 2·n / (n + 10 + n) at best: the copies are attempts with no gold step left
        bound = 2 * n / (2 * n + 10)
        assert total <= bound + 1e-9, (task.id, total, bound)
        assert graduated.breakdown(flooded, task).terms["binary"] == 0.0
    # the case: gold + 10 copies of call #0 on the first training trace
    task = train_tasks[0]
    gold = gold_trajectory(task)
    flooded = dataclasses.replace(gold, calls=list(gold.calls) + [gold.calls[0]] * 10)
    assert graduated.score(flooded, task) == pytest.approx(
        2 * len(task.steps) / (2 * len(task.steps) + 10)
    )
