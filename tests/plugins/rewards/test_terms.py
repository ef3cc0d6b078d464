"""Each term's documented behaviour, on real tasks where the paper's reference goes wrong."""

from __future__ import annotations

import dataclasses

import pytest

from orchestrl.api import Task, ToolResult, Trajectory
from orchestrl.errors import ConfigError
from orchestrl.paths import parse_path
from orchestrl.plugins.rewards import perturb
from orchestrl.plugins.rewards.binary import Binary
from orchestrl.plugins.rewards.efficiency import Efficiency
from orchestrl.plugins.rewards.execution import Execution
from orchestrl.plugins.rewards.format_validity import FormatValidity
from orchestrl.plugins.rewards.function_name import FunctionName
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.orchestration import Orchestration
from orchestrl.plugins.rewards.paper_atomic import PaperAtomic
from orchestrl.plugins.rewards.param_names import ParamNames
from orchestrl.plugins.rewards.param_types import ParamTypes
from orchestrl.plugins.rewards.param_values import ParamValues


def _repeated_independent(tasks: list[Task]) -> list[tuple[Task, int, int]]:
    found = []
    for task in tasks:
        for i, first in enumerate(task.steps):
            for j in range(i + 1, len(task.steps)):
                second = task.steps[j]
                if (
                    second.function == first.function
                    and second.arguments != first.arguments
                    and not second.depends_on
                    and all(
                        not s.depends_on or i not in s.depends_on for s in task.steps[i : j + 1]
                    )
                ):
                    found.append((task, i, j))
    return found


def test_repeated_function_is_matched_to_its_own_occurrence(all_tasks) -> None:
    cases = _repeated_independent(all_tasks)
    assert cases
    for task, i, j in cases:
        gold = gold_trajectory(task)
        calls = list(gold.calls)
        calls[i], calls[j] = calls[j], calls[i]  # same turns, arguments swapped between them
        calls[i] = dataclasses.replace(calls[i], turn=gold.calls[i].turn)
        calls[j] = dataclasses.replace(calls[j], turn=gold.calls[j].turn)
        swapped = dataclasses.replace(gold, calls=calls)
        assert ParamValues().score(swapped, task) == 1.0
        assert Binary().score(swapped, task) == 1.0
    # the reference compares every repeat with the first occurrence and loses credit on them
    task, _, _ = cases[0]
    assert PaperAtomic(response_chars=0).score(gold_trajectory(task), task) < 1.0


def _dependent_steps(tasks: list[Task]):
    for task in tasks:
        for j, step in enumerate(task.steps):
            for argument, ref in step.dependency_args.items():
                yield task, j, argument, ref


def test_producer_and_consumer_in_the_same_turn_is_not_orchestration(train_tasks) -> None:
    task, j, _, ref = next(_dependent_steps(train_tasks))
    gold = gold_trajectory(task)
    calls = [
        dataclasses.replace(r, turn=gold.calls[ref.from_step].turn) if k == j else r
        for k, r in enumerate(gold.calls)
    ]
    same_turn = dataclasses.replace(gold, calls=calls)
    assert Orchestration().score(same_turn, task) < 1.0
    assert ParamValues().score(same_turn, task) == 1.0


def _set_path(value, path: str, new):
    tokens = parse_path(path)
    root = value
    if not isinstance(root, dict) or tokens[0] not in root:
        root = value["data"]
    for token in tokens[:-1]:
        root = root[token]
    root[tokens[-1]] = new


def test_dependent_argument_follows_the_response_actually_received(train_tasks) -> None:
    import copy

    checked = 0
    for task, j, argument, ref in _dependent_steps(train_tasks):
        uses = [r for _, _, _, r in _dependent_steps([task]) if r == ref]
        if len(uses) > 1:  # several consumers read that field: changing it moves them all
            continue
        gold = gold_trajectory(task)
        producer = gold.calls[ref.from_step]
        response = copy.deepcopy(producer.result.content)
        _set_path(response, ref.from_field, "ZZ-OTHER-VALUE")
        calls = list(gold.calls)
        calls[ref.from_step] = dataclasses.replace(producer, result=ToolResult(True, response))
        received = dataclasses.replace(gold, calls=calls)
        # the consumer still uses the gold value, which the producer did not receive
        assert Orchestration().score(received, task) < 1.0
        # the consumer uses what it received: orchestration credits it, values do not
        followed = perturb.corrupt_value(received, j, argument)
        args = dict(followed.calls[j].call.arguments)
        args[argument] = "ZZ-OTHER-VALUE"
        call = dataclasses.replace(followed.calls[j].call, arguments=args)
        followed.calls[j] = dataclasses.replace(followed.calls[j], call=call)
        assert Orchestration().score(followed, task) == 1.0
        assert ParamValues().score(followed, task) < 1.0
        checked += 1
        if checked == 20:
            break
    assert checked == 20


def test_execution_comes_from_environment_metadata(train_tasks) -> None:
    long_task = next(t for t in train_tasks if any(len(str(s.response)) > 20_000 for s in t.steps))
    gold = gold_trajectory(long_task)
    assert Execution().score(gold, long_task) == 1.0  # the reference loses these to its cut
    assert PaperAtomic().score(gold, long_task) < PaperAtomic(response_chars=0).score(
        gold, long_task
    )
    calls = [
        dataclasses.replace(r, result=ToolResult(False, r.result.content, "api_error"))
        for r in gold.calls
    ]
    failed = dataclasses.replace(gold, calls=calls)
    assert Execution().score(failed, long_task) == 0.0
    assert PaperAtomic(response_chars=0).score(failed, long_task) == PaperAtomic(
        response_chars=0
    ).score(gold, long_task)


def test_unparsable_attempts_count_against_format_and_every_level(eval_tasks) -> None:
    task = next(t for t in eval_tasks if len(t.steps) >= 3)
    broken = perturb.unparsable(gold_trajectory(task), 0)
    n = len(task.steps)
    assert FormatValidity().score(broken, task) == pytest.approx((n - 1) / n)
    assert FunctionName().score(broken, task) == pytest.approx(2 * (n - 1) / (2 * n))
    assert ParamNames().score(broken, task) < 1.0


def test_wrong_types_against_the_schema(all_tasks) -> None:
    task, position, argument = next(
        (t, i, k)
        for t in all_tasks
        for i, s in enumerate(t.steps)
        for k, v in s.arguments.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    )
    gold = gold_trajectory(task)
    as_text = perturb.add_argument(
        gold, position, argument, str(gold.calls[position].call.arguments[argument])
    )
    assert ParamTypes().score(as_text, task) == 1.0  # a numeric string is a lossless number
    as_bool = perturb.add_argument(gold, position, argument, True)
    assert ParamTypes().score(as_bool, task) < 1.0


def test_efficiency_penalises_extra_calls_with_slack(eval_tasks) -> None:
    task = eval_tasks[0]
    gold = gold_trajectory(task)
    doubled = perturb.duplicate_call(perturb.duplicate_call(gold, 0), 0)
    n = len(task.steps)
    assert Efficiency().score(gold, task) == 1.0
    assert Efficiency().score(doubled, task) == pytest.approx(n / (n + 2))
    assert Efficiency(slack=2).score(doubled, task) == 1.0
    with pytest.raises(ConfigError, match="slack"):
        Efficiency(slack=-1)


def test_empty_trajectory_scores_zero(eval_tasks) -> None:
    task = eval_tasks[0]
    empty = Trajectory(task.id, [], [], final_answer="I cannot help.")
    for term in (
        FormatValidity(),
        FunctionName(),
        ParamNames(),
        ParamTypes(),
        ParamValues(),
        Execution(),
        Orchestration(),
        Binary(),
        Efficiency(),
        PaperAtomic(),
    ):
        assert term.score(empty, task) == 0.0, type(term).__name__


def test_a_task_without_steps_rewards_making_no_call(eval_tasks) -> None:
    task = dataclasses.replace(eval_tasks[0], steps=[])
    empty = Trajectory(task.id, [], [])
    some = dataclasses.replace(gold_trajectory(eval_tasks[0]), task_id=task.id)
    for term in (FunctionName(), ParamValues(), Orchestration(), Binary(), Efficiency()):
        assert term.score(empty, task) == 1.0
        assert term.score(some, task) == 0.0
