from __future__ import annotations

import random

import pytest

from orchestrl.api import Task
from orchestrl.errors import ConfigError
from orchestrl.plugins.env.environment import CachedEnvironment
from orchestrl.plugins.samplers.constrained import ConstrainedSampler
from orchestrl.plugins.synthesis.checking import argument_value, reproduces
from orchestrl.plugins.synthesis.derivability import derivability_problems
from orchestrl.plugins.synthesis.hygiene import excluded_keys
from orchestrl.plugins.synthesis.index import CallIndex
from orchestrl.plugins.synthesis.search import TemplateSearch
from orchestrl.plugins.synthesis.template import function_domains


def _sampler(booking_dir, cache, **options) -> ConstrainedSampler:
    options.setdefault("progress", False)
    return ConstrainedSampler(data_dir=str(booking_dir), cache=cache, **options)


@pytest.fixture(scope="module")
def sampled(booking_dir, seed_cache) -> tuple[ConstrainedSampler, list[Task]]:
    sampler = _sampler(booking_dir, seed_cache)
    return sampler, list(sampler.sample(60, seed=3))


def test_every_trace_is_cached_and_its_edges_hold(sampled, seed_cache) -> None:
    _, tasks = sampled
    assert len(tasks) == 60
    env = CachedEnvironment(seed_cache.schemas, seed_cache, "strict")
    for task in tasks:
        assert task.metadata["cache_keys"] == [
            seed_cache.key(s.function, s.arguments) for s in task.steps]
        for step in task.steps:
            result = env.call(step.function, step.arguments)
            assert result.ok and result.cache_hit and result.content == step.response
            for argument, ref in step.dependency_args.items():
                assert ref.from_step < step.index and ref.from_step in step.depends_on
                value = argument_value(step.arguments, argument)
                assert reproduces(task.steps[ref.from_step].response, ref.from_field, value)
        assert derivability_problems(task) == []
        assert any(s.dependency_args for s in task.steps)
    assert len({t.id for t in tasks}) == len({tuple(t.metadata["cache_keys"]) for t in tasks})
    assert len({t.id for t in tasks}) == 60


def test_summary_counts_what_was_emitted(sampled) -> None:
    sampler, tasks = sampled
    summary = sampler.summary.as_dict()
    assert summary["valid"] == len(tasks)
    assert summary["attempts"] >= len(tasks)
    assert sum(summary["per_template"].values()) == len(tasks)
    assert sum(summary["complexity"]["steps"].values()) == len(tasks)


def test_same_seed_same_tasks_other_seed_other_tasks(booking_dir, seed_cache, sampled) -> None:
    _, tasks = sampled
    again = list(_sampler(booking_dir, seed_cache).sample(60, seed=3))
    assert [t.id for t in again] == [t.id for t in tasks]
    assert [t.query for t in again] == [t.query for t in tasks]
    other = list(_sampler(booking_dir, seed_cache).sample(60, seed=4))
    assert [t.id for t in other] != [t.id for t in tasks]


def test_complexity_filters_and_distractors(booking_dir, seed_cache, tools) -> None:
    domains = function_domains(tools.values())
    sampler = _sampler(booking_dir, seed_cache, max_steps=3, mixed_domains=False, distractors=3,
                       weighting="frequency")
    tasks = list(sampler.sample(15, seed=0))
    assert tasks
    for task in tasks:
        assert len(task.steps) <= 3
        gold = {s.function for s in task.steps}
        gold_domains = {domains[f] for f in gold} - {"meta"}
        assert len(gold_domains) <= 1
        offered = [t["name"] for t in task.tools]
        available = {n for n in tools if domains[n] in gold_domains | {domains[f] for f in gold}}
        assert gold <= set(offered)
        assert len(offered) == len(gold) + min(3, len(available - gold))
        assert {domains[n] for n in offered} - {"meta"} <= gold_domains | {"meta"}
    deep = list(_sampler(booking_dir, seed_cache, min_depth=3).sample(5, seed=0))
    assert deep and all(t.metadata["complexity"]["depth"] >= 3 for t in deep)


def test_excluding_an_evaluation_set(booking_dir, seed_cache, tools) -> None:
    eval_file = str(booking_dir / "eval_80.jsonl")
    sampler = _sampler(booking_dir, seed_cache, exclude=[eval_file])
    tasks = list(sampler.sample(40, seed=1))
    banned = excluded_keys([eval_file], seed_cache, tools)
    assert tasks
    assert not any(set(t.metadata["cache_keys"]) & banned for t in tasks)


def test_a_template_is_used_up_without_duplicates(booking_dir, seed_cache, templates) -> None:
    index = CallIndex(seed_cache.entries())
    small = next(t for t in templates if t.id == "workflow_0")
    search = TemplateSearch(small, index)
    seen: set = set()
    while (result := search.find(random.Random(len(seen)), seen, budget=10**6)).assignment:
        seen.add(result.assignment)
    assert result.exhausted and seen
    # brute force: every (location, attractions) pair whose id matches
    _, argument, ref = small.edges()[0]
    brute = {
        (a, b)
        for a in index.by_function["Search_Attraction_Location"]
        for b in index.by_function["Search_Attractions"]
        if index.argument_key(b, argument) is not None
        and reproduces(index.calls[a].response, ref.from_field,
                       index.calls[b].arguments[argument])
    }
    assert seen == brute
    sampler = _sampler(booking_dir, seed_cache, template_ids=["workflow_0"], opaque_free=True)
    tasks = list(sampler.sample(10_000, seed=0))
    assert len(tasks) + sum(sampler.summary.dropped.values()) == len(brute)
    assert sampler.summary.exhausted_templates == ["workflow_0"]


def test_bad_options_are_config_errors(booking_dir, seed_cache) -> None:
    with pytest.raises(ConfigError, match="complexity filters"):
        _sampler(booking_dir, seed_cache, min_steps=50)
    with pytest.raises(ConfigError, match="weighting 'often'"):
        list(_sampler(booking_dir, seed_cache, weighting="often").sample(1, seed=0))
    with pytest.raises(ConfigError, match="template source 'found'"):
        _sampler(booking_dir, seed_cache, templates="found")


def test_mined_templates_also_drive_the_sampler(booking_dir, seed_cache) -> None:
    tasks = list(_sampler(booking_dir, seed_cache, templates="mined").sample(10, seed=0))
    assert len(tasks) == 10
    assert all(t.metadata["template"].startswith("mined_") for t in tasks)


def test_projected_index_gives_the_same_tasks(booking_dir, seed_cache) -> None:
    full = list(_sampler(booking_dir, seed_cache, project=False).sample(25, seed=7))
    projected = list(_sampler(booking_dir, seed_cache, project=True).sample(25, seed=7))
    assert [t.id for t in projected] == [t.id for t in full]
    assert [[s.response for s in t.steps] for t in projected] == \
        [[s.response for s in t.steps] for t in full]


def test_max_per_template_caps_each_template_and_fills_from_the_others(
    booking_dir, seed_cache
) -> None:
    from collections import Counter

    uncapped = list(_sampler(booking_dir, seed_cache).sample(200, seed=1))
    per_uncapped = Counter(t.metadata["template"] for t in uncapped)
    assert max(per_uncapped.values()) > 5  # some template gives more than the cap below
    capped = list(_sampler(booking_dir, seed_cache, max_per_template=5).sample(200, seed=1))
    per_capped = Counter(t.metadata["template"] for t in capped)
    assert max(per_capped.values()) == 5
    assert len(per_capped) >= len(per_uncapped)  # the room goes to the other templates
    with pytest.raises(ConfigError, match="max_per_template must be at least 1, got 0"):
        _sampler(booking_dir, seed_cache, max_per_template=0)
