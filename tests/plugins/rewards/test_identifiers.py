"""`graduated` compares arguments by the schema's declared type: no credit for a wrong identifier.

Real cases from `train_101.jsonl`: `vehicle_id` (typed string, dependent on the car search),
`dest_id` (typed number), coordinates given as numeric strings (typed string).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from orchestrl.api import Task, Trajectory
from orchestrl.plugins.rewards.analysis import analyse
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.orchestration import step_orchestrated


@pytest.fixture
def graduated(plugin_host, compose_config) -> CombinedReward:
    return CombinedReward.from_config(compose_config("reward=graduated").reward)


def _task(tasks: list[Task], task_id: str) -> Task:
    return next(t for t in tasks if t.id == task_id)


def _with_argument(trajectory: Trajectory, position: int, name: str, value: Any) -> Trajectory:
    calls = list(trajectory.calls)
    record = calls[position]
    assert record.call is not None and name in record.call.arguments
    arguments = {**record.call.arguments, name: value}
    calls[position] = dataclasses.replace(
        record, call=dataclasses.replace(record.call, arguments=arguments)
    )
    return dataclasses.replace(trajectory, calls=calls)


def _credited(trajectory: Trajectory, task: Task, position: int) -> tuple[float, bool]:
    """The value share of the call at ``position`` and whether orchestration credits it."""
    analysis = analyse(trajectory, task)
    pair = next(p for p in analysis.pairs if p.record == position)
    return pair.value_share, step_orchestrated(analysis, pair.gold)


def _vehicle_case(train_tasks: list[Task]) -> tuple[Task, int, str]:
    task = _task(train_tasks, "train_101:21")  # Booking_Summary after Search_Car_Rentals
    position = next(i for i, s in enumerate(task.steps) if "vehicle_id" in s.dependency_args)
    gold_id = task.steps[position].arguments["vehicle_id"]
    assert gold_id == "382161796"
    return task, position, gold_id


@pytest.mark.parametrize("delta", [1, -1])
def test_a_vehicle_id_off_by_one_gets_no_credit(graduated, train_tasks, delta) -> None:
    task, position, gold_id = _vehicle_case(train_tasks)
    gold = gold_trajectory(task)
    assert _credited(gold, task, position) == (1.0, True)
    wrong = _with_argument(gold, position, "vehicle_id", str(int(gold_id) + delta))
    # two arguments (vehicle_id, search_key): one right → value share 1/2, no data flow
    assert _credited(wrong, task, position) == (0.5, False)
    assert graduated.breakdown(wrong, task).terms["binary"] == 0.0


def test_the_other_search_results_vehicle_gets_no_credit(graduated, train_tasks) -> None:
    task, position, gold_id = _vehicle_case(train_tasks)
    producer = task.steps[task.steps[position].dependency_args["vehicle_id"].from_step]
    results = producer.response["data"]["search_results"]
    other = results[1]["vehicle_id"]
    assert str(other) != gold_id and abs(int(other) - int(gold_id)) < 1e-6 * int(gold_id)
    wrong = _with_argument(gold_trajectory(task), position, "vehicle_id", str(other))
    assert _credited(wrong, task, position) == (0.5, False)
    assert graduated.score(wrong, task) < 1.0


def test_a_number_for_a_string_id_keeps_the_value_and_loses_the_type(train_tasks) -> None:
    task, position, gold_id = _vehicle_case(train_tasks)
    typed = _with_argument(gold_trajectory(task), position, "vehicle_id", int(gold_id))
    assert _credited(typed, task, position) == (1.0, True)
    pair = next(p for p in analyse(typed, task).pairs if p.record == position)
    assert pair.type_share == 0.5


def test_numeric_string_coordinates_compare_as_text(train_tasks) -> None:
    task = _task(train_tasks, "train_101:28")  # Search_Hotels_By_Coordinates, latitude string
    position = next(i for i, s in enumerate(task.steps) if "latitude" in s.arguments)
    args = task.steps[position].arguments
    assert args["latitude"] == "48.858353"
    gold = gold_trajectory(task)
    n = len(args)
    # 48.8583531 is within the old 1e-6 relative tolerance of 48.858353, but a different string
    near = _with_argument(gold, position, "latitude", "48.8583531")
    assert _credited(near, task, position)[0] == pytest.approx((n - 1) / n)
    spaced = _with_argument(gold, position, "latitude", " 48.858353 ")
    assert _credited(spaced, task, position)[0] == 1.0


def test_integral_numbers_get_no_tolerance_but_fractions_do(train_tasks) -> None:
    task = _task(train_tasks, "train_101:42")  # Search_Hotels, dest_id typed number
    position = next(i for i, s in enumerate(task.steps) if s.function == "Search_Hotels")
    gold_id = task.steps[position].arguments["dest_id"]
    assert gold_id == 20023182
    n = len(task.steps[position].arguments)
    gold = gold_trajectory(task)
    for wrong in (gold_id + 1, gold_id - 1, str(gold_id + 1)):
        share = _credited(_with_argument(gold, position, "dest_id", wrong), task, position)[0]
        assert share == pytest.approx((n - 1) / n), wrong
    # a number parameter keeps the 1e-6 relative tolerance for non-integral values
    close = _with_argument(gold, position, "dest_id", gold_id + 0.5)
    assert _credited(close, task, position)[0] == 1.0
    as_text = _with_argument(gold, position, "dest_id", str(gold_id))
    assert _credited(as_text, task, position)[0] == 1.0
