from __future__ import annotations

import json

from orchestrl.build import build
from orchestrl.plugins.samplers.constrained import ConstrainedSampler
from orchestrl.plugins.synthesis.output import read_tasks


def test_both_samplers_are_registered_and_build_from_config(
    plugin_host, compose_config, booking_dir, seed_cache
) -> None:
    assert {"constrained", "unconstrained"} <= set(plugin_host.registry("sampler").names())
    cfg = compose_config("world=booking", f"data_dir={booking_dir}", "sampler.max_steps=4",
                         "sampler.distractors=1")
    sampler = build(cfg.sampler, cache=seed_cache, env=None)
    assert isinstance(sampler, ConstrainedSampler)
    assert all(len(t.steps) <= 4 for t in sampler.sample(3, seed=0))
    cfg = compose_config("world=booking", f"data_dir={booking_dir}", "sampler=unconstrained")
    assert type(build(cfg.sampler, cache=seed_cache)).__name__ == "UnconstrainedSampler"


def test_a_typo_in_a_sampler_option_fails_at_parse_time(plugin_host, run_cli) -> None:
    result = run_cli("synth", "world=booking", "sampler.max_stepz=3")
    assert result.exit_code != 0
    assert "max_stepz" in result.stderr


def test_synth_writes_tasks_and_summary(plugin_host, run_cli, tmp_path, booking_dir) -> None:
    result = run_cli("synth", "world=booking", "synth.n=6", "cache=memory",
                     f"data_dir={booking_dir}", "sampler.progress=false")
    assert result.exit_code == 0, result.stderr
    headline = json.loads(result.stdout.strip().splitlines()[-1])
    assert headline["valid"] == 6
    tasks = read_tasks(headline["output"])
    assert len(tasks) == 6
    summary = json.loads((tmp_path / headline["output"]).parent.joinpath("summary.json")
                         .read_text())
    assert summary["template_check"]["instances_broken"] > 0
    assert "shared_keys" in summary["overlap"]
