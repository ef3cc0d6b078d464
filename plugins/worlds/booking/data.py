"""Reading the Booking world's data files into orchestrl types.

Files (see the data directory's README): ``tools.jsonl`` (tool schemas),
``workflow_templates.json`` and the trace files ``train_101.jsonl`` / ``eval_80.jsonl``.
Each reader raises :class:`~orchestrl.errors.DataError` naming the file and line of the first
malformed record; nothing is half-read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrl.api import DependencyRef, GoldStep, Task
from orchestrl.errors import DataError
from orchestrl.jsonl import read_jsonl
from orchestrl.paths import MISSING, resolve

TOOLS_FILE = "tools.jsonl"
TEMPLATES_FILE = "workflow_templates.json"
TRAIN_FILE = "train_101.jsonl"
EVAL_FILE = "eval_80.jsonl"


def load_tools(data_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Tool schemas by name from ``tools.jsonl``."""
    path = Path(data_dir) / TOOLS_FILE
    tools: dict[str, dict[str, Any]] = {}
    for number, record in read_jsonl(path):
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            raise DataError(f"{path}:{number}: a tool schema needs a string 'name'")
        tools[record["name"]] = record
    if not tools:  # an empty world would score every policy 0, silently
        raise DataError(f"'{path}' holds no tool schemas")
    return tools


def load_templates(data_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Workflow templates by id from ``workflow_templates.json``."""
    path = Path(data_dir) / TEMPLATES_FILE
    if not path.is_file():
        raise DataError(f"data file '{path}' does not exist")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    return {workflow["id"]: workflow for workflow in payload.get("workflows", [])}


def load_tasks(
    path: str | Path,
    tools: dict[str, dict[str, Any]],
    templates: dict[str, dict[str, Any]] | None = None,
) -> list[Task]:
    """Tasks from a trace file, with the real responses of the gold calls.

    Dependent arguments (``dependency_args``) come from the workflow template of the trace when
    its pattern matches, and an edge is kept only when it reproduces: the argument's value equals
    the value at ``from_field`` in the producer's real response. Responses stored as ``""`` are
    unknown (None).
    """
    path = Path(path)
    tasks = []
    for number, record in read_jsonl(path):
        try:
            tasks.append(_task(record, f"{path.stem}:{number}", tools, templates or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}:{number}: malformed trace ({exc})") from None
    return tasks


def _task(record: dict[str, Any], fallback_id: str, tools: dict[str, Any], templates: dict) -> Task:
    steps = []
    offered: list[str] = []
    for raw in record["steps"]:
        truth = raw["ground_truth"]
        executed = raw.get("execution_result") or {}
        response = executed.get("execution_result")
        steps.append(
            GoldStep(
                index=int(raw["step"]),
                function=truth["function"],
                arguments=dict(truth["arguments"]),
                depends_on=tuple(int(d) for d in raw.get("depends_on") or ()),
                response=None if response in ("", None) else response,
            )
        )
        for name in raw.get("candidate_tools") or [truth["function"]]:
            if name not in offered:
                offered.append(name)
    template = templates.get(record.get("workflow_id", ""))
    if template and list(template["pattern"]) == [s.function for s in steps]:
        _attach_dependencies(steps, template)
    workflow_id = str(record.get("workflow_id", ""))
    is_benchmark_id = "-" in workflow_id and workflow_id.rsplit("-", 1)[-1].isdigit()
    return Task(
        id=workflow_id if is_benchmark_id else fallback_id,
        query=record["query"],
        tools=[tools[name] for name in offered if name in tools],
        steps=steps,
        domain=workflow_id.rsplit("-", 1)[0] if is_benchmark_id else "",
        metadata={"workflow_id": workflow_id, **(record.get("metadata") or {})},
    )


def _attach_dependencies(steps: list[GoldStep], template: dict[str, Any]) -> None:
    for key, spec in template.get("dependencies", {}).items():
        step = steps[int(key)]
        for argument, ref in (spec.get("dependency_args") or {}).items():
            parent = int(ref["from_step"])
            if argument not in step.arguments or not 0 <= parent < step.index:
                continue
            found = resolve(steps[parent].response, ref["from_field"])
            if found is not MISSING and _same(found, step.arguments[argument]):
                step.dependency_args[argument] = DependencyRef(parent, ref["from_field"])
                if parent not in step.depends_on:
                    step.depends_on = (*step.depends_on, parent)


def _same(produced: Any, used: Any) -> bool:
    if produced == used:
        return True
    return isinstance(produced, int | float | str) and str(produced) == str(used)
