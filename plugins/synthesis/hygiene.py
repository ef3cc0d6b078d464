"""Hygiene: overlap of synthesized tasks with an evaluation set, and excluding its calls.

Overlap (:func:`overlap_report`) has two parts:

* *shared cache keys*: gold calls of synthesized tasks that are also gold calls of evaluation
  tasks (same canonical key), with the number of tasks that contain at least one;
* *near-duplicate queries*: pairs whose word-trigram Jaccard similarity is at least
  ``threshold`` (0.6 by default), found through an inverted index of trigrams.

Exclusion (:func:`excluded_keys`): the keys of every gold call of the given task files (trace
files such as ``eval_80.jsonl`` or synthesized task JSONL) are removed from the samplers' call
index, so no synthesized trace contains an evaluation call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from orchestrl.api import Task
from orchestrl.errors import DataError
from orchestrl.jsonl import read_jsonl
from orchestrl.plugins.synthesis.output import read_tasks
from orchestrl.plugins.worlds.booking.data import load_tasks

KeyFunction = Callable[[str, Mapping[str, Any]], str]


def task_keys(task: Task, key: KeyFunction) -> list[str]:
    """Cache keys of a task's gold calls (keys recorded in metadata win)."""
    recorded = task.metadata.get("cache_keys")
    if isinstance(recorded, list) and len(recorded) == len(task.steps):
        return [str(k) for k in recorded]
    keys = []
    for step in task.steps:
        try:
            keys.append(key(step.function, step.arguments))
        except ValueError:
            continue
    return keys


def load_task_file(path: str | Path, tools: Mapping[str, Mapping[str, Any]]) -> list[Task]:
    """Tasks from a Booking trace file or a synthesized task JSONL (detected per file)."""
    path = Path(path)
    for _, record in read_jsonl(path):
        steps = record.get("steps") if isinstance(record, dict) else None
        if steps and isinstance(steps[0], dict) and "ground_truth" in steps[0]:
            return load_tasks(path, dict(tools))
        return read_tasks(path)
    return []


def excluded_keys(paths: Sequence[str], cache: Any, tools: Mapping[str, Mapping[str, Any]]
                  ) -> set[str]:
    """Keys of every gold call in the task files ``paths``."""
    keys: set[str] = set()
    for path in paths:
        if not Path(path).is_file():
            raise DataError(f"evaluation set '{path}' to exclude does not exist")
        for task in load_task_file(path, tools):
            keys.update(task_keys(task, cache.key))
    return keys


def _trigrams(text: str) -> set[tuple[str, ...]]:
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(tokens[i:i + 3]) for i in range(max(len(tokens) - 2, 0))} or {tuple(tokens)}


def near_duplicates(queries: Sequence[str], others: Sequence[str], *, threshold: float = 0.6
                    ) -> list[tuple[int, int, float]]:
    """``(i, j, similarity)`` for query ``i`` and other ``j`` at or above ``threshold``."""
    index: dict[tuple[str, ...], list[int]] = {}
    other_grams = [_trigrams(q) for q in others]
    for j, grams in enumerate(other_grams):
        for gram in grams:
            index.setdefault(gram, []).append(j)
    found = []
    for i, query in enumerate(queries):
        grams = _trigrams(query)
        shared: dict[int, int] = {}
        for gram in grams:
            for j in index.get(gram, ()):
                shared[j] = shared.get(j, 0) + 1
        for j, count in shared.items():
            similarity = count / len(grams | other_grams[j])
            if similarity >= threshold:
                found.append((i, j, round(similarity, 4)))
    return sorted(found)


def overlap_report(tasks: Iterable[Task], evaluation: Iterable[Task], key: KeyFunction, *,
                   threshold: float = 0.6) -> dict[str, Any]:
    """Shared cache keys and near-duplicate queries between ``tasks`` and ``evaluation``."""
    tasks, evaluation = list(tasks), list(evaluation)
    eval_keys = {k for t in evaluation for k in task_keys(t, key)}
    shared = set()
    touching = 0
    for task in tasks:
        common = set(task_keys(task, key)) & eval_keys
        shared |= common
        touching += bool(common)
    pairs = near_duplicates([t.query for t in tasks], [t.query for t in evaluation],
                            threshold=threshold)
    return {
        "tasks": len(tasks),
        "evaluation_tasks": len(evaluation),
        "shared_keys": len(shared),
        "tasks_with_shared_keys": touching,
        "near_duplicate_pairs": len(pairs),
        "near_duplicates": [
            {"task": tasks[i].id, "evaluation": evaluation[j].id, "similarity": s}
            for i, j, s in pairs[:50]
        ],
    }
