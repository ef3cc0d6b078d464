"""Turns for items that do not give them: dependencies first, then consecutive grouping.

The trace format lists gold steps in order without saying which calls ComplexFuncBench expects
in the same assistant turn. The rule used here, deterministic and documented:

1. **Dependencies.** Step *j* depends on an earlier step *i* when

   a. the trace lists *i* in ``depends_on``; or
   b. a *distinctive* argument value of *j* equals a leaf value of *i*'s known response
      (distinctive: not a boolean, not an integer below 100, not a string shorter than three
      characters, and not written in the user's query, which is where such a value would
      otherwise come from); or
   c. the workflow template with the same function sequence says an argument of *j* comes from
      ``from_field`` of step *i*, and either that path in *i*'s known response holds the
      argument's value, or *i*'s response is unknown (the template was mined from the full
      benchmark, so its word is the best evidence left).

2. **Grouping.** Walk the steps in order; a step joins the current turn unless it depends on a
   step of that turn, in which case it opens the next turn. Independent consecutive steps are
   therefore parallel calls of one turn, and every step comes after the turns it depends on.

The result sets each step's ``turn`` and adds the dependencies found to ``depends_on`` (and,
for template edges, ``dependency_args``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from orchestrl.api import JSON, DependencyRef, GoldStep
from orchestrl.paths import MISSING, resolve

MIN_STRING = 3
SMALL_INT = 100


def assign_turns(
    steps: Sequence[GoldStep], query: str, template: Mapping[str, Any] | None = None
) -> list[list[GoldStep]]:
    """Set ``turn`` (and found dependencies) on ``steps`` by the module's rule; return the turns."""
    leaves = [_leaves(step.response) if step.response is not None else None for step in steps]
    lowered = query.casefold()
    for position, step in enumerate(steps):
        found = {d for d in step.depends_on if 0 <= d < position}
        for value in _scalars(step.arguments):
            if not _distinctive(value, lowered):
                continue
            for earlier in range(position):
                known = leaves[earlier]
                if known is not None and _token(value) in known:
                    found.add(earlier)
        if template is not None:
            found |= _template_edges(steps, position, template)
        step.depends_on = tuple(sorted(found))
    return group_consecutive(steps)


def group_consecutive(steps: Sequence[GoldStep]) -> list[list[GoldStep]]:
    """Group steps in order, opening a turn at each step that depends on the current one."""
    turns: list[list[GoldStep]] = []
    current: set[int] = set()
    for position, step in enumerate(steps):
        if not turns or any(d in current for d in step.depends_on):
            turns.append([])
            current = set()
        step.turn = len(turns) - 1
        turns[-1].append(step)
        current.add(position)
    return turns


def _template_edges(steps: Sequence[GoldStep], position: int, template: Mapping) -> set[int]:
    spec = (template.get("dependencies") or {}).get(str(position)) or {}
    step = steps[position]
    edges: set[int] = set()
    for argument, ref in (spec.get("dependency_args") or {}).items():
        try:
            parent = int(ref["from_step"])
            path = str(ref["from_field"])
        except (KeyError, TypeError, ValueError):
            continue
        if argument not in step.arguments or not 0 <= parent < position:
            continue
        response = steps[parent].response
        if response is None:
            edges.add(parent)
            step.dependency_args.setdefault(argument, DependencyRef(parent, path))
            continue
        try:
            value = resolve(response, path)
        except ValueError:
            continue
        if value is not MISSING and _token(value) == _token(step.arguments[argument]):
            edges.add(parent)
            step.dependency_args.setdefault(argument, DependencyRef(parent, path))
    return edges


def _distinctive(value: JSON, query: str) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int) and abs(value) < SMALL_INT:
        return False
    text = str(value)
    if isinstance(value, str) and len(text) < MIN_STRING:
        return False
    return text.casefold() not in query


def _token(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool) or value is None:
        return ("v", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    if isinstance(value, str):
        try:
            return ("n", float(value)) if value.strip() and _numeric(value) else ("s", value)
        except ValueError:
            return ("s", value)
    return ("o", repr(value))


def _numeric(text: str) -> bool:
    stripped = text.strip().lstrip("+-")
    return stripped.replace(".", "", 1).isdigit()


def _scalars(value: Any) -> Iterator[JSON]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _scalars(item)
    else:
        yield value


def _leaves(response: Any) -> frozenset[tuple[str, Any]]:
    return frozenset(_token(v) for v in _scalars(response) if not isinstance(v, bool))
