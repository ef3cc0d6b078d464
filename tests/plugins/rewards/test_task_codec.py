"""Tasks survive the trip through a dataset column."""

from __future__ import annotations

import json

import pytest

from orchestrl.errors import DataError
from orchestrl.plugins.rewards.task_codec import (
    task_from_data,
    task_from_json,
    task_to_data,
    task_to_json,
)


def test_every_task_round_trips(all_tasks) -> None:
    for task in all_tasks:
        assert task_from_json(task_to_json(task)) == task
        assert task_from_data(task_to_data(task)) == task
        assert task_from_json(task_to_json(task, sort_keys=True)) == task


def test_data_is_fresh_and_decoding_data_gives_a_new_task(all_tasks) -> None:
    task = all_tasks[0]
    data = task_to_data(task)
    data["steps"][0]["arguments"]["added"] = 1
    assert "added" not in task.steps[0].arguments
    text = task_to_json(task)
    assert task_from_data(json.loads(text)) is not task_from_data(json.loads(text))


def test_sorted_text_does_not_depend_on_dict_order(all_tasks) -> None:
    task = all_tasks[0]
    reordered = task_from_data(task_to_data(task))
    reordered.tools = [dict(reversed(list(tool.items()))) for tool in reordered.tools]
    assert task_to_json(reordered) != task_to_json(task)
    assert task_to_json(reordered, sort_keys=True) == task_to_json(task, sort_keys=True)


def test_columns_without_responses_score_the_same(all_tasks) -> None:
    from orchestrl.plugins.rewards.combined import CombinedReward
    from orchestrl.plugins.rewards.gold import gold_trajectory
    from orchestrl.plugins.rewards.orchestration import Orchestration
    from orchestrl.plugins.rewards.param_values import ParamValues

    reward = CombinedReward({"o": (Orchestration(), 0.5), "v": (ParamValues(), 0.5)})
    for task in all_tasks:
        light = task_from_json(task_to_json(task, with_responses=False))
        assert all(step.response is None for step in light.steps)
        assert len(task_to_json(task, with_responses=False)) <= len(task_to_json(task))
        assert reward.score(gold_trajectory(task), light) == 1.0


@pytest.mark.parametrize(
    "text", ["", "[]", '{"id": 1}', '{"id": "x", "query": "q", "steps": [{}]}']
)
def test_malformed_columns_are_data_errors(text: str) -> None:
    with pytest.raises(DataError, match="task column"):
        task_from_json(text)
