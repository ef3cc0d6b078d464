"""The derivability check of a synthesized task's query.

A task passes when every *free* argument value of every gold step (an argument, or a leaf of a
nested argument such as ``legs[0].date``, that has no dependency edge) is stated in the query
(:func:`~orchestrl.plugins.synthesis.surface.states`), and every *dependent* one is the value
at its ``from_field`` in the real response of its producer step, an earlier step. Whatever
fails is listed; the samplers drop tasks with any problem.
"""

from __future__ import annotations

from orchestrl.api import Task
from orchestrl.plugins.synthesis.checking import argument_value, reproduces
from orchestrl.plugins.synthesis.mining import format_path, leaves
from orchestrl.plugins.synthesis.surface import states_lower


def free_values(task: Task) -> list[tuple[int, str, object]]:
    """``(step, argument path, value)`` of every free argument leaf, in step order."""
    out: list[tuple[int, str, object]] = []
    for step in task.steps:
        dependent = step.dependency_args
        for name, value in step.arguments.items():
            if value is None:
                continue
            if isinstance(name, str) and not isinstance(value, dict | list):
                if name not in dependent:  # a top-level scalar: its path is its name
                    out.append((step.index, name, value))
                continue
            for path, leaf in leaves(value, (name,)):
                argument = format_path(path)
                top = str(path[0])
                if argument in dependent or (top in dependent and top != argument):
                    continue
                out.append((step.index, argument, leaf))
    return out


def derivability_problems(task: Task, query: str | None = None) -> list[str]:
    """Why ``query`` (default: the task's) does not pin the task's calls; empty when it does."""
    text = task.query if query is None else query
    haystack = text.lower()
    problems = []
    for step, argument, value in free_values(task):
        if not states_lower(haystack, value):
            problems.append(f"step {step} argument '{argument}' value {value!r} is not stated")
    for step in task.steps:
        for argument, ref in step.dependency_args.items():
            if not 0 <= ref.from_step < step.index:
                problems.append(f"step {step.index} argument '{argument}' depends on a later step")
                continue
            producer = task.steps[ref.from_step].response
            if not reproduces(producer, ref.from_field, argument_value(step.arguments, argument)):
                problems.append(f"step {step.index} argument '{argument}' is not the value at "
                                f"'{ref.from_field}' of step {ref.from_step}")
    return problems
