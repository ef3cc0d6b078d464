"""Workflow templates: an ordered list of functions plus where dependent arguments come from.

A template's steps are numbered from 0. ``dependencies[i]`` maps an argument of step ``i`` to a
:class:`~orchestrl.api.DependencyRef` ``(from_step, from_field)`` with ``from_step < i``. An
argument key is a top-level argument name (``hotel_id``) or a path into the arguments
(``legs[0].fromId``). Arguments without an edge are *free*: the user must state them.

Structure measures (used by the sampler's complexity filters), over the edge graph:

* ``depth``: the number of steps on the longest dependency chain (1 for independent steps);
* ``fan_in``: the largest number of distinct producers of one step;
* ``branches``: the largest number of steps on one level, where a step's level is the length of
  the longest chain ending in it (steps of one level can run in parallel).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from orchestrl.api import DependencyRef
from orchestrl.errors import DataError
from orchestrl.paths import parse_path
from orchestrl.plugins.worlds.booking.data import TEMPLATES_FILE, load_templates

_ENDPOINT = re.compile(r"/api/v\d+/([A-Za-z]+)/")


@dataclass(frozen=True)
class Template:
    """A workflow template (see the module docstring)."""

    id: str
    functions: tuple[str, ...]
    dependencies: Mapping[int, Mapping[str, DependencyRef]] = field(default_factory=dict)
    frequency: int = 1
    examples: tuple[str, ...] = ()
    """Real user queries of traces that follow the template."""
    example_ids: tuple[str, ...] = ()
    """Benchmark entry ids of those traces (``Hotels-12``), parallel to ``examples`` when known."""
    example_arguments: tuple[Mapping[str, Any], ...] = ()
    """Per-step arguments of one real instance, when known (for query rendering)."""

    @property
    def n_steps(self) -> int:
        return len(self.functions)

    def edges(self) -> list[tuple[int, str, DependencyRef]]:
        """Every ``(step, argument, ref)`` in step order."""
        return [(i, arg, ref) for i in sorted(self.dependencies)
                for arg, ref in sorted(self.dependencies[i].items())]

    def parents(self, step: int) -> tuple[int, ...]:
        """Distinct producers of ``step``, ascending."""
        return tuple(sorted({ref.from_step for ref in self.dependencies.get(step, {}).values()}))

    @cached_property
    def levels(self) -> tuple[int, ...]:
        """Level of each step: 0 for independent steps, else 1 + the highest parent level."""
        levels: list[int] = []
        for step in range(self.n_steps):
            levels.append(max((levels[p] + 1 for p in self.parents(step)), default=0))
        return tuple(levels)

    @property
    def depth(self) -> int:
        return max(self.levels, default=-1) + 1

    @property
    def fan_in(self) -> int:
        return max((len(self.parents(s)) for s in range(self.n_steps)), default=0)

    @property
    def branches(self) -> int:
        counts: dict[int, int] = {}
        for level in self.levels:
            counts[level] = counts.get(level, 0) + 1
        return max(counts.values(), default=0)

    def domains(self, function_domains: Mapping[str, str]) -> frozenset[str]:
        """API domains of the template's functions (``meta`` functions count for none)."""
        found = {function_domains.get(f, "") for f in self.functions}
        return frozenset(d for d in found if d and d != "meta")


def template_from_record(record: Mapping[str, Any], *, source: str = TEMPLATES_FILE) -> Template:
    """Build a template from one ``workflows`` record of ``workflow_templates.json``."""
    tid = str(record.get("id", "?"))
    try:
        functions = tuple(str(f) for f in record["pattern"])
        dependencies: dict[int, dict[str, DependencyRef]] = {}
        arguments: list[Mapping[str, Any]] = [{} for _ in functions]
        for key, spec in (record.get("dependencies") or {}).items():
            step = int(key)
            named = spec.get("function")
            if not 0 <= step < len(functions) or named not in (None, functions[step]):
                raise ValueError(f"step {key} does not match the pattern")
            arguments[step] = dict(spec.get("arguments") or {})
            for arg, ref in (spec.get("dependency_args") or {}).items():
                parent = int(ref["from_step"])
                if not 0 <= parent < step:
                    raise ValueError(f"step {step} argument '{arg}' depends on step {parent}")
                parse_path(str(ref["from_field"]))
                edge = DependencyRef(parent, str(ref["from_field"]))
                dependencies.setdefault(step, {})[str(arg)] = edge
        examples = [e for e in record.get("examples") or [] if isinstance(e, Mapping)]
        return Template(
            id=tid,
            functions=functions,
            dependencies=dependencies,
            frequency=int(record.get("frequency", 1)),
            examples=tuple(str(e.get("query", "")) for e in examples),
            example_ids=tuple(str(e.get("entry_id", "")) for e in examples),
            example_arguments=tuple(arguments),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{source}: template '{tid}' is malformed ({exc})") from None


def load_template_file(data_dir: str | Path) -> list[Template]:
    """The shipped templates of a data directory, in file order."""
    records = load_templates(data_dir)
    source = str(Path(data_dir) / TEMPLATES_FILE)
    return [template_from_record(r, source=source) for r in records.values()]


def function_domains(tools: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """API domain of each tool (``hotels``, ``flights``, ...), read from its endpoint path."""
    domains = {}
    for tool in tools:
        match = _ENDPOINT.search(str(tool.get("description", "")))
        domains[str(tool["name"])] = match.group(1).lower() if match else ""
    return domains
