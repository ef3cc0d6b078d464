"""Tasks survive the trip through a dataset column."""

from __future__ import annotations

import pytest

from orchestrl.errors import DataError
from orchestrl.plugins.rewards.task_codec import task_from_json, task_to_json


def test_every_task_round_trips(all_tasks) -> None:
    for task in all_tasks:
        assert task_from_json(task_to_json(task)) == task


@pytest.mark.parametrize(
    "text", ["", "[]", '{"id": 1}', '{"id": "x", "query": "q", "steps": [{}]}']
)
def test_malformed_columns_are_data_errors(text: str) -> None:
    with pytest.raises(DataError, match="task column"):
        task_from_json(text)
