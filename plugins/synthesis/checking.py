"""Checking template dependencies against real data: which edges reproduce.

An edge ``step.argument <- (from_step, from_field)`` *reproduces* in a trace that follows the
template when the value at ``from_field`` in the producer's real response is the same value
(:func:`~orchestrl.plugins.synthesis.values.same`) as the consumer's argument. A trace follows
a template when its function sequence equals the pattern and it is linked to the template: its
``workflow_id`` is the template id (synthesized traces) or its id is one of the template's
example entry ids (benchmark traces).

Status of a template edge over its observed instances (instances whose producer response is
known): ``ok`` (reproduces in all), ``flaky`` (in some), ``broken`` (in none), ``unobserved``
(no instance).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrl.api import Task
from orchestrl.paths import MISSING, get_path, parse_path, resolve
from orchestrl.plugins.synthesis.template import Template
from orchestrl.plugins.synthesis.values import same

OK, FLAKY, BROKEN, UNOBSERVED = "ok", "flaky", "broken", "unobserved"


@dataclass
class EdgeCheck:
    """The verdict on one template edge."""

    template: str
    step: int
    argument: str
    from_step: int
    from_field: str
    checked: int = 0
    reproduced: int = 0
    failures: list[str] = field(default_factory=list)
    """Ids of the traces where the edge does not reproduce."""

    @property
    def status(self) -> str:
        if self.checked == 0:
            return UNOBSERVED
        if self.reproduced == self.checked:
            return OK
        return BROKEN if self.reproduced == 0 else FLAKY


@dataclass
class CheckReport:
    """Every edge verdict, with per-instance and per-edge totals."""

    edges: list[EdgeCheck]

    @property
    def instances_checked(self) -> int:
        return sum(e.checked for e in self.edges)

    @property
    def instances_broken(self) -> int:
        return sum(e.checked - e.reproduced for e in self.edges)

    def by_status(self) -> dict[str, int]:
        counts = dict.fromkeys((OK, FLAKY, BROKEN, UNOBSERVED), 0)
        for edge in self.edges:
            counts[edge.status] += 1
        return counts

    def not_reproducing(self) -> list[EdgeCheck]:
        """Edges that fail in at least one observed instance."""
        return [e for e in self.edges if e.status in (FLAKY, BROKEN)]

    def summary(self) -> dict[str, Any]:
        return {
            "edges": len(self.edges),
            "status": self.by_status(),
            "instances_checked": self.instances_checked,
            "instances_broken": self.instances_broken,
        }


def argument_value(arguments: Mapping[str, Any], argument: str) -> Any:
    """The value of an argument name or argument path (``legs[0].fromId``), or MISSING."""
    if argument in arguments:
        return arguments[argument]
    try:
        return get_path(dict(arguments), parse_path(argument))
    except ValueError:
        return MISSING


def reproduces(response: Any, from_field: str, value: Any) -> bool:
    """Whether the value at ``from_field`` in ``response`` is the same as ``value``."""
    if response is None or value is MISSING:
        return False
    found = resolve(response, from_field)
    return found is not MISSING and same(found, value)


def instances(template: Template, traces: Iterable[Task]) -> list[Task]:
    """The traces that follow ``template`` (see the module docstring)."""
    linked = set(template.example_ids)
    return [
        t for t in traces
        if (t.metadata.get("workflow_id") == template.id or t.id in linked)
        and tuple(s.function for s in t.steps) == template.functions
    ]


def check_templates(templates: Iterable[Template], traces: Iterable[Task]) -> CheckReport:
    """Check every edge of every template on the traces that follow it."""
    traces = list(traces)
    edges = []
    for template in templates:
        followers = instances(template, traces)
        for step, argument, ref in template.edges():
            check = EdgeCheck(template.id, step, argument, ref.from_step, ref.from_field)
            for trace in followers:
                producer = trace.steps[ref.from_step].response
                if producer is None:
                    continue
                check.checked += 1
                value = argument_value(trace.steps[step].arguments, argument)
                if reproduces(producer, ref.from_field, value):
                    check.reproduced += 1
                else:
                    check.failures.append(trace.id)
            edges.append(check)
    return CheckReport(edges)
