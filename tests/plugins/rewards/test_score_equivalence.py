"""Speed work changes no score: every preset, every scoring path, against stored values.

Every gold trajectory of the train and eval traces and perturbed variants of each
(:func:`~orchestrl.plugins.rewards.perturb.random_variants`) are scored with every shipped
preset through the three paths a score can take:

* ``combined``: :meth:`CombinedReward.breakdown` on the trajectory;
* ``messages``: the TRL reward functions on the trajectory rendered as a TRL message list
  (calls parsed from ``tool_calls``, results read from the ``tool`` messages);
* ``grpo``: the TRL reward functions wrapped by ``with_merged_calls``, with TRL environments
  whose episodes hold the trajectory's executed calls (what GRPO runs).

The expected values (:data:`GOLDEN`) were written by the code before the reward-throughput
work (commit 1c4446b) with ``python tests/plugins/rewards/test_score_equivalence.py``; every
term of every breakdown must be equal to the last bit, on a cold pass (every memo emptied
before the batch) and on a warm one (fresh objects with equal content, memos full).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from orchestrl.api import Task, Trajectory
from orchestrl.plugins.parsing.tool_calls import openai_tool_call
from orchestrl.plugins.rewards import paper_checks, prepared, text_trajectory
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.perturb import random_variants
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions
from orchestrl.plugins.rollout.engine import RolloutLimits
from orchestrl.plugins.training.parts import with_merged_calls
from orchestrl.plugins.training.trl_env import environment_factories, toolset_name

GOLDEN = Path(__file__).with_name("score_equivalence.json.gz")
PRESETS = ("graduated", "atomic_only", "orch_only", "binary", "paper")
PATHS = ("combined", "messages", "grpo")
VARIANTS = 6
"""Perturbed variants per gold trajectory."""


def cases(tasks: list[Task]) -> list[tuple[Trajectory, Task]]:
    """Each task's gold trajectory and :data:`VARIANTS` perturbed ones (seeded)."""
    rng = random.Random(1515)
    out = []
    for task in tasks:
        gold = gold_trajectory(task)
        out.append((gold, task))
        out.extend((variant, task) for variant in random_variants(gold, rng, VARIANTS))
    return out


def rendered(trajectory: Trajectory, *, with_ids: bool) -> list[dict[str, Any]]:
    """``trajectory``'s calls as a TRL completion: per turn, one assistant message with its
    ``tool_calls`` (an attempt that did not parse carries its text as unparsable arguments),
    then one ``tool`` message per executed call with its output as JSON text."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "q"}]
    turns: dict[int, list[int]] = {}
    for position, record in enumerate(trajectory.calls):
        turns.setdefault(record.turn, []).append(position)
    for positions in turns.values():
        entries, replies = [], []
        for position in positions:
            record = trajectory.calls[position]
            call_id = f"call_{position}"
            if record.call is None:
                entry = {"id": call_id, "type": "function",
                         "function": {"name": "broken", "arguments": record.raw}}
            else:
                entry = openai_tool_call(record.call, call_id)
            entries.append(entry)
            if record.result is not None:
                content = record.result.content
                text = content if isinstance(content, str) else json.dumps(
                    content, ensure_ascii=False
                )
                reply = {"role": "tool", "name": entry["function"]["name"], "content": text}
                if with_ids:
                    reply["tool_call_id"] = call_id
                replies.append(reply)
        messages.append({"role": "assistant", "content": "", "tool_calls": entries})
        messages.extend(replies)
    messages.append({"role": "assistant", "content": ""})
    return messages


def cold() -> None:
    """Empty every memo that scoring fills."""
    prepared.clear_caches()
    text_trajectory.clear_result_memo()
    paper_checks._RESPONSE_MEMO.clear()
    clear = getattr(sys.modules["orchestrl.plugins.parsing.tool_calls"], "clear_memo", None)
    if clear is not None:  # the structured-call memo (added with the speed work)
        clear()


class Cases:
    """The cases of :func:`cases`, with what every path needs built once: the task columns,
    the completions as JSON text (decoded afresh for each pass) and the environment classes."""

    def __init__(self, tasks: list[Task]) -> None:
        self.pairs = cases(tasks)
        self.columns = [task_to_json(task, with_responses=False) for _, task in self.pairs]
        self.with_ids = json.dumps(
            [rendered(t, with_ids=True) for t, _ in self.pairs], ensure_ascii=False
        )
        self.without_ids = json.dumps(
            [rendered(t, with_ids=False) for t, _ in self.pairs], ensure_ascii=False
        )
        self.classes = environment_factories(tasks, lambda: None, RolloutLimits())


def scorers(
    batch: Cases, reward: CombinedReward
) -> dict[str, Callable[[], list[list[float]]]]:
    """For each path, a function scoring every case afresh: one row of term scores per case,
    terms in config order; message paths get new message objects (equal content) each call."""
    pairs = batch.pairs

    def combined() -> list[list[float]]:
        return [list(reward.breakdown(t, task).terms.values()) for t, task in pairs]

    def rows(functions: list, **kwargs: Any) -> list[list[float]]:
        n = len(pairs)
        out = [f(prompts=[""] * n, task=batch.columns, **kwargs) for f in functions]
        return [list(row) for row in zip(*out, strict=True)]

    def messages() -> list[list[float]]:
        return rows(trl_reward_functions(reward)[0], completions=json.loads(batch.with_ids))

    def grpo() -> list[list[float]]:
        environments = []
        for trajectory, task in pairs:
            env = object.__new__(batch.classes[toolset_name(task)])
            env.episode = SimpleNamespace(calls=list(trajectory.calls))
            environments.append(env)
        functions = [with_merged_calls(f) for f in trl_reward_functions(reward)[0]]
        completions = json.loads(batch.without_ids)
        return rows(functions, completions=completions, environments=environments)

    return {"combined": combined, "messages": messages, "grpo": grpo}


def score_everything(tasks: list[Task], build: Callable[[str], CombinedReward]) -> dict:
    """``{path: {preset: rows}}`` for every case, scored from cold."""
    batch = Cases(tasks)
    out: dict[str, dict[str, list[list[float]]]] = {path: {} for path in PATHS}
    for preset in PRESETS:
        for path, score in scorers(batch, build(preset)).items():
            cold()
            out[path][preset] = score()
    return out


def _hex(rows: list[list[float]]) -> list[list[str]]:
    return [[float(v).hex() for v in row] for row in rows]


@pytest.fixture(scope="module")
def golden() -> dict:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def batch(all_tasks: list[Task]) -> Cases:
    return Cases(all_tasks)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_path_scores_as_before_cold_and_warm(
    preset, golden, batch, plugin_host, compose_config
) -> None:
    pairs = batch.pairs
    reward = CombinedReward.from_config(compose_config(f"reward={preset}").reward)
    for path, score in scorers(batch, reward).items():
        expected = golden[path][preset]
        assert len(expected) == len(pairs)
        cold()
        first = _hex(score())
        second = _hex(score())  # warm: every memo filled by the first pass
        for name, got in (("cold", first), ("warm", second)):
            wrong = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
            assert not wrong, (
                f"{path} {preset} {name}: {len(wrong)} of {len(pairs)} differ, first case "
                f"{wrong[0]} ({pairs[wrong[0]][1].id}): {got[wrong[0]]} != {expected[wrong[0]]}"
            )


def test_the_cases_cover_every_kind_of_trajectory(batch, all_tasks) -> None:
    pairs = batch.pairs
    records = [r for t, _ in pairs for r in t.calls]
    assert len(pairs) == len(all_tasks) * (VARIANTS + 1)
    assert any(r.call is None for r in records)  # unparsable attempts
    assert any(r.result is not None and not r.result.ok for r in records)  # failed calls
    assert any(r.result is None for r in records)  # unexecuted attempts
    assert any(len(t.calls) > len({r.turn for r in t.calls}) for t, _ in pairs)  # parallel


def _write_golden() -> None:
    """Score every case with the code as it is and store the values in :data:`GOLDEN`."""
    import os

    from orchestrl.config import compose
    from orchestrl.plugins.worlds.booking.data import load_tasks, load_templates, load_tools

    root = Path(os.environ["ORCHESTRL_DATA_DIR"])
    tools, templates = load_tools(root), load_templates(root)
    tasks = [
        task
        for name in ("train_101.jsonl", "eval_80.jsonl")
        for task in load_tasks(root / name, tools, templates)
    ]
    scores = score_everything(
        tasks, lambda preset: CombinedReward.from_config(compose([f"reward={preset}"]).reward)
    )
    hexed = {path: {p: _hex(rows) for p, rows in by.items()} for path, by in scores.items()}
    with gzip.GzipFile(GOLDEN, "wb", mtime=0) as handle:
        handle.write(json.dumps(hexed, separators=(",", ":")).encode())
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size:,} bytes, {len(cases(tasks))} cases)")


if __name__ == "__main__":
    _write_golden()
