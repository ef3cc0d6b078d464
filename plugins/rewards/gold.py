"""The gold trajectory of a task: its gold steps replayed with their real responses.

:func:`gold_trajectory` is what a perfect policy would produce in the deterministic
environment: one assistant turn per gold step (or per ``GoldStep.turn`` group when steps carry
turns), each call with the gold arguments and answered with the step's real response
(``ToolResult(ok=True, cache_hit=True)``; ``content`` is None where the response is unknown).
Messages follow the OpenAI/TRL shape (assistant ``tool_calls`` + ``tool`` messages), and each
record's ``raw`` is the Qwen-style ``<tool_call>`` text of the call. Tests everywhere use it as
the reference rollout.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrl.api import CallRecord, GoldStep, Task, ToolCall, ToolResult, Trajectory
from orchestrl.plugins.parsing.tool_calls import openai_tool_call


def gold_trajectory(task: Task) -> Trajectory:
    """A trajectory that makes exactly the gold calls of ``task``, in order, with real responses."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": task.query}]
    calls: list[CallRecord] = []
    for turn, group in enumerate(_turns(task.steps)):
        tool_calls, replies = [], []
        for step in group:
            call_id = f"call_{step.index}"
            call = ToolCall(step.function, dict(step.arguments), id=call_id)
            raw = json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)
            result = ToolResult(ok=True, content=step.response, cache_hit=True)
            calls.append(
                CallRecord(
                    turn=turn, raw=f"<tool_call>\n{raw}\n</tool_call>", call=call, result=result
                )
            )
            tool_calls.append(openai_tool_call(call, call_id))
            content = json.dumps(step.response, ensure_ascii=False)
            replies.append(
                {"role": "tool", "tool_call_id": call_id, "name": call.name, "content": content}
            )
        messages.append({"role": "assistant", "content": "", "tool_calls": tool_calls})
        messages.extend(replies)
    messages.append({"role": "assistant", "content": ""})
    return Trajectory(
        task_id=task.id, messages=messages, calls=calls, final_answer="", stop_reason="answer"
    )


def _turns(steps: list[GoldStep]) -> list[list[GoldStep]]:
    """Steps grouped into assistant turns: by ``turn`` where set, else one step per turn."""
    groups: list[list[GoldStep]] = []
    last: int | None = None
    for step in steps:
        if step.turn is not None and step.turn == last and groups:
            groups[-1].append(step)
        else:
            groups.append([step])
        last = step.turn
    return groups
