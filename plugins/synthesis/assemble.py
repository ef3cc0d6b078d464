"""Turning an instance (one cached call per template step) into a :class:`~orchestrl.api.Task`.

Gold steps carry the call's (canonical) arguments, its real response, the template's edges as
``dependency_args`` and ``depends_on``, and ``turn`` = the step's level (steps of one level
can be called in parallel). The offered tools are the gold functions' schemas plus
``distractors`` other tools drawn from the same API domains (``distractor_domain="same"``) or
from all tools (``"any"``), in a seeded shuffled order. The task id is a digest of the gold
calls' cache keys, so the same trace always gets the same id.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrl.api import DependencyRef, GoldStep, Task
from orchestrl.plugins.synthesis.index import Call
from orchestrl.plugins.synthesis.template import Template


def trace_id(keys: Sequence[str]) -> str:
    """A stable id for a trace made of these gold calls."""
    digest = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()
    return f"synth-{digest[:16]}"


def complexity(template: Template, function_domains: Mapping[str, str]) -> dict[str, Any]:
    """The complexity measures recorded with each task."""
    domains = sorted(template.domains(function_domains))
    return {"steps": template.n_steps, "depth": template.depth, "fan_in": template.fan_in,
            "branches": template.branches, "domains": len(domains)}


def offered_tools(
    functions: Sequence[str],
    tools: Mapping[str, Mapping[str, Any]],
    function_domains: Mapping[str, str],
    rng: random.Random,
    *,
    distractors: int = 0,
    distractor_domain: str = "same",
    pools: dict[tuple, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Gold tools plus distractors, shuffled.

    ``pools`` (optional) remembers the distractor pool of each gold set; pass the same dict
    only with the same ``tools`` and ``function_domains``."""
    gold = list(dict.fromkeys(functions))
    memo = (tuple(gold), distractor_domain)
    pool = pools.get(memo) if pools is not None else None
    if pool is None:
        domains = {function_domains.get(f, "") for f in gold}
        pool = sorted(
            name for name in tools
            if name not in gold
            and (distractor_domain == "any" or function_domains.get(name, "") in domains)
        )
        if pools is not None:
            pools[memo] = pool
    chosen = gold + rng.sample(pool, min(distractors, len(pool)))
    rng.shuffle(chosen)
    return [dict(tools[name]) for name in chosen if name in tools]


@dataclass(frozen=True)
class TaskShape:
    """What every task of one template shares (see :func:`task_shape`)."""

    dependencies: tuple[Mapping[str, DependencyRef], ...]
    parents: tuple[tuple[int, ...], ...]
    levels: tuple[int, ...]
    domain: str
    complexity: Mapping[str, Any]


def task_shape(template: Template, function_domains: Mapping[str, str]) -> TaskShape:
    """The per-step edges, parents and levels, the domain and the complexity of ``template``'s
    tasks (computed once per template by a sampler, then given to :func:`build_task`)."""
    domains = sorted(template.domains(function_domains))
    steps = range(template.n_steps)
    return TaskShape(
        dependencies=tuple(dict(template.dependencies.get(n, {})) for n in steps),
        parents=tuple(template.parents(n) for n in steps),
        levels=tuple(template.levels),
        domain=domains[0] if len(domains) == 1 else "cross",
        complexity=complexity(template, function_domains),
    )


def build_task(
    template: Template,
    calls: Sequence[Call],
    *,
    tools: list[dict[str, Any]],
    function_domains: Mapping[str, str],
    metadata: Mapping[str, Any] | None = None,
    shape: TaskShape | None = None,
) -> Task:
    """The task of an instance, with an empty query (the renderer writes it). ``shape``:
    :func:`task_shape` of ``template`` with these ``function_domains``, when already known."""
    if shape is None:
        shape = task_shape(template, function_domains)
    steps = []
    for number, call in enumerate(calls):
        steps.append(GoldStep(
            index=number,
            function=call.function,
            arguments=dict(call.arguments),
            depends_on=shape.parents[number],
            dependency_args=dict(shape.dependencies[number]),
            response=call.response,
            turn=shape.levels[number],
        ))
    keys = [c.key for c in calls]
    return Task(
        id=trace_id(keys),
        query="",
        tools=tools,
        steps=steps,
        domain=shape.domain,
        metadata={"template": template.id, "cache_keys": keys,
                  "complexity": dict(shape.complexity), **(metadata or {})},
    )
