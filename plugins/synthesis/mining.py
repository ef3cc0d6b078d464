"""Mining dependencies and workflow templates from traces that carry their real responses.

For each argument of a later step (nested arguments as paths, ``legs[0].fromId``) the miner
looks for an equal value (:func:`~orchestrl.plugins.synthesis.values.same`) in the responses of
earlier steps. An equality becomes an edge only when it is evidence of a dependency:

* a STRONG value (opaque id, token, precise coordinate) is accepted;
* a TEXT value (a name) is accepted unless the user query states it;
* a WEAK value (date, time, small count, enum word) is accepted only when the query does not
  state it *and* the argument's name shares a word with the response field's name
  (``pick_up_date`` / ``checkinDate`` share ``date``); otherwise the match is a coincidence.

Among several matches the earliest producer wins (where the value first appeared), then the
field whose name shares most words with the argument, then the shortest path with the smallest
list indices. Paths are written relative to the response's ``data`` payload, as in the shipped
templates (``hotels[0].property.latitude``, ``[0].coordinates.latitude``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrl.api import DependencyRef, Task
from orchestrl.plugins.synthesis.surface import states
from orchestrl.plugins.synthesis.template import Template
from orchestrl.plugins.synthesis.values import STRONG, TEXT, canonical, strength, words

Path = tuple[str | int, ...]


def format_path(tokens: Path) -> str:
    """Write path tokens as a response path: ``hotels[0].property.id``, ``[0].name``."""
    out = ""
    for token in tokens:
        out += f"[{token}]" if isinstance(token, int) else (f".{token}" if out else token)
    return out


def leaves(value: Any, prefix: Path = (), *, limit: int = 200_000) -> Iterator[tuple[Path, Any]]:
    """Every scalar leaf of a JSON value with its path (at most ``limit`` leaves)."""
    stack: list[tuple[Path, Any]] = [(prefix, value)]
    count = 0
    while stack and count < limit:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
        elif node is not None:
            count += 1
            yield path, node


def payload(response: Any) -> Any:
    """The part of a response that paths are relative to: its ``data`` when it has one."""
    if isinstance(response, dict) and "data" in response:
        return response["data"]
    return response


class ResponseIndex:
    """Canonical leaf value -> paths where it occurs, for one response (built once)."""

    def __init__(self, response: Any) -> None:
        self.paths: dict[str, list[Path]] = {}
        for path, value in leaves(payload(response)):
            key = canonical(value)
            if key is not None:
                self.paths.setdefault(key, []).append(path)

    def find(self, value: Any) -> list[Path]:
        key = canonical(value)
        return self.paths.get(key, []) if key is not None else []


@dataclass(frozen=True)
class MinedEdge:
    """One accepted dependency with the evidence that supports it."""

    step: int
    argument: str
    ref: DependencyRef
    evidence: str


def mine_dependencies(
    steps: Sequence[tuple[str, Mapping[str, Any], Any]], query: str | None = None
) -> dict[int, dict[str, DependencyRef]]:
    """Dependencies of a trace given as ``(function, arguments, response)`` per step.

    Responses that are None are unknown and produce nothing. ``query`` is the user query, used
    to tell stated values (free arguments) from values copied out of responses.
    """
    found: dict[int, dict[str, DependencyRef]] = {}
    for edge in mine_edges(steps, query):
        found.setdefault(edge.step, {})[edge.argument] = edge.ref
    return found


def mine_edges(
    steps: Sequence[tuple[str, Mapping[str, Any], Any]], query: str | None = None
) -> list[MinedEdge]:
    """Like :func:`mine_dependencies`, with the evidence class of each edge."""
    indexes: list[ResponseIndex | None] = [
        ResponseIndex(response) if response not in (None, "") else None
        for _, _, response in steps
    ]
    edges = []
    for step, (_, arguments, _) in enumerate(steps):
        for arg_path, value in leaves(dict(arguments)):
            argument = format_path(arg_path)
            evidence = strength(value)
            stated = query is not None and states(query, value)
            if evidence != STRONG and stated:
                continue
            name_words = words(str(arg_path[-1])) if isinstance(arg_path[-1], str) else set()
            best = _best_match(indexes[:step], value, name_words, needs_affinity=evidence not in
                               (STRONG, TEXT))
            if best is not None:
                edges.append(MinedEdge(step, argument, DependencyRef(*best), evidence))
    return edges


def _best_match(
    indexes: Sequence[ResponseIndex | None], value: Any, name_words: set[str], *,
    needs_affinity: bool,
) -> tuple[int, str] | None:
    for producer, index in enumerate(indexes):
        if index is None:
            continue
        ranked = []
        for path in index.find(value):
            keys = [t for t in path if isinstance(t, str)]
            affinity = len(name_words & words(keys[-1])) if keys else 0
            if needs_affinity and affinity == 0:
                continue
            ranked.append((-affinity, len(path), sum(t for t in path if isinstance(t, int)), path))
        if ranked:
            return producer, format_path(min(ranked)[3])
    return None


def mine_task(task: Task) -> dict[int, dict[str, DependencyRef]]:
    """Dependencies of a task's gold steps from their responses and the task's query."""
    return mine_dependencies([(s.function, s.arguments, s.response) for s in task.steps],
                             task.query)


def attach_mined(task: Task, *, overwrite: bool = False) -> Task:
    """Fill each gold step's ``dependency_args`` (and ``depends_on``) with mined edges.

    Existing edges are kept unless ``overwrite``; the task is modified in place and returned.
    """
    mined = mine_task(task)
    for step in task.steps:
        if step.dependency_args and not overwrite:
            continue
        step.dependency_args = dict(mined.get(step.index, {}))
        parents = {ref.from_step for ref in step.dependency_args.values()}
        step.depends_on = tuple(sorted(set(step.depends_on) | parents))
    return task


def mine_templates(tasks: Iterable[Task], *, prefix: str = "mined") -> list[Template]:
    """Group tasks by function sequence and mined edges into templates, most frequent first."""
    groups: dict[tuple[Any, ...], list[tuple[Task, dict[int, dict[str, DependencyRef]]]]] = {}
    for task in tasks:
        mined = mine_task(task)
        signature = (
            tuple(s.function for s in task.steps),
            tuple(sorted((i, a, r.from_step, r.from_field) for i, d in mined.items()
                         for a, r in d.items())),
        )
        groups.setdefault(signature, []).append((task, mined))
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0][0]))
    templates = []
    for number, ((functions, _), members) in enumerate(ordered):
        first, mined = members[0]
        templates.append(Template(
            id=f"{prefix}_{number}",
            functions=functions,
            dependencies=mined,
            frequency=len(members),
            examples=tuple(t.query for t, _ in members),
            example_ids=tuple(t.id for t, _ in members),
            example_arguments=tuple(dict(s.arguments) for s in first.steps),
        ))
    return templates
