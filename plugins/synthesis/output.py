"""Synthesized tasks as JSONL that ``datasets.load_dataset("json", ...)`` loads.

One record per task::

    {"id", "query", "domain", "template", "cache_keys": [str],
     "complexity": {"steps", "depth", "fan_in", "branches", "domains"},
     "ground_truth": <JSON text>, "responses": [<JSON text>, ...]}

``ground_truth`` is the whole task in the one task codec
(:func:`orchestrl.plugins.rewards.task_codec.task_to_json`) without the gold responses: the
``task`` column of TRL and verl's ``reward_model.ground_truth`` (see
:mod:`orchestrl.plugins.rewards.verl_score`). ``responses`` holds each gold step's real
response as JSON text, in step order (text, so that Arrow sees one type per column). Both are
written with sorted keys, so a task read back has the same dicts, in the same key order,
whatever order its sampler built them in.
``template``, ``cache_keys`` and ``complexity`` copy the task's metadata as flat columns for
dataset queries; :func:`read_tasks` reads the task from ``ground_truth`` and ``responses`` only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orchestrl.api import Task
from orchestrl.errors import DataError
from orchestrl.jsonl import read_jsonl
from orchestrl.plugins.rewards.task_codec import task_from_data, task_to_json

COMPLEXITY_KEYS = ("steps", "depth", "fan_in", "branches", "domains")


def task_record(task: Task) -> dict[str, Any]:
    """The JSONL record of one task."""
    complexity = task.metadata.get("complexity") or {}
    return {
        "id": task.id,
        "query": task.query,
        "domain": task.domain,
        "template": str(task.metadata.get("template", "")),
        "cache_keys": list(task.metadata.get("cache_keys") or []),
        "complexity": {k: int(complexity.get(k, 0)) for k in COMPLEXITY_KEYS},
        "ground_truth": task_to_json(task, with_responses=False, sort_keys=True),
        "responses": [json.dumps(s.response, ensure_ascii=False, sort_keys=True)
                      for s in task.steps],
    }


def write_tasks(tasks: Iterable[Task], path: str | Path) -> int:
    """Write tasks as JSONL; return how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for task in tasks:
            handle.write(json.dumps(task_record(task), ensure_ascii=False) + "\n")
            count += 1
    return count


def task_from_record(record: dict[str, Any]) -> Task:
    """The task of one record written by :func:`task_record` (equal to the task written).

    Raises KeyError, TypeError or ValueError when ``record`` is not such a record.
    """
    if "responses" not in record:
        raise ValueError("no 'responses' column: written by an older orchestrl synth? "
                         "synthesize the tasks again")
    data = json.loads(record["ground_truth"])
    steps, responses = data["steps"], record["responses"]
    if len(responses) != len(steps):
        raise ValueError(f"{len(responses)} responses for {len(steps)} steps")
    for step, response in zip(steps, responses, strict=True):
        step["response"] = json.loads(response)
    return task_from_data(data)


def read_tasks(path: str | Path) -> list[Task]:
    """Tasks from a JSONL file written by :func:`write_tasks`; DataError names file and line."""
    tasks = []
    for number, record in read_jsonl(Path(path)):
        try:
            tasks.append(task_from_record(record))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"{path}:{number}: not a synthesized task ({exc})") from None
    return tasks


HEADLINE = ("sampler", "attempts", "valid", "valid_per_attempt", "valid_per_second", "output")
"""Keys of a synthesis summary printed as ``orchestrl synth``'s one-line headline."""


def print_headline(summary: dict[str, Any]) -> None:
    """Print the summary's :data:`HEADLINE` keys as one JSON line."""
    print(json.dumps({key: summary.get(key) for key in HEADLINE}))
