"""Benchmark items from ComplexFuncBench's native JSONL or from the Booking trace format.

Both loaders return :class:`~orchestrl.api.Task` objects whose gold steps carry ``turn``
(the benchmark's assistant turn, 0-based) and, where known, the gold ``response``; a response
stored as ``""`` or missing is unknown (None).

* **Native** (``id``, ``functions``, ``conversations``): the first user turn is the query;
  each assistant ``function_call`` list is one turn, answered by the next ``observation`` turn
  (one response per call, in order, the API's ``data`` payloads); the closing assistant
  ``content`` is kept as ``metadata["final_answer"]``.
* **Synthesized** (``orchestrl synth``'s ``tasks.jsonl``, e.g. the study's grounded held-out
  set): read with :func:`orchestrl.plugins.synthesis.output.read_tasks`; the sampler already
  gave every step its turn and its real response.
* **Trace** (``query``, ``workflow_id``, ``steps``; e.g. ``eval_80.jsonl``): read with
  :func:`orchestrl.plugins.worlds.booking.data.load_tasks`; turns are derived by
  :func:`orchestrl.plugins.benchmarks.cfb.turns.assign_turns` with the workflow template whose
  function sequence equals the trace's.

:func:`to_native` writes a task back in the native shape, so a trace file converts to a native
one with the same turn structure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrl.api import JSON, GoldStep, Task
from orchestrl.errors import DataError
from orchestrl.jsonl import read_jsonl
from orchestrl.plugins.benchmarks.cfb.turns import assign_turns
from orchestrl.plugins.cache.importers import maybe_json
from orchestrl.plugins.synthesis.output import read_tasks
from orchestrl.plugins.worlds.booking.data import load_tasks, load_templates, load_tools

NATIVE = "native"
TRACE = "trace"
SYNTH = "synth"


def detect_format(path: Path) -> str:
    """``native``, ``synth`` or ``trace``, from the first record of ``path``."""
    for number, record in read_jsonl(path):
        if isinstance(record, dict) and "conversations" in record:
            return NATIVE
        if isinstance(record, dict) and "ground_truth" in record and "cache_keys" in record:
            return SYNTH
        if isinstance(record, dict) and "steps" in record:
            return TRACE
        raise DataError(f"{path}:{number}: neither a ComplexFuncBench entry nor a trace")
    raise DataError(f"benchmark file '{path}' is empty")


def load_items(path: str | Path, data_dir: str | Path | None = None) -> list[Task]:
    """Every item of a native, synthesized or trace file; ``data_dir`` supplies the tools and
    templates of a trace file."""
    path = Path(path)
    found = detect_format(path)
    if found == NATIVE:
        return load_native(path)
    if found == SYNTH:
        tasks = read_tasks(path)
        for task in tasks:
            task.metadata["format"] = SYNTH
        return tasks
    if data_dir is None:
        raise DataError(f"reading the trace file '{path}' needs the Booking data directory")
    return load_trace(path, data_dir)


def load_trace(path: str | Path, data_dir: str | Path) -> list[Task]:
    """Items of a trace file, with turns derived from dependencies (see the module doc)."""
    tools = load_tools(data_dir)
    by_pattern: dict[tuple[str, ...], dict[str, Any]] = {}
    templates_file = Path(data_dir) / "workflow_templates.json"
    if templates_file.is_file():
        for template in load_templates(data_dir).values():
            by_pattern.setdefault(tuple(template.get("pattern") or ()), template)
    tasks = load_tasks(path, tools)
    for task in tasks:
        template = by_pattern.get(tuple(step.function for step in task.steps))
        assign_turns(task.steps, task.query, template)
        task.metadata["format"] = TRACE
    return tasks


def load_native(path: str | Path) -> list[Task]:
    """Items of a ComplexFuncBench native JSONL file."""
    path = Path(path)
    tasks = []
    for number, entry in read_jsonl(path):
        try:
            tasks.append(_native_task(entry, f"{path.stem}-{number}"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"{path}:{number}: malformed ComplexFuncBench entry ({exc})") from None
    return tasks


def _native_task(entry: dict[str, Any], fallback_id: str) -> Task:
    conversations = entry["conversations"]
    if not isinstance(conversations, list) or not conversations:
        raise ValueError("'conversations' is not a non-empty list")
    query = next(str(t["content"]) for t in conversations if t.get("role") == "user")
    steps: list[GoldStep] = []
    pending: list[GoldStep] | None = None
    final_answer = None
    turn = 0
    for message in conversations:
        role = message.get("role")
        if role == "assistant" and message.get("function_call") is not None:
            if pending is not None:
                raise ValueError(f"turn {turn} has calls but no observation")
            pending = []
            for call in _as_list(message["function_call"]):
                arguments = maybe_json(call.get("arguments") or {})
                if not isinstance(call.get("name"), str) or not isinstance(arguments, dict):
                    raise ValueError(f"turn {turn} has a call without a name or argument object")
                step = GoldStep(len(steps), call["name"], dict(arguments), turn=turn)
                steps.append(step)
                pending.append(step)
        elif role == "observation":
            if pending is None:
                raise ValueError(f"an observation after turn {turn} answers no calls")
            content = _as_list(maybe_json(message.get("content")))
            if len(content) != len(pending):
                raise ValueError(f"turn {turn} has {len(content)} responses for "
                                 f"{len(pending)} calls")
            for step, response in zip(pending, content, strict=True):
                response = maybe_json(response)
                step.response = None if response in ("", None) else response
            pending = None
            turn += 1
        elif role == "assistant" and message.get("content"):
            final_answer = str(message["content"])
    if pending is not None:
        raise ValueError(f"turn {turn} has calls but no observation")
    item_id = str(entry.get("id") or fallback_id)
    domain = item_id.rsplit("-", 1)[0] if "-" in item_id else ""
    return Task(
        id=item_id,
        query=query,
        tools=list(entry.get("functions") or []),
        steps=steps,
        domain=domain,
        metadata={"format": NATIVE, "final_answer": final_answer},
    )


def payload(response: JSON) -> JSON:
    """The API's ``data`` payload of a full ``{status, message, data}`` response, else as is."""
    if isinstance(response, dict) and "data" in response and "status" in response:
        return response["data"]
    return response


def to_native(task: Task) -> dict[str, JSON]:
    """``task`` as one native ComplexFuncBench entry (unknown responses written as ``""``)."""
    conversations: list[dict[str, JSON]] = [{"role": "user", "content": task.query}]
    for turn in turns_of(task):
        conversations.append({"role": "assistant", "function_call": [
            {"name": step.function, "arguments": step.arguments} for step in turn]})
        conversations.append({"role": "observation", "content": [
            "" if step.response is None else payload(step.response) for step in turn]})
    answer = task.metadata.get("final_answer")
    conversations.append({"role": "assistant", "content": answer or ""})
    return {"id": task.id, "functions": task.tools, "conversations": conversations}


def write_native(tasks: list[Task], path: str | Path) -> None:
    """Write ``tasks`` as a native JSONL file."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for task in tasks:
            handle.write(json.dumps(to_native(task), ensure_ascii=False) + "\n")


def turns_of(task: Task) -> list[list[GoldStep]]:
    """The gold steps grouped by ``turn`` in order (a step without a turn is its own turn)."""
    turns: dict[object, list[GoldStep]] = {}
    for step in task.steps:
        key = step.turn if step.turn is not None else ("step", step.index)
        turns.setdefault(key, []).append(step)
    return list(turns.values())


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]

