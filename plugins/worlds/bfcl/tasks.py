"""BFCL entries as orchestrl :class:`~orchestrl.api.Task` objects, and back.

A task keeps everything needed to rebuild its entry in ``metadata`` (``world="bfcl"``,
``category``, ``scenario``, ``turns`` = the user messages of each turn, ``initial_config``,
``involved_classes``, ``missed_function``, ``long_context``), so environments, benchmarks and
samplers work from tasks alone, synthesized ones included.

Gold steps are the ground-truth calls in order, each with its ``turn`` (the BFCL user turn).
A stateful backend has no value-level dependencies (``dependency_args`` stay empty); the state a
call reads was written by the calls before it, so ``depends_on`` names the last call on the
same backend class in an *earlier* turn. Calls of one turn are executed in order within one
assistant message, so an edge inside a turn would demand a separate assistant turn that BFCL
does not ask for (the orchestration reward requires producers in earlier assistant turns).
``response`` is the string the ground truth receives when executed from the initial state.
"""

from __future__ import annotations

from typing import Any

from orchestrl.api import GoldStep, Task, ToolCall
from orchestrl.errors import DataError
from orchestrl.plugins.worlds.bfcl.calls import format_call
from orchestrl.plugins.worlds.bfcl.checker import ground_truth_calls, new_backends
from orchestrl.plugins.worlds.bfcl.entries import BfclEntry, function_docs

WORLD = "bfcl"


def entry_to_task(entry: BfclEntry) -> Task:
    """The task of one entry, with the ground truth's real responses."""
    backends = new_backends(entry)
    owner = {doc["name"]: cls for cls in entry.involved_classes for doc in function_docs([cls])}
    steps: list[GoldStep] = []
    last_on_class: dict[str, int] = {}
    for turn, calls in enumerate(ground_truth_calls(entry, backends)):
        before_turn = dict(last_on_class)
        for call in calls:
            index = len(steps)
            cls = owner.get(call.name, "")
            previous = before_turn.get(cls)
            steps.append(
                GoldStep(
                    index=index,
                    function=call.name,
                    arguments=call.arguments,
                    depends_on=(previous,) if previous is not None else (),
                    response=backends.execute(call),
                    turn=turn,
                )
            )
            last_on_class[cls] = index
    return Task(
        id=entry.id,
        query=first_user_text(entry.turns),
        tools=function_docs(entry.involved_classes),
        steps=steps,
        domain=WORLD,
        metadata={
            "world": WORLD,
            "category": entry.category,
            "scenario": entry.scenario,
            "turns": entry.turns,
            "initial_config": entry.initial_config,
            "involved_classes": entry.involved_classes,
            "missed_function": {str(k): v for k, v in entry.missed_function.items()},
            "long_context": entry.long_context,
        },
    )


def task_to_entry(task: Task) -> BfclEntry:
    """Rebuild the entry of a BFCL task (ground truth written back as call strings)."""
    meta = task.metadata
    if meta.get("world") != WORLD:
        world = meta.get("world")
        raise DataError(f"task '{task.id}' is not a bfcl task (metadata world={world!r})")
    turns = meta["turns"]
    ground_truth: list[list[str]] = [[] for _ in turns]
    for step in task.steps:
        turn = step.turn if step.turn is not None else 0
        if not 0 <= turn < len(turns):
            raise DataError(f"task '{task.id}' step {step.index} is in turn {turn} of {len(turns)}")
        ground_truth[turn].append(format_call(ToolCall(step.function, dict(step.arguments))))
    long_context = bool(meta.get("long_context"))
    category = meta.get("category", "multi_turn_base")
    if long_context and "long_context" not in category:
        category = "multi_turn_long_context"
    return BfclEntry(
        id=task.id,
        category=category,
        turns=turns,
        ground_truth=ground_truth,
        initial_config=meta["initial_config"],
        involved_classes=list(meta["involved_classes"]),
        missed_function={int(k): list(v) for k, v in meta.get("missed_function", {}).items()},
    )


def first_user_text(turns: list[list[dict[str, Any]]]) -> str:
    """The text of the first turn's user messages (the task's ``query``)."""
    for turn in turns:
        texts = [m.get("content", "") for m in turn if m.get("role") == "user"]
        if texts:
            return "\n".join(texts)
    return ""
