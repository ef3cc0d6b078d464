"""Property tests (hypothesis) of the graduated terms on real tasks and their gold trajectories."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrl.api import Task, Trajectory
from orchestrl.plugins.rewards import perturb
from orchestrl.plugins.rewards.analysis import analyse
from orchestrl.plugins.rewards.binary import Binary
from orchestrl.plugins.rewards.efficiency import Efficiency
from orchestrl.plugins.rewards.execution import Execution
from orchestrl.plugins.rewards.format_validity import FormatValidity
from orchestrl.plugins.rewards.function_name import FunctionName
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.orchestration import Orchestration
from orchestrl.plugins.rewards.paper_atomic import PaperAtomic
from orchestrl.plugins.rewards.paper_orchestration import PaperOrchestration
from orchestrl.plugins.rewards.param_names import ParamNames
from orchestrl.plugins.rewards.param_types import ParamTypes
from orchestrl.plugins.rewards.param_values import ParamValues

TERMS = {
    "format": FormatValidity(),
    "function_name": FunctionName(),
    "param_names": ParamNames(),
    "param_types": ParamTypes(),
    "param_values": ParamValues(),
    "execution": Execution(),
    "orchestration": Orchestration(),
    "binary": Binary(),
    "efficiency": Efficiency(),
    "paper_atomic": PaperAtomic(),
    "paper_orchestration": PaperOrchestration(),
}
ATOMIC = ("function_name", "param_names", "param_types", "param_values", "execution")
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scores(trajectory: Trajectory, task: Task) -> dict[str, float]:
    return {name: term.score(trajectory, task) for name, term in TERMS.items()}


@pytest.fixture(scope="module")
def gold(all_tasks: list[Task]) -> list[tuple[Task, Trajectory, dict[str, float]]]:
    return [(t, g, scores(g, t)) for t in all_tasks for g in [gold_trajectory(t)]]


@PROPERTY
@given(data=st.data())
def test_corrupting_one_value_lowers_the_value_term_and_nothing_unrelated(gold, data) -> None:
    task, trajectory, before = data.draw(
        st.sampled_from([g for g in gold if any(s.arguments for s in g[0].steps)])
    )
    position = data.draw(st.sampled_from([i for i, s in enumerate(task.steps) if s.arguments]))
    argument = data.draw(st.sampled_from(sorted(task.steps[position].arguments)))
    after = scores(perturb.corrupt_value(trajectory, position, argument), task)
    assert after["param_values"] < before["param_values"]
    assert after["binary"] == 0.0
    for name in ("format", "function_name", "param_names", "param_types", "execution"):
        assert after[name] == before[name], name
    if argument in task.steps[position].dependency_args:
        assert after["orchestration"] < before["orchestration"]
    else:
        assert after["orchestration"] == before["orchestration"]


@PROPERTY
@given(data=st.data())
def test_moving_a_dependent_call_before_its_producer_lowers_orchestration(gold, data) -> None:
    candidates = [
        (t, g, s, j)
        for t, g, s in gold
        for j, step in enumerate(t.steps)
        if step.depends_on
        # a call identical to another one of the task cannot be told apart when moved
        and not any(
            k != j and o.function == step.function and o.arguments == step.arguments
            for k, o in enumerate(t.steps)
        )
    ]
    task, trajectory, before, consumer = data.draw(st.sampled_from(candidates))
    producer = data.draw(st.sampled_from(sorted(task.steps[consumer].depends_on)))
    moved = perturb.move_call(trajectory, consumer, producer)
    after = scores(moved, task)
    assert after["orchestration"] < before["orchestration"]
    for name in ("function_name", "param_names", "param_values", "execution"):
        assert after[name] == before[name], name


@PROPERTY
@given(data=st.data())
def test_dropping_a_step_lowers_recall(gold, data) -> None:
    task, trajectory, before = data.draw(st.sampled_from(gold))
    position = data.draw(st.integers(0, len(task.steps) - 1))
    after = scores(perturb.drop_call(trajectory, position), task)
    for name in ("function_name", "param_names", "param_values", "orchestration", "binary"):
        assert after[name] < before[name], name
    analysis = analyse(perturb.drop_call(trajectory, position), task)
    assert len(analysis.pairs) == len(task.steps) - 1


@PROPERTY
@given(data=st.data())
def test_a_failed_execution_lowers_execution_not_the_call_levels(gold, data) -> None:
    task, trajectory, before = data.draw(st.sampled_from(gold))
    position = data.draw(st.integers(0, len(task.steps) - 1))
    after = scores(perturb.fail_call(trajectory, position), task)
    assert after["execution"] < before["execution"]
    for name in ("function_name", "param_names", "param_types", "param_values", "binary"):
        assert after[name] == before[name], name
    consumers = [
        s for s in task.steps if position in [r.from_step for r in s.dependency_args.values()]
    ]
    if consumers:
        assert after["orchestration"] < before["orchestration"]


@PROPERTY
@given(data=st.data())
def test_an_invented_argument_costs_precision_and_types(gold, data) -> None:
    task, trajectory, before = data.draw(st.sampled_from(gold))
    position = data.draw(st.integers(0, len(task.steps) - 1))
    after = scores(perturb.add_argument(trajectory, position, "not_a_parameter", 1), task)
    for name in ("param_names", "param_types", "param_values", "binary"):
        assert after[name] < before[name], name
    for name in ("function_name", "execution", "orchestration"):
        assert after[name] == before[name], name


@PROPERTY
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_every_term_stays_in_the_unit_interval(gold, data, seed) -> None:
    task, trajectory, _ = data.draw(st.sampled_from(gold))
    rng = random.Random(seed)
    variant = trajectory
    for _ in range(data.draw(st.integers(1, 4))):
        variant = next(perturb.random_variants(variant, rng, 1))
    for name, value in scores(variant, task).items():
        assert 0.0 <= value <= 1.0, (name, value)


def test_corrupting_any_gold_value_is_seen_by_the_value_term_only(gold) -> None:
    checked = 0
    for task, trajectory, before in gold:
        for position, step in enumerate(task.steps):
            for argument in step.arguments:
                after = scores(perturb.corrupt_value(trajectory, position, argument), task)
                assert after["param_values"] < before["param_values"]
                assert after["param_types"] == before["param_types"], (task.id, argument)
                related = argument in step.dependency_args
                assert (after["orchestration"] < before["orchestration"]) == related
                checked += 1
    assert checked > 1_000


def test_moving_any_distinguishable_dependent_call_before_any_producer(gold) -> None:
    checked = 0
    for task, trajectory, before in gold:
        for j, step in enumerate(task.steps):
            twins = [
                o
                for o in task.steps
                if o.function == step.function and o.arguments == step.arguments
            ]
            if len(twins) > 1:
                continue
            for producer in step.depends_on:
                after = scores(perturb.move_call(trajectory, j, producer), task)
                assert after["orchestration"] < before["orchestration"], (task.id, j, producer)
                checked += 1
    assert checked > 200
