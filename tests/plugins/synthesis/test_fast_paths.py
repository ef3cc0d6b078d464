"""The synthesis shortcuts give what the plain computations give: free values, the lowered
query check, per-template task shapes and distractor pools, the memoised phrasing."""

from __future__ import annotations

import copy
import dataclasses
import random

from orchestrl.api import DependencyRef, GoldStep, Task
from orchestrl.plugins.synthesis.assemble import build_task, offered_tools, task_shape
from orchestrl.plugins.synthesis.derivability import free_values
from orchestrl.plugins.synthesis.index import Call
from orchestrl.plugins.synthesis.mining import attach_mined, format_path, leaves
from orchestrl.plugins.synthesis.renderers.template import compose
from orchestrl.plugins.synthesis.surface import states, states_lower
from orchestrl.plugins.synthesis.template import Template, function_domains


def _free_values_by_leaves(task: Task) -> list[tuple[int, str, object]]:
    """The definition: every leaf of the arguments, minus dependent names and paths."""
    out = []
    for step in task.steps:
        dependent = set(step.dependency_args)
        for path, value in leaves(dict(step.arguments)):
            argument, top = format_path(path), str(path[0])
            if argument in dependent or (top in dependent and top != argument):
                continue
            out.append((step.index, argument, value))
    return out


def _nested_task() -> Task:
    arguments = {"legs": [{"fromId": "BOM.AIRPORT", "toId": "DEL.AIRPORT", "date": "2024-10-14"},
                          {"fromId": "DEL.AIRPORT", "date": None}],
                 "adults": 2, "children": None, "sort": "BEST", "filters": {}, "tags": []}
    steps = [GoldStep(index=0, function="A", arguments={"query": "Mumbai"}),
             GoldStep(index=1, function="B", arguments=arguments,
                      dependency_args={"legs[0].fromId": DependencyRef(0, "data[0].id"),
                                       "sort": DependencyRef(0, "data[0].sort")})]
    return Task(id="t", query="", tools=[], steps=steps)


def test_free_values_match_the_leaf_definition(train_tasks: list[Task]) -> None:
    tasks = [attach_mined(copy.deepcopy(t), overwrite=True) for t in train_tasks]
    tasks.append(_nested_task())
    assert sum(len(free_values(t)) for t in tasks) > 200
    for task in tasks:
        assert free_values(task) == _free_values_by_leaves(task)
    nested = free_values(_nested_task())
    assert (1, "legs[0].toId", "DEL.AIRPORT") in nested
    assert not any(argument in ("legs[0].fromId", "sort") for _, argument, _ in nested)


def test_states_on_a_lowered_query_is_states(train_tasks: list[Task]) -> None:
    checked = 0
    for task in train_tasks[:40]:
        for step in task.steps:
            for value in [*step.arguments.values(), "08:00", 3, True, ["a", "b"]]:
                checked += 1
                assert states(task.query, value) == states_lower(task.query.lower(), value)
    assert checked > 100


def test_compose_with_known_free_values_is_compose(train_tasks: list[Task]) -> None:
    for task in train_tasks[:40]:
        task = attach_mined(copy.deepcopy(task), overwrite=True)
        assert compose(task, free_values(task)) == compose(task)


def test_task_shapes_and_pools_build_the_same_tasks(templates: list[Template], tools: dict
                                                    ) -> None:
    domains = function_domains(tools.values())
    pools: dict = {}
    for number, template in enumerate(templates):
        calls = [Call(f, {"q": f"{f}-{number}"}, {"data": [number]}, f"{f} key{number}")
                 for f in template.functions]
        shape = task_shape(template, domains)
        for seed in range(3):
            plain_tools = offered_tools(template.functions, tools, domains, random.Random(seed),
                                        distractors=2)
            pooled_tools = offered_tools(template.functions, tools, domains,
                                         random.Random(seed), distractors=2, pools=pools)
            assert pooled_tools == plain_tools
            plain = build_task(template, calls, tools=plain_tools, function_domains=domains)
            shaped = build_task(template, calls, tools=pooled_tools, function_domains=domains,
                                shape=shape)
            assert dataclasses.asdict(shaped) == dataclasses.asdict(plain)
            # tasks share nothing mutable through the shape
            shaped.steps[-1].dependency_args["x"] = DependencyRef(0, "y")
            shaped.metadata["complexity"]["steps"] = -1
            again = build_task(template, calls, tools=plain_tools, function_domains=domains,
                               shape=shape)
            assert dataclasses.asdict(again) == dataclasses.asdict(plain)
    assert pools
