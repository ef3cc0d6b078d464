"""Tasks as JSON text, so a task can travel as a dataset column (TRL passes columns as kwargs).

``task_to_json(task)`` writes every field (gold steps with their responses and dependency
references); ``task_from_json(text)`` reads it back into an equal :class:`~orchestrl.api.Task`.
Only ``json`` is used: the text is data, never code. Decoding is memoised by text, so a column
repeated for every generation of a prompt is decoded once.
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from typing import Any

from orchestrl.api import DependencyRef, GoldStep, Task
from orchestrl.errors import DataError


def task_to_json(task: Task, *, with_responses: bool = True) -> str:
    """The task as one line of JSON.

    ``with_responses=False`` leaves out the gold steps' responses (read back as None): no reward
    term needs them (orchestration reads the responses the rollout actually received), and a
    dataset column without them is several times smaller and faster to decode.
    """
    data = dataclasses.asdict(task)
    if not with_responses:
        for step in data["steps"]:
            step["response"] = None
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def task_from_json(text: str) -> Task:
    """The task written by :func:`task_to_json` (memoised; treat the result as read-only)."""
    return _decode(text)


@lru_cache(maxsize=4_096)
def _decode(text: str) -> Task:
    try:
        data = json.loads(text)
        steps = [_step(raw) for raw in data["steps"]]
        return Task(
            id=str(data["id"]),
            query=str(data["query"]),
            tools=list(data.get("tools") or []),
            steps=steps,
            domain=str(data.get("domain") or ""),
            metadata=dict(data.get("metadata") or {}),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"task column is not a task written by task_to_json ({exc})") from None


def _step(raw: dict[str, Any]) -> GoldStep:
    return GoldStep(
        index=int(raw["index"]),
        function=str(raw["function"]),
        arguments=dict(raw["arguments"]),
        depends_on=tuple(int(d) for d in raw.get("depends_on") or ()),
        dependency_args={
            str(name): DependencyRef(int(ref["from_step"]), str(ref["from_field"]))
            for name, ref in (raw.get("dependency_args") or {}).items()
        },
        response=raw.get("response"),
        turn=None if raw.get("turn") is None else int(raw["turn"]),
    )
