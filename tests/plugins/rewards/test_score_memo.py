"""The breakdown memo (trajectories with equal signatures score once per task) is exact,
bounded, and never serves a stale score after a trajectory or a message list changes."""

from __future__ import annotations

import copy
import dataclasses
import json
import random

import pytest

from orchestrl.api import Task, ToolCall, ToolResult, Trajectory
from orchestrl.plugins.rewards import combined as combined_module
from orchestrl.plugins.rewards import perturb, prepared, text_trajectory
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.plugins.rewards.binary import Binary
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.orchestration import Orchestration
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions


@pytest.fixture
def graduated(plugin_host, compose_config) -> CombinedReward:
    return CombinedReward.from_config(compose_config("reward=graduated").reward)


def cold_breakdown(reward: CombinedReward, trajectory: Trajectory, task: Task):
    """The breakdown with every memo emptied (a fresh reward over the same terms)."""
    prepared.clear_caches()
    text_trajectory.clear_result_memo()
    return CombinedReward(reward.terms).breakdown(trajectory, task)


def dependent_task(tasks: list[Task]) -> tuple[Task, int]:
    """A task whose gold steps have a dependent argument (orchestration reads responses),
    and the gold position of a producer step."""
    for task in tasks:
        positions = {step.index: p for p, step in enumerate(task.steps)}
        for step in task.steps:
            for ref in step.dependency_args.values():
                if ref.from_step in positions:
                    return task, positions[ref.from_step]
    raise AssertionError("no task with a dependent argument")


def test_equal_trajectories_are_analysed_once(graduated, train_tasks, monkeypatch) -> None:
    analysed = []
    original = combined_module.analyse
    monkeypatch.setattr(combined_module, "analyse", lambda *a: analysed.append(1) or original(*a))
    prepared.clear_caches()
    task, _ = dependent_task(train_tasks)
    gold = gold_trajectory(task)
    first = graduated.breakdown(gold, task)
    copies = Trajectory(gold.task_id, [], [dataclasses.replace(r) for r in gold.calls])
    assert graduated.breakdown(copies, task) == first
    assert len(analysed) == 1
    assert len(prepared._SCORES) == 1
    prepared.forget_scores()
    assert graduated.breakdown(copies, task) == first
    assert len(analysed) == 2


def test_changed_records_are_scored_afresh(graduated, train_tasks) -> None:
    task, producer = dependent_task(train_tasks)
    gold = gold_trajectory(task)
    graduated.breakdown(gold, task)
    calls = gold.calls
    assert calls[producer].call.name == task.steps[producer].function
    record = calls[producer]
    failed = ToolResult(False, {"error": "boom"}, "api_error")
    other_content = ToolResult(True, {"data": {"unrelated": 1}})
    changed = [
        dataclasses.replace(record, result=failed),  # the producer failed
        dataclasses.replace(record, result=other_content),  # it received another response
        dataclasses.replace(record, result=None),  # it was never executed
        dataclasses.replace(record, turn=record.turn + 5),  # it came after its consumers
        dataclasses.replace(record, call=None, parse_error="bad"),  # it did not parse
        dataclasses.replace(record, call=ToolCall("not_a_tool", {})),
        dataclasses.replace(record, call=ToolCall(record.call.name, {})),
    ]
    seen = {graduated.breakdown(gold, task).total}
    for new in changed:
        trajectory = Trajectory(gold.task_id, [], [*calls[:producer], new, *calls[producer + 1:]])
        warm = graduated.breakdown(trajectory, task)
        assert warm == cold_breakdown(graduated, trajectory, task), new
        seen.add(warm.total)
        graduated.breakdown(gold, task)  # the memo holds the gold trajectory's entry again
    longer = Trajectory(gold.task_id, [], [*calls, calls[0]])
    assert graduated.breakdown(longer, task) == cold_breakdown(graduated, longer, task)
    # the same list object mutated in place after scoring
    mutable = Trajectory(gold.task_id, [], list(calls))
    graduated.breakdown(mutable, task)
    mutable.calls[producer] = changed[0]
    assert graduated.breakdown(mutable, task) == cold_breakdown(graduated, mutable, task)
    mutable.calls[producer].turn = record.turn + 5  # a record's field mutated in place
    assert graduated.breakdown(mutable, task) == cold_breakdown(graduated, mutable, task)
    assert len(seen) > 3  # the changes do change scores


def test_the_memo_is_bounded(graduated, train_tasks) -> None:
    task = train_tasks[0]
    gold = gold_trajectory(task)
    first = gold.calls[0]
    for i in range(prepared.SCORE_LIMIT + 40):
        call = ToolCall(first.call.name, {**first.call.arguments, "extra": i})
        trajectory = Trajectory(gold.task_id, [], [dataclasses.replace(first, call=call)])
        graduated.breakdown(trajectory, task)
        assert len(prepared._SCORES) <= prepared.SCORE_LIMIT


def test_rewards_with_other_settings_do_not_share_entries(train_tasks) -> None:
    task = train_tasks[0]
    gold = gold_trajectory(task)
    repeated = Trajectory(gold.task_id, [], [*gold.calls, gold.calls[0]])
    strict = CombinedReward({"binary": (Binary(), 1.0)})
    lenient = CombinedReward({"binary": (Binary(allow_extra_calls=True), 1.0)})
    assert strict.breakdown(repeated, task).total == 0.0
    assert lenient.breakdown(repeated, task).total == 1.0
    assert strict.breakdown(repeated, task).total == 0.0


class _AnswerLength(MatchedTerm):
    """Reads the final answer: not a function of the call records (not signature-pure)."""

    def score_analysis(self, analysis: Analysis) -> float:
        return min(1.0, len(analysis.trajectory.final_answer or "") / 10)


def test_terms_that_read_more_than_the_calls_are_not_memoised(train_tasks) -> None:
    task = train_tasks[0]
    gold = gold_trajectory(task)
    reward = CombinedReward({"orch": (Orchestration(), 0.5), "answer": (_AnswerLength(), 0.5)})
    short = dataclasses.replace(gold, final_answer="ok")
    long = dataclasses.replace(gold, final_answer="a long final answer")
    assert reward.breakdown(short, task).terms["answer"] == 0.2
    assert reward.breakdown(long, task).terms["answer"] == 1.0


def test_a_message_list_changed_after_scoring_is_scored_afresh(graduated, train_tasks) -> None:
    task, _ = dependent_task(train_tasks)
    gold = gold_trajectory(task)
    column = task_to_json(task, with_responses=False)
    completion = [
        {k: v for k, v in m.items() if k != "tool_call_id"} for m in gold.messages[1:]
    ]
    functions, _ = trl_reward_functions(graduated)

    def score(completions: list) -> list[float]:
        return [f(prompts=[""], completions=completions, task=[column])[0] for f in functions]

    batch = [completion]
    assert score(batch) == [1.0] * len(functions)
    # mutate the scored message list in place: an argument of the last call, a tool output
    last = next(m for m in reversed(completion) if m.get("tool_calls"))
    arguments = last["tool_calls"][0]["function"]["arguments"]
    name = sorted(arguments)[0]
    arguments[name] = "changed " + json.dumps(arguments[name])
    first_tool = next(m for m in completion if m["role"] == "tool")
    first_tool["content"] = "not json"
    changed = score([completion])  # TRL hands a new batch list each step
    prepared.clear_caches()
    text_trajectory.clear_result_memo()
    fresh, _ = trl_reward_functions(CombinedReward(graduated.terms))
    expected = [
        f(prompts=[""], completions=[copy.deepcopy(completion)], task=[column])[0] for f in fresh
    ]
    assert changed == expected
    assert changed != [1.0] * len(functions)


def test_a_result_object_kept_by_the_memo_is_not_confused_with_a_new_one(
    graduated, train_tasks
) -> None:
    """The signature holds result contents by identity; the memo keeps them alive, so a new
    content object with another value can never take a memoised one's id (CPython reuses the
    ids of freed objects at once)."""
    task, producer = dependent_task(train_tasks)
    gold = gold_trajectory(task)
    record = gold.calls[producer]
    totals = set()
    for i in range(40):
        content = copy.deepcopy(record.result.content) if i % 2 else {"data": []}
        calls = list(gold.calls)
        calls[producer] = dataclasses.replace(record, result=ToolResult(True, content))
        trajectory = Trajectory(gold.task_id, [], calls)
        got = graduated.breakdown(trajectory, task)
        assert got == CombinedReward(graduated.terms).breakdown(trajectory, task)
        totals.add(got.total)
        del content, calls, trajectory
    assert len(totals) == 2


def test_the_call_memo_stores_plain_json_calls_only(graduated, train_tasks) -> None:
    """Measures are looked up by exact bytes, in which every buffer type has one code: only
    calls of plain JSON arguments are stored, so bytes never stand for a bytearray."""
    task = train_tasks[0]
    gold = gold_trajectory(task)
    name = sorted(gold.calls[0].call.arguments)[0]
    prepared.clear_caches()
    for value in (b"a", bytearray(b"a"), memoryview(b"a"), (1,)):
        trajectory = perturb.add_argument(gold, 0, name, value)
        assert graduated.breakdown(trajectory, task) == cold_breakdown(graduated, trajectory, task)
    prepared.clear_caches()
    graduated.breakdown(gold, task)
    stored = len(prepared.prepare(task).measures)  # the gold calls
    for value in (b"a", bytearray(b"a"), (1,)):
        graduated.breakdown(perturb.add_argument(gold, 0, name, value), task)
    assert len(prepared.prepare(task).measures) == stored
    graduated.breakdown(perturb.add_argument(gold, 0, name, [1]), task)
    assert len(prepared.prepare(task).measures) == stored + 1


class _Constant(MatchedTerm):
    """A signature-pure term that returns a fixed value (of any type)."""

    signature_pure = True

    def __init__(self, value: object) -> None:
        self.value = value

    def score_analysis(self, analysis: Analysis) -> float:
        return self.value  # type: ignore[return-value]


def test_terms_on_the_analysis_are_checked_and_made_floats(train_tasks) -> None:
    from orchestrl.errors import PluginError

    task = train_tasks[0]
    gold = gold_trajectory(task)
    whole = CombinedReward({"orch": (Orchestration(), 0.5), "one": (_Constant(1), 0.5)})
    scored = whole.breakdown(gold, task)
    assert scored.terms == {"orch": 1.0, "one": 1.0}
    assert type(scored.terms["one"]) is float
    for bad in (1.5, -0.1, float("nan")):
        broken = CombinedReward({"orch": (Orchestration(), 0.5), "bad": (_Constant(bad), 0.5)})
        with pytest.raises(PluginError, match="reward term 'bad' returned"):
            broken.breakdown(gold, task)


def test_forgetting_calls_scores_as_a_cold_start(graduated, train_tasks) -> None:
    """Scores after :func:`prepared.forget_calls` (every per-call memo emptied, the gold sides
    kept: the benchmark's "all new" rollouts) equal those of warm memos and of a cold start."""
    rng = random.Random(3)
    pairs = [(gold_trajectory(t), t) for t in train_tasks[:12]]
    pairs += [(v, t) for g, t in list(pairs) for v in perturb.random_variants(g, rng, 2)]
    warm = [graduated.breakdown(g, t) for g, t in pairs]
    assert [graduated.breakdown(g, t) for g, t in pairs] == warm  # memo hits
    task = pairs[0][1]
    assert prepared.prepare(task).measures
    prepared.forget_calls()
    kept = prepared.prepare(task)
    assert not (kept.measures or kept.seen or kept.produced or prepared._SCORES)
    assert [graduated.breakdown(g, t) for g, t in pairs] == warm
    assert prepared.prepare(task) is kept  # the gold side survives
    assert [cold_breakdown(graduated, g, t) for g, t in pairs] == warm
