"""The search's domain pruning (shared producers, siblings) is sound and complete: on the real
seed cache, searching a template until it is used up finds exactly the instances a plain
enumeration finds, including templates whose steps repeat a function."""

from __future__ import annotations

import random

import pytest

from orchestrl.plugins.synthesis.index import CallIndex
from orchestrl.plugins.synthesis.search import TemplateSearch

REPEATED_FUNCTION_TEMPLATES = ["workflow_5", "workflow_7", "workflow_9", "workflow_14",
                               "workflow_18", "workflow_46", "workflow_65", "workflow_70",
                               "workflow_84"]


@pytest.fixture(scope="module")
def index(seed_cache) -> CallIndex:
    return CallIndex(seed_cache.entries())


def enumerate_instances(template, index: CallIndex) -> set[tuple[int, ...]]:
    """Every instance, by plain depth-first enumeration in step order (no pruning)."""
    found: set[tuple[int, ...]] = set()

    def extend(prefix: list[int]) -> None:
        step = len(prefix)
        if step == template.n_steps:
            found.add(tuple(prefix))
            return
        for call in index.by_function.get(template.functions[step], ()):
            if call in prefix:
                continue
            ok = True
            for argument, ref in template.dependencies.get(step, {}).items():
                produced = index.value_key(prefix[ref.from_step], ref.from_field)
                if produced is None or produced != index.argument_key(call, argument):
                    ok = False
                    break
            if ok:
                extend([*prefix, call])

    extend([])
    return found


@pytest.mark.parametrize("template_id", REPEATED_FUNCTION_TEMPLATES)
def test_search_until_used_up_equals_plain_enumeration(template_id, templates, index) -> None:
    template = next(t for t in templates if t.id == template_id)
    assert len(set(template.functions)) < template.n_steps  # a function repeats
    expected = enumerate_instances(template, index)
    search = TemplateSearch(template, index)
    seen: set[tuple[int, ...]] = set()
    while (result := search.find(random.Random(len(seen)), seen, budget=10**6)).assignment:
        assert result.assignment not in seen
        seen.add(result.assignment)
    assert result.exhausted
    assert seen == expected
    for step, domain in enumerate(search.domains):  # pruning never removes a usable call
        assert {instance[step] for instance in expected} <= set(domain)
    if not expected:  # proved without searching
        assert not search.feasible() and result.nodes == 0
