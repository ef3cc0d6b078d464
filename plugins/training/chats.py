"""Synthesized traces rendered as training chats, through the rollout engine itself.

Each task's gold calls are replayed by the ``scripted`` policy in the same engine that
evaluation uses, against the same environment, so a training chat is exactly what a perfect
rollout looks like: the same system prompt, tool-call markup, tool-message rendering and
budget, then a final answer. Tasks whose gold replay does not execute cleanly (a call the
environment cannot answer) are skipped and counted, never trained on.

Rows are ``{"messages": [...], "tools": "<json>", "task_id": ...}``. Tool-call arguments are
stored as JSON text and ``tools`` as JSON text, because Arrow would otherwise merge the
argument objects of different tools into one struct with null-filled keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from orchestrl.api import Task, ToolEnvironment, Trajectory
from orchestrl.plugins.policies.scripted import ScriptedPolicy
from orchestrl.plugins.rollout.driver import rollout
from orchestrl.plugins.rollout.engine import RolloutLimits


@dataclass
class ChatSet:
    """Rendered chats and the ids of the tasks skipped because their replay failed."""

    rows: list[dict[str, Any]]
    skipped: list[str] = field(default_factory=list)


def gold_chat(task: Task, env: ToolEnvironment, limits: RolloutLimits) -> Trajectory:
    """The gold replay of ``task`` as a trajectory (messages include the final answer)."""
    return rollout(ScriptedPolicy(), env, task, limits)


def training_chats(
    tasks: Iterable[Task],
    env_factory: Callable[[], ToolEnvironment],
    limits: RolloutLimits,
    *,
    progress: bool = True,
) -> ChatSet:
    """One SFT row per task whose gold replay executes every call and ends with an answer."""
    from tqdm import tqdm

    env = env_factory()
    chats = ChatSet(rows=[])
    tasks = list(tasks)
    for task in tqdm(tasks, desc="rendering chats", disable=not progress):
        trajectory = gold_chat(task, env, limits)
        clean = trajectory.stop_reason == "answer" and all(
            record.result is not None and record.result.ok for record in trajectory.calls
        )
        if not clean or len(trajectory.calls) != len(task.steps):
            chats.skipped.append(task.id)
            continue
        chats.rows.append({
            "messages": [_storable(message) for message in trajectory.messages],
            "tools": json.dumps(limits.tools(task)),
            "task_id": task.id,
        })
    return chats


def _storable(message: dict[str, Any]) -> dict[str, Any]:
    """A message with JSON-text tool-call arguments (see the module docstring)."""
    if not message.get("tool_calls"):
        return {"role": message["role"], "content": message.get("content") or ""}
    calls = []
    for entry in message["tool_calls"]:
        function = entry["function"]
        arguments = function["arguments"]
        calls.append({
            "id": entry.get("id") or "",
            "type": "function",
            "function": {
                "name": function["name"],
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
            },
        })
    return {"role": "assistant", "content": message.get("content") or "", "tool_calls": calls}
