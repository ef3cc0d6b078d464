"""The rollout engine, one for training and evaluation.

A rollout of a task is: system prompt + tool schemas + query -> policy -> parse tool calls ->
environment -> tool messages -> policy -> ... until the policy answers without a call (stop
reason ``answer``), the turn limit (``max_turns``), the generated-token budget or the policy's
context (``token_budget``), or a policy failure such as an unreachable server (``error``).

:class:`Episode` holds the state of one rollout and is shared by :func:`rollout` (which drives
a :class:`~orchestrl.api.Policy`) and by the GRPO adapter (where TRL drives generation and
calls the episode's tools). Nothing a model emits can crash it: garbage is kept as unparsed
call attempts answered by an error message, calls to tools the task does not offer get an
``unknown_tool`` result, calls past ``max_calls_per_turn`` are recorded unexecuted with an
error, and every tool message is rendered within ``response_chars`` characters.

The trajectory keeps the environment's metadata per call (``CallRecord.result``: ok,
error kind, cache hit, cache key). Tool messages are prompt, never training targets: SFT masks
everything but assistant turns and GRPO's tool mask zeroes tool-result tokens.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from orchestrl.api import (
    JSON,
    RESPONSE_CHARS,
    CallRecord,
    ErrorKind,
    PolicyOutput,
    Task,
    ToolCall,
    ToolEnvironment,
    ToolResult,
    Trajectory,
)
from orchestrl.errors import CacheMissError, OrchestrlError
from orchestrl.plugins.env.render import render_response
from orchestrl.plugins.parsing.tool_calls import (
    openai_tool_call,
    parse_text,
    parse_tool_calls,
)
from orchestrl.plugins.rollout.prompt import DEFAULT_SYSTEM_PROMPT, initial_messages, openai_tools

log = logging.getLogger(__name__)

_BLOCK = re.compile(r"<tool_call>.*?</tool_call>", re.DOTALL)


@dataclass(frozen=True)
class RolloutLimits:
    """Bounds on one rollout (the paper: 20 turns, 8,192-character tool responses)."""

    max_turns: int = 20
    """Assistant turns."""
    max_calls_per_turn: int = 8
    """Calls executed per assistant turn; later ones are recorded with an error, not run."""
    token_budget: int = 16_384
    """Tokens the policy may generate over the whole rollout."""
    response_chars: int = RESPONSE_CHARS
    """Longest tool message, in characters (JSON-aware truncation)."""
    system_prompt: str | None = DEFAULT_SYSTEM_PROMPT
    """System turn; None leaves the chat template's default."""
    tool_description_chars: int | None = None
    """Cut tool and parameter descriptions to this length (None: full; small contexts)."""

    def tools(self, task: Task) -> list[dict[str, JSON]]:
        """The tool schemas a rollout of ``task`` offers the model, in OpenAI form."""
        return openai_tools(task.tools, self.tool_description_chars)


def render_tool_content(content: JSON, budget_chars: int) -> str:
    """A tool message's text: the environment's JSON-aware rendering within ``budget_chars``."""

    return render_response(content, budget_chars)


Answer = Callable[[list[CallRecord]], list[JSON]]
"""Answers a turn's call attempts with the content of each tool message (a benchmark that
scores calls against gold, instead of executing them, answers this way)."""


class Episode:
    """State of one rollout: the messages so far, every call attempt and its result.

    ``env`` executes the calls; it may be None when every turn is answered by an
    :data:`Answer` instead (see :meth:`add_turn`).
    """

    def __init__(self, task: Task, env: ToolEnvironment | None, limits: RolloutLimits) -> None:
        self.task = task
        self.env = env
        self.limits = limits
        self.messages: list[dict[str, Any]] = initial_messages(task, limits.system_prompt)
        self.calls: list[CallRecord] = []
        self.offered = {str(tool.get("name")) for tool in task.tools if tool.get("name")}
        self.turns = 0
        self.tokens = 0
        if env is not None:
            env.reset(task)

    # ---------------------------------------------------------------- one call

    def execute(self, call: ToolCall, *, turn: int, raw: str = "") -> CallRecord:
        """Run one parsed call (unless the turn is over its call limit) and record it."""
        executed_this_turn = sum(1 for r in self.calls if r.turn == turn and r.result is not None)
        if executed_this_turn >= self.limits.max_calls_per_turn:
            record = CallRecord(turn=turn, raw=raw, call=call, result=None)
            self.calls.append(record)
            return record
        if self.offered and call.name not in self.offered:
            result = _error(ErrorKind.UNKNOWN_TOOL, unknown_tool(call.name, self.offered))
        elif self.env is None:
            raise OrchestrlError("this episode has no environment to execute calls")
        else:
            try:
                result = self.env.call(call.name, dict(call.arguments))
            except CacheMissError:
                raise
            except OrchestrlError as exc:
                result = _error(ErrorKind.API_ERROR, str(exc))
        record = CallRecord(turn=turn, raw=raw, call=call, result=result)
        self.calls.append(record)
        return record

    def tool_text(self, record: CallRecord) -> str:
        """What the model reads back for ``record``: the response, or why there is none."""
        if record.call is None:
            content: JSON = {"error": f"could not parse tool call: {record.parse_error}"}
        elif record.result is None:
            limit = self.limits.max_calls_per_turn
            content = {"error": f"not executed: at most {limit} calls per turn"}
        else:
            content = record.result.content
        return render_tool_content(content, self.limits.response_chars)

    # ---------------------------------------------------------------- one turn

    def add_turn(self, output: PolicyOutput, answer: Answer | None = None) -> list[CallRecord]:
        """Append an assistant turn and its tool messages; return the turn's call attempts.

        Without ``answer`` each parsed call is executed on the environment (:meth:`execute`);
        with it, the attempts are recorded unexecuted and ``answer`` gives each tool message's
        content.
        """
        turn = self.turns
        self.turns += 1
        text = output.text or ""
        if output.tool_calls:
            records = parse_tool_calls(output.tool_calls, turn=turn)
            entries = [_with_id(entry, turn, i) for i, entry in enumerate(output.tool_calls)]
            self.messages.append({"role": "assistant", "content": text, "tool_calls": entries})
            ids: list[str | None] = [entry.get("id") for entry in entries]
        else:
            records = parse_text(text, turn=turn)
            if records and all(r.call is not None for r in records):
                entries = [openai_tool_call(r.call, f"call_{turn}_{i}")
                           for i, r in enumerate(records) if r.call]
                visible = _BLOCK.sub("", text).strip()
                message = {"role": "assistant", "content": visible, "tool_calls": entries}
                self.messages.append(message)
                ids = [entry["id"] for entry in entries]
            else:  # keep the exact text when some attempt is garbage: the model sees what it did
                self.messages.append({"role": "assistant", "content": text})
                ids = [None] * len(records)
        if answer is not None:
            self.calls.extend(records)
            contents = answer(records)
            texts = [render_tool_content(c, self.limits.response_chars) for c in contents]
        else:
            texts = []
            for i, record in enumerate(records):
                if record.call is not None:
                    records[i] = self.execute(record.call, turn=turn, raw=record.raw)
                else:
                    self.calls.append(record)
                texts.append(self.tool_text(records[i]))
        for record, call_id, text in zip(records, ids, texts, strict=True):
            message = {"role": "tool", "name": _name_of(record), "content": text}
            if call_id:
                message["tool_call_id"] = call_id
            self.messages.append(message)
        return records

    def trajectory(self, stop_reason: str, final_answer: str | None = None) -> Trajectory:
        """The rollout so far as a :class:`~orchestrl.api.Trajectory`."""
        return Trajectory(
            task_id=self.task.id,
            messages=list(self.messages),
            calls=list(self.calls),
            final_answer=final_answer,
            stop_reason=stop_reason,
        )


def unknown_tool(name: str, available: Iterable[str]) -> str:
    """The one message for a call to a tool that is not offered."""
    return f"unknown tool '{name[:64]}'; available: {', '.join(sorted(available))}"


def _error(kind: str, message: str) -> ToolResult:
    return ToolResult(ok=False, content={"error": message}, error_kind=kind, message=message)


def _with_id(entry: Any, turn: int, index: int) -> Any:
    if isinstance(entry, dict) and not entry.get("id"):
        return {**entry, "id": f"call_{turn}_{index}"}
    return entry


def _name_of(record: CallRecord) -> str:
    return record.call.name if record.call is not None else "invalid_tool_call"
