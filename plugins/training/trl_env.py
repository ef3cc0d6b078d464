"""The tool environment exposed to TRL's ``GRPOTrainer(environment_factory=...)``.

TRL turns an environment class's public methods into tools: it renders their JSON schemas
(from signature, type hints and Google-style docstring) into the prompt, parses the model's
calls and calls the methods, once per rollout on a pooled instance reset with the dataset row.
Tasks offer different tool sets, so :func:`environment_factories` builds one class per distinct
tool set (dataset column ``environment`` selects it) whose methods are generated from the Booking
schemas. Every method forwards to an :class:`~orchestrl.plugins.rollout.engine.Episode` of the
rollout engine, so GRPO rollouts see the same validation, unknown-tool handling, call limits and
response rendering as evaluation, and the episode keeps the environment's metadata per call.

:func:`merged_calls` then lines the completion's messages up with the episode's records, so the
reward sees every attempt: executed calls with their real results, calls TRL refused (a tool
not offered) as ``unknown_tool``, and text that did not parse as unparsed attempts.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from orchestrl.api import JSON, CallRecord, ErrorKind, Task, ToolCall, ToolEnvironment, ToolResult
from orchestrl.plugins.parsing.exact_key import exact_bytes
from orchestrl.plugins.parsing.tool_calls import parse_message
from orchestrl.plugins.rollout.engine import Episode, RolloutLimits

_PY_TYPES: dict[str, type] = {
    "string": str, "number": float, "integer": int, "boolean": bool,
    "array": list, "dict": dict, "object": dict,
}


class EpisodeEnvironment:
    """Base of the generated environment classes: one rollout's episode at a time."""

    tasks: Mapping[str, Task] = {}
    _make_env: Callable[[], ToolEnvironment]
    limits: RolloutLimits = RolloutLimits()

    def __init__(self) -> None:
        self._env = type(self)._make_env()
        self.episode: Episode | None = None

    def reset(self, **row: Any) -> None:
        """Start the episode of the row's task (column ``task_id``); adds nothing to the prompt."""
        self.episode = Episode(type(self).tasks[str(row["task_id"])], self._env, type(self).limits)

    @property
    def calls(self) -> list[CallRecord]:
        """The episode's executed calls, with the environment's results."""
        return list(self.episode.calls) if self.episode is not None else []

    def _call(self, name: str, arguments: dict[str, JSON]) -> str:
        """Run one call TRL parsed; TRL bounds the rounds, this bounds the episode's calls.

        TRL does not say where one assistant turn ends, so the per-turn limit becomes a
        per-episode one: ``max_turns * max_calls_per_turn`` executed calls at most.
        """
        if self.episode is None:
            return '{"error": "no episode: reset was not called"}'
        limits = type(self).limits
        cap = limits.max_turns * limits.max_calls_per_turn
        if len(self.episode.calls) >= cap:
            return f'{{"error": "not executed: at most {cap} calls per episode"}}'
        record = self.episode.execute(ToolCall(name, dict(arguments)), turn=len(self.episode.calls))
        return self.episode.tool_text(record)


def tool_method(schema: Mapping[str, Any]) -> Callable[..., str]:
    """A method named after the tool whose signature and docstring TRL renders as its schema."""
    name = str(schema["name"])
    params = schema.get("parameters") or {}
    properties: Mapping[str, Any] = params.get("properties") or {}
    required = set(params.get("required") or ())

    def method(self: EpisodeEnvironment, **kwargs: Any) -> str:
        return self._call(name, kwargs)

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    lines = []
    for arg, spec in properties.items():
        spec = spec if isinstance(spec, Mapping) else {}
        hint = _PY_TYPES.get(str(spec.get("type")), str)
        annotations[arg] = hint
        default = inspect.Parameter.empty if arg in required else None
        parameters.append(
            inspect.Parameter(arg, inspect.Parameter.KEYWORD_ONLY, annotation=hint, default=default)
        )
        text = " ".join(str(spec.get("description") or arg).split()).replace("(choices:", "(")
        if isinstance(spec.get("enum"), list) and spec["enum"]:
            import json

            text += f" (choices: {json.dumps(spec['enum'])})"
        lines.append(f"    {arg}: {text}")
    annotations["return"] = str
    description = " ".join(str(schema.get("description") or name).split())
    method.__name__ = method.__qualname__ = name
    method.__doc__ = description + ("\n\nArgs:\n" + "\n".join(lines) if lines else "")
    method.__annotations__ = annotations
    method.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return method


def toolset_name(task: Task) -> str:
    """Name of the environment class serving ``task``'s tool set."""
    names = ",".join(sorted(str(tool.get("name")) for tool in task.tools))
    return "tools_" + hashlib.sha256(names.encode()).hexdigest()[:10]


def environment_factories(
    tasks: Sequence[Task],
    make_env: Callable[[], ToolEnvironment],
    limits: RolloutLimits,
) -> dict[str, type[EpisodeEnvironment]]:
    """One environment class per distinct tool set of ``tasks``, keyed by :func:`toolset_name`."""
    by_id = {task.id: task for task in tasks}
    classes: dict[str, type[EpisodeEnvironment]] = {}
    for task in tasks:
        name = toolset_name(task)
        if name in classes:
            continue
        methods = {}
        for tool in limits.tools(task):
            function = tool["function"]
            methods[str(function["name"])] = tool_method(function)
        namespace = {"tasks": by_id, "_make_env": staticmethod(make_env), "limits": limits,
                     **methods}
        classes[name] = type(name, (EpisodeEnvironment,), namespace)
    return classes


def merged_calls(completion: Sequence[Mapping[str, Any]], environment: Any) -> list[CallRecord]:
    """Every call attempt of a TRL completion, with results from the environment's episode.

    Assistant messages are parsed in order (turns count from 0). A structured call is matched
    with the next executed record of the same call; when there is none, TRL did not run it: a
    tool the task does not offer becomes ``unknown_tool``, anything else stays unexecuted.
    Text-only messages yield their attempts unexecuted (TRL runs nothing for them).
    """
    executed = getattr(environment, "calls", None) or []
    if type(executed) is not list:  # read by index below: any other iterable is copied once
        executed = list(executed)
    n_executed = len(executed)
    offered: frozenset[str] | None = None
    records: list[CallRecord] = []
    cursor = 0
    turn = 0
    for message in completion:
        if not (type(message) is dict or isinstance(message, Mapping)):
            continue
        if message.get("role") != "assistant":
            continue
        structured = bool(message.get("tool_calls"))
        for record in parse_message(message, turn=turn):
            call = record.call
            if call is not None and structured:
                ran = executed[cursor] if cursor < n_executed else None
                done = None if ran is None else _executed_call(ran.call, call)
                if done is not None:
                    raw = record.raw or ran.raw  # type: ignore[union-attr]
                    records.append(CallRecord(
                        turn, raw, done, ran.parse_error, ran.result  # type: ignore[union-attr]
                    ))
                    cursor += 1
                    continue
                if offered is None:
                    offered = offered_tools(type(environment))
                if call.name not in offered:
                    result = ToolResult(False, {"error": f"tool {call.name[:64]!r} not found"},
                                        ErrorKind.UNKNOWN_TOOL, "tool not found")
                    records.append(CallRecord(turn, record.raw, call, None, result))
                    continue
            records.append(record)
        turn += 1
    return records


@functools.lru_cache(maxsize=1_024)
def offered_tools(cls: type) -> frozenset[str]:
    """The tool names an environment class offers TRL: its public methods but ``reset``
    (read once per class; the generated classes do not change after
    :func:`environment_factories`)."""
    return frozenset(
        name for name, _ in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and name != "reset"
    )


class MergedCalls:
    """Stands in for an environment in reward kwargs: only ``calls``, merged."""

    def __init__(self, calls: list[CallRecord]) -> None:
        self.calls = calls


def _executed_call(executed: ToolCall | None, call: ToolCall) -> ToolCall | None:
    """The call a record of ``call`` carries when the environment ran ``executed`` (None: it
    ran another call): ``call`` itself when the two are identical (:func:`_identical`; the
    parser's shared object, whose measures scoring finds by identity), else ``executed`` when
    it is the same call by equality (:func:`_same_call`)."""
    if _identical(executed, call):
        return call
    return executed if _same_call(executed, call) else None


def _identical(executed: ToolCall | None, call: ToolCall) -> bool:
    """Whether ``executed`` is ``call`` exactly: a plain :class:`ToolCall` with the same id, a
    name of type ``str`` equal to it, and arguments that are the same JSON value for value,
    type for type and in key order (equal :func:`~orchestrl.plugins.parsing.exact_key.
    exact_bytes`), so that either object may stand for the other."""
    if executed is call:
        return True
    if type(executed) is not ToolCall or executed.id != call.id or executed.name != call.name:
        return False
    if type(executed.name) is not str or type(call.name) is not str:
        return False
    exact = exact_bytes(executed.arguments)
    return exact is not None and exact == exact_bytes(call.arguments)


def _same_call(executed: ToolCall | None, call: ToolCall) -> bool:
    if executed is None or executed.name != call.name:
        return False
    ours, theirs = executed.arguments, call.arguments
    if type(ours) is dict and type(theirs) is dict:  # as dict(...) == dict(...), without copies
        return ours == theirs
    return dict(ours) == dict(theirs)

