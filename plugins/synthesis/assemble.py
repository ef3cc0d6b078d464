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
from typing import Any

from orchestrl.api import GoldStep, Task
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
) -> list[dict[str, Any]]:
    """Gold tools plus distractors, shuffled."""
    gold = list(dict.fromkeys(functions))
    domains = {function_domains.get(f, "") for f in gold}
    pool = sorted(
        name for name in tools
        if name not in gold
        and (distractor_domain == "any" or function_domains.get(name, "") in domains)
    )
    chosen = gold + rng.sample(pool, min(distractors, len(pool)))
    rng.shuffle(chosen)
    return [dict(tools[name]) for name in chosen if name in tools]


def build_task(
    template: Template,
    calls: Sequence[Call],
    *,
    tools: list[dict[str, Any]],
    function_domains: Mapping[str, str],
    metadata: Mapping[str, Any] | None = None,
) -> Task:
    """The task of an instance, with an empty query (the renderer writes it)."""
    steps = []
    for number, call in enumerate(calls):
        deps = dict(template.dependencies.get(number, {}))
        steps.append(GoldStep(
            index=number,
            function=call.function,
            arguments=dict(call.arguments),
            depends_on=template.parents(number),
            dependency_args=deps,
            response=call.response,
            turn=template.levels[number],
        ))
    keys = [c.key for c in calls]
    domains = sorted(template.domains(function_domains))
    return Task(
        id=trace_id(keys),
        query="",
        tools=tools,
        steps=steps,
        domain=domains[0] if len(domains) == 1 else "cross",
        metadata={"template": template.id, "cache_keys": keys,
                  "complexity": complexity(template, function_domains), **(metadata or {})},
    )
