"""Synthesized tasks as JSONL that ``datasets.load_dataset("json", ...)`` loads.

One record per task::

    {"id", "query", "domain", "template",
     "tools": [<tool schema as JSON text>, ...],
     "steps": [{"index", "function", "arguments": <JSON text>, "depends_on": [int],
                "dependency_args": [{"argument", "from_step", "from_field"}],
                "response": <JSON text>, "turn", "cache_key"}],
     "cache_keys": [str], "complexity": {"steps", "depth", "fan_in", "branches", "domains"},
     "metadata": <JSON text>, "ground_truth": <JSON text>}

Values whose shape differs between records (arguments, responses, tool schemas, metadata) are
JSON text so that Arrow sees one type per column; :func:`read_tasks` turns records back into
:class:`~orchestrl.api.Task` objects. ``ground_truth`` is the task as the reward reads it
(:func:`orchestrl.plugins.rewards.task_codec.task_to_json`, without gold responses): the
``task`` column of TRL and verl's ``reward_model.ground_truth`` (see
:mod:`orchestrl.plugins.rewards.verl_score`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orchestrl.api import DependencyRef, GoldStep, Task
from orchestrl.errors import DataError
from orchestrl.plugins.rewards.task_codec import task_to_json

COMPLEXITY_KEYS = ("steps", "depth", "fan_in", "branches", "domains")


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def task_record(task: Task) -> dict[str, Any]:
    """The JSONL record of one task."""
    keys = list(task.metadata.get("cache_keys") or [])
    complexity = task.metadata.get("complexity") or {}
    meta = {k: v for k, v in task.metadata.items() if k not in ("cache_keys", "complexity")}
    return {
        "id": task.id,
        "query": task.query,
        "domain": task.domain,
        "template": str(task.metadata.get("template", "")),
        "tools": [_text(tool) for tool in task.tools],
        "steps": [
            {
                "index": step.index,
                "function": step.function,
                "arguments": _text(step.arguments),
                "depends_on": list(step.depends_on),
                "dependency_args": [
                    {"argument": arg, "from_step": ref.from_step, "from_field": ref.from_field}
                    for arg, ref in sorted(step.dependency_args.items())
                ],
                "response": _text(step.response),
                "turn": -1 if step.turn is None else step.turn,
                "cache_key": keys[step.index] if step.index < len(keys) else "",
            }
            for step in task.steps
        ],
        "cache_keys": keys,
        "complexity": {k: int(complexity.get(k, 0)) for k in COMPLEXITY_KEYS},
        "metadata": _text(meta),
        "ground_truth": task_to_json(task, with_responses=False),
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
    """The task of one record written by :func:`task_record`."""
    steps = []
    for raw in record["steps"]:
        turn = int(raw.get("turn", -1))
        steps.append(GoldStep(
            index=int(raw["index"]),
            function=str(raw["function"]),
            arguments=json.loads(raw["arguments"]),
            depends_on=tuple(int(d) for d in raw.get("depends_on") or ()),
            dependency_args={
                str(d["argument"]): DependencyRef(int(d["from_step"]), str(d["from_field"]))
                for d in raw.get("dependency_args") or ()
            },
            response=json.loads(raw["response"]),
            turn=None if turn < 0 else turn,
        ))
    metadata = json.loads(record.get("metadata") or "{}")
    metadata["cache_keys"] = list(record.get("cache_keys") or [])
    metadata["complexity"] = dict(record.get("complexity") or {})
    metadata.setdefault("template", record.get("template", ""))
    return Task(id=str(record["id"]), query=str(record["query"]),
                tools=[json.loads(t) for t in record.get("tools") or []], steps=steps,
                domain=str(record.get("domain") or ""), metadata=metadata)


def read_tasks(path: str | Path) -> list[Task]:
    """Tasks from a JSONL file written by :func:`write_tasks`; DataError names file and line."""
    from orchestrl.jsonl import read_jsonl

    tasks = []
    for number, record in read_jsonl(Path(path)):
        try:
            tasks.append(task_from_record(record))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}:{number}: not a synthesized task ({exc})") from None
    return tasks


HEADLINE = ("sampler", "attempts", "valid", "valid_per_attempt", "valid_per_second", "output")
"""Keys of a synthesis summary printed as ``orchestrl synth``'s one-line headline."""


def print_headline(summary: dict[str, Any]) -> None:
    """Print the summary's :data:`HEADLINE` keys as one JSON line."""
    print(json.dumps({key: summary.get(key) for key in HEADLINE}))
