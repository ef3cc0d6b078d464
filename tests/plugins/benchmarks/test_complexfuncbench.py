"""The ``complexfuncbench`` benchmark component, built from the composed config."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from orchestrl.build import build
from orchestrl.errors import ConfigError
from orchestrl.plugins.benchmarks.cfb.loaders import load_items, write_native
from orchestrl.plugins.policies.scripted import ScriptedPolicy


@pytest.fixture
def benchmark_cfg(plugin_host, compose_config, booking_dir: Path):
    def make(*overrides: str):
        cfg = compose_config("benchmark=complexfuncbench", f"data_dir={booking_dir}",
                             "benchmark.progress=false", "benchmark.plots=false", *overrides)
        return cfg.benchmark

    return make


def test_registered_and_selected_by_the_booking_world(plugin_host, compose_config) -> None:
    assert "complexfuncbench" in plugin_host.registry("benchmark")
    cfg = compose_config("world=booking")
    assert cfg.benchmark._target_.endswith("complexfuncbench.ComplexFuncBench")


def test_gold_policy_scores_100_percent(benchmark_cfg, tmp_path: Path) -> None:
    benchmark = build(benchmark_cfg("benchmark.limit=8"))
    metrics = benchmark.evaluate(ScriptedPolicy(), output_dir=tmp_path)
    assert metrics["turn_accuracy"] == metrics["call_accuracy"] == 1.0
    assert metrics["success_rate"] == 1.0 or math.isnan(metrics["success_rate"])
    assert metrics["items"] == 8.0
    lines = (tmp_path / "cfb_items.jsonl").read_text().splitlines()
    assert len(lines) == 8
    summary = json.loads((tmp_path / "cfb_summary.json").read_text())
    assert summary["missing_gold"]["items"] == metrics["items_missing_gold"]


def test_domain_filter_and_its_errors(benchmark_cfg, tmp_path: Path) -> None:
    benchmark = build(benchmark_cfg("benchmark.domains=[Hotels,Flights]"))
    assert {t.domain for t in benchmark.load()} == {"Hotels", "Flights"}
    unknown = "unknown domain 'Hotel' in eval_80.jsonl; available: Attraction"
    with pytest.raises(ConfigError, match=unknown):
        build(benchmark_cfg("benchmark.domains=[Hotel]")).load()
    with pytest.raises(ConfigError, match="missing_gold 'guess'"):
        build(benchmark_cfg("benchmark.missing_gold=guess"))
    with pytest.raises(ConfigError, match="benchmark file 'nope.jsonl' not found"):
        build(benchmark_cfg("benchmark.items=nope.jsonl")).load()


def test_native_items_file_gives_the_same_scores(
    benchmark_cfg, tmp_path: Path, booking_dir: Path
) -> None:
    native = tmp_path / "native.jsonl"
    write_native(load_items(booking_dir / "eval_80.jsonl", booking_dir)[:10], native)
    policy = ScriptedPolicy(wrong_value=0.2, seed=5)
    # the reward is left out: native entries carry no dependency arguments for it to check
    from_trace = build(benchmark_cfg("benchmark.limit=10", "benchmark.reward_preset=null")
                       ).evaluate(policy, output_dir=tmp_path / "trace")
    from_native = build(benchmark_cfg(f"benchmark.items={native}", "benchmark.reward_preset=null")
                        ).evaluate(policy, output_dir=tmp_path / "native")
    assert json.dumps(from_native, sort_keys=True) == json.dumps(from_trace, sort_keys=True)


def test_a_judge_policy_is_asked_and_reported_separately(benchmark_cfg, tmp_path: Path) -> None:
    cfg = benchmark_cfg("benchmark.limit=10", "+benchmark.judge._target_="
                        "orchestrl.plugins.policies.scripted.ScriptedPolicy")
    benchmark = build(cfg)
    metrics = benchmark.evaluate(ScriptedPolicy(wrong_value=0.5, seed=1), output_dir=tmp_path)
    summary = json.loads((tmp_path / "cfb_summary.json").read_text())
    assert summary["judge"]["enabled"] is True
    assert summary["judge"]["matches"] == 0  # the scripted judge never answers "equivalent"
    assert metrics["turn_accuracy"] < 1.0


@pytest.fixture(scope="module")
def synthesized_items(tmp_path_factory, booking_dir: Path) -> Path:
    """Eight tasks of the constrained sampler (every step with its real response)."""
    from orchestrl.build import build_world
    from orchestrl.config import compose

    cfg = compose(["world=booking", f"data_dir={booking_dir}", "cache=memory",
                   "sampler.progress=false", "synth.overlap_with=null"])
    out = tmp_path_factory.mktemp("synth")
    build_world(cfg).synthesize(cfg, 8, out)
    return out / "tasks.jsonl"


def test_synthesized_tasks_are_items_scored_by_the_protocol_and_the_reward(
    benchmark_cfg, synthesized_items: Path, tmp_path: Path
) -> None:
    benchmark = build(benchmark_cfg(f"benchmark.items={synthesized_items}"))
    gold = benchmark.evaluate(ScriptedPolicy(), output_dir=tmp_path / "gold")
    assert gold["items"] == 8.0 and gold["items_missing_gold"] == 0.0
    assert gold["turn_accuracy"] == gold["success_rate"] == gold["call_accuracy"] == 1.0
    assert gold["reward"] == 1.0

    wrong = benchmark.evaluate(ScriptedPolicy(wrong_value=0.5, seed=3),
                               output_dir=tmp_path / "wrong")
    assert wrong["reward"] < 1.0 and wrong["turn_accuracy"] < 1.0
    counts = benchmark.item_counts(tmp_path / "wrong")
    assert len(counts) == 8
    for metric in ("turn_accuracy", "call_accuracy", "reward"):
        num = sum(c[metric][0] for c in counts.values())
        den = sum(c[metric][1] for c in counts.values())
        assert num / den == pytest.approx(wrong[metric])
