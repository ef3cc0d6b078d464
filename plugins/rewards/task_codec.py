"""The one codec of tasks: how a :class:`~orchestrl.api.Task` becomes JSON and back.

``task_to_data(task)`` is the task as a JSON-compatible dict (every field; gold steps with
their responses and dependency references); ``task_from_data(data)`` reads such a dict back
into an equal task. ``task_to_json``/``task_from_json`` are the same as one line of text, so
that a task can travel as a dataset column (TRL passes columns as kwargs; verl's
``reward_model.ground_truth``); the task JSONL of ``orchestrl synth``
(:mod:`orchestrl.plugins.synthesis.output`) stores that text too. Only ``json`` is used: the
text is data, never code. :func:`task_from_json` is memoised by text, so a column repeated for
every generation of a prompt is decoded once.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from orchestrl.api import DependencyRef, GoldStep, Task
from orchestrl.errors import DataError
from orchestrl.plugins.rewards.text_memo import TextMemo


def task_to_data(task: Task, *, with_responses: bool = True) -> dict[str, Any]:
    """The task as a JSON-compatible dict (a fresh one: the caller may change it).

    ``with_responses=False`` leaves out the gold steps' responses (read back as None): no reward
    term needs them (orchestration reads the responses the rollout actually received), and a
    dataset column without them is several times smaller and faster to decode.
    """
    data = dataclasses.asdict(task)
    if not with_responses:
        for step in data["steps"]:
            step["response"] = None
    return data


def task_to_json(task: Task, *, with_responses: bool = True, sort_keys: bool = False) -> str:
    """:func:`task_to_data` as one line of JSON; ``sort_keys`` sorts the keys of every object
    (tool schemas, arguments, responses, metadata), so that the text, and the task read back
    from it, do not depend on the order in which the task's dicts were built."""
    data = task_to_data(task, with_responses=with_responses)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


def task_from_data(data: Any) -> Task:
    """The task of a dict written by :func:`task_to_data` (a new object every call).

    Raises ValueError, KeyError, TypeError or AttributeError when ``data`` is not such a dict;
    callers turn those into a :class:`~orchestrl.errors.DataError` naming their input.
    """
    return Task(
        id=str(data["id"]),
        query=str(data["query"]),
        tools=list(data.get("tools") or []),
        steps=[_step(raw) for raw in data["steps"]],
        domain=str(data.get("domain") or ""),
        metadata=dict(data.get("metadata") or {}),
    )


def task_from_json(text: str) -> Task:
    """The task written by :func:`task_to_json` (memoised; treat the result as read-only).

    Equal texts give the same task object while it is memoised (at most
    :data:`TASK_MEMO_CHARS` characters of text; looked up by the text's fingerprint and
    confirmed by comparing it whole, :class:`~orchestrl.plugins.rewards.text_memo.TextMemo`:
    TRL hands the column over as new strings, which hashing would read in full each time).
    """
    if type(text) is str:
        hit = _TASKS.get(text)
        if hit is not None:
            return hit
    try:
        task = task_from_data(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"task column is not a task written by task_to_json ({exc})") from None
    if type(text) is str:
        _TASKS.put(text, task)
    return task


TASK_MEMO_CHARS = 64_000_000
"""Characters of task text whose decoded tasks :func:`task_from_json` keeps."""
_TASKS: TextMemo[Task] = TextMemo(TASK_MEMO_CHARS)


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
