"""Scenario split, mined templates and the ``bfcl`` sampler."""

from __future__ import annotations

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.samplers.bfcl import BfclSampler
from orchestrl.plugins.worlds.bfcl.checker import check_entry, ground_truth_calls
from orchestrl.plugins.worlds.bfcl.entries import CATEGORIES, load_entries
from orchestrl.plugins.worlds.bfcl.split import scenario_groups, select, split_of
from orchestrl.plugins.worlds.bfcl.tasks import task_to_entry
from orchestrl.plugins.worlds.bfcl.templates import mine_templates, pattern_of


def test_split_keeps_each_scenario_and_each_shared_configuration_on_one_side(base_entries):
    sides = {e.scenario: split_of(e.scenario) for e in base_entries}
    assert 0.2 < list(sides.values()).count("eval") / len(sides) < 0.4
    for category in CATEGORIES:
        for entry in load_entries(category):
            assert split_of(entry.scenario) == sides[entry.scenario]
    by_config: dict[str, set[str]] = {}
    for entry in base_entries:
        key = repr(sorted(entry.initial_config.items()))
        by_config.setdefault(key, set()).add(sides[entry.scenario])
    assert all(len(s) == 1 for s in by_config.values())
    assert len(set(scenario_groups().values())) < len(base_entries)


def test_select_partitions_entries(base_entries):
    train, evaluation = select(base_entries, "train"), select(base_entries, "eval")
    assert len(train) + len(evaluation) == len(base_entries)
    assert not {e.id for e in train} & {e.id for e in evaluation}
    with pytest.raises(ConfigError):
        select(base_entries, "test")


def test_mined_templates_cover_the_entries_with_their_call_shapes(base_entries):
    templates = mine_templates(base_entries)
    assert sum(t.frequency for t in templates) == len(base_entries)
    frequencies = [t.frequency for t in templates]
    assert frequencies == sorted(frequencies, reverse=True)
    by_id = {e.id: e for e in base_entries}
    for template in templates:
        for entry_id in template.entry_ids:
            entry = by_id[entry_id]
            assert pattern_of(entry) == template.pattern
            assert template.calls == sum(len(turn) for turn in entry.ground_truth)


def test_sampled_tasks_are_train_only_within_bounds_and_replay_cleanly():
    sampler = BfclSampler(categories=["multi_turn_base", "multi_turn_miss_param"],
                          min_turns=2, max_turns=3, min_calls=2, max_calls=6)
    tasks = list(sampler.sample(60, seed=3))
    assert len(tasks) == 60 == sampler.stats["accepted"]
    assert len({t.id for t in tasks}) == 60
    assert len({tuple(map(tuple, t.metadata["template"])) for t in tasks}) > 30
    for task in tasks:
        entry = task_to_entry(task)
        assert split_of(entry.scenario) == "train"
        assert 2 <= len(entry.turns) <= 3 and entry.ground_truth[-1]
        assert 2 <= len(task.steps) <= 6
        assert check_entry(entry, [[t] if t else [] for t in ground_truth_calls(entry)]).valid


def test_sampling_is_deterministic_for_a_seed():
    sampler = BfclSampler(max_turns=2)
    first = [t.id for t in sampler.sample(25, seed=1)]
    assert first == [t.id for t in sampler.sample(25, seed=1)]
    assert first != [t.id for t in sampler.sample(25, seed=2)]


def test_used_tools_offer_only_the_called_classes_and_keep_the_backends():
    involved = list(BfclSampler(max_turns=1).sample(40, seed=0))
    used = list(BfclSampler(max_turns=1, tools="used").sample(40, seed=0))
    assert [t.id for t in involved] == [t.id for t in used]
    fewer = 0
    for full, short in zip(involved, used, strict=True):
        names = {doc["name"] for doc in short.tools}
        assert {step.function for step in short.steps} <= names
        assert names <= {doc["name"] for doc in full.tools}
        assert short.metadata["involved_classes"] == full.metadata["involved_classes"]
        fewer += len(short.tools) < len(full.tools)
    assert fewer > 10  # most scenarios involve a class the first turn does not call


def test_inconsistent_bounds_are_a_config_error():
    with pytest.raises(ConfigError, match="inconsistent"):
        BfclSampler(min_turns=3, max_turns=2)
    with pytest.raises(ConfigError, match="tools 'some'"):
        BfclSampler(tools="some")


def test_sampler_is_selected_and_built_from_config(compose_config, plugin_host):
    from orchestrl.build import build

    cfg = compose_config("sampler=bfcl", "sampler.max_turns=2")
    sampler = build(cfg.sampler, cache=None, env=None)
    assert isinstance(sampler, BfclSampler)
    assert all(len(t.metadata["turns"]) <= 2 for t in sampler.sample(5, seed=0))


def test_synth_command_in_the_bfcl_world_writes_tasks_and_counts(
    plugin_host, run_cli, tmp_path
):
    import json

    from orchestrl.plugins.synthesis.output import read_tasks

    result = run_cli("synth", "world=bfcl", "synth.n=5", "sampler.max_turns=1",
                     "sampler.tools=used", "data_dir=/nonexistent/booking")
    assert result.exit_code == 0, result.stderr
    headline = json.loads(result.stdout.strip().splitlines()[-1])
    assert headline["sampler"] == "bfcl" and headline["valid"] == 5
    assert headline["attempts"] >= 5
    tasks = read_tasks(headline["output"])
    assert len(tasks) == 5 and all(len(t.metadata["turns"]) == 1 for t in tasks)
    summary = json.loads((tmp_path / headline["output"]).parent.joinpath("summary.json")
                         .read_text())
    assert summary["counts"]["accepted"] == 5
