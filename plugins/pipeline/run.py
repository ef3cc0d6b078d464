"""``orchestrl run``: synthesize -> SFT warm start -> GRPO -> evaluate, as one resumable job.

Each stage's outputs are content-addressed in ``run.artifacts`` (see
:mod:`~orchestrl.plugins.pipeline.artifacts`): its key covers the config that affects it and
the keys of the stages it consumes, so a rerun skips every stage whose inputs and config have
not changed, and an interrupted run resumes at the stage it was in (the trainers also resume
from their latest checkpoint). The run directory (Hydra's) gets the resolved config,
``summary.json`` (the shape ``orchestrl report`` aggregates over a multirun) and ``report.md``
linking every stage's outputs. Between stages the freed models are collected and the heap is
trimmed, so the run's peak is the largest stage's, not their sum.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.build import build_world
from orchestrl.plugins.pipeline.artifacts import ArtifactStore
from orchestrl.plugins.pipeline.intervals import paired
from orchestrl.plugins.pipeline.run_report import write_run_report
from orchestrl.plugins.pipeline.stage_runner import StageRunner
from orchestrl.plugins.pipeline.stages import (
    eval_stage,
    read_item_counts,
    synth_stage,
    train_stage,
)
from orchestrl.plugins.training.memory import return_large_blocks

STAGES = ("synth", "sft", "grpo", "eval")


def run_pipeline(cfg: DictConfig, out: Path) -> dict[str, Any]:
    """Run (or resume) every stage for ``cfg``; write summary and report into ``out``, and each
    stage's start, end, wall time and summary into ``out/run.log``."""
    return_large_blocks()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "run.log").open("a", encoding="utf-8") as log_file:
        return _run(cfg, out, log_file)


def _run(cfg: DictConfig, out: Path, log_file: Any) -> dict[str, Any]:
    (out / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    stage = StageRunner(ArtifactStore(Path(str(cfg.run.artifacts))), log_file)
    results = stage.results
    world_of_run = build_world(cfg)
    world, data = world_of_run.name, world_of_run.data_version(cfg)
    plain = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(plain, dict)
    seed, policy = plain["seed"], plain["policy"]

    synth = stage("synth", {"world": world, "sampler": plain.get("sampler"),
                            "sampler_options": (plain.get("world") or {}).get("sampler"),
                            "synth": plain["synth"], "seed": seed}, [data],
                  lambda work: synth_stage(cfg, work))
    tasks_file = synth.directory / "tasks.jsonl"
    sft = stage("sft", {"trainer": plain["run"]["sft"], "model": policy["model"],
                        "env": plain.get("env"), "seed": seed}, [synth.key],
                lambda work: train_stage(cfg, "sft", work, tasks_file))
    grpo = stage("grpo", {"trainer": plain["run"]["grpo"], "reward": plain["reward"],
                          "model": policy["model"], "env": plain.get("env"), "seed": seed},
                 [synth.key, sft.key],
                 lambda work: train_stage(cfg, "grpo", work, tasks_file,
                                          init_from=Path(sft.summary["final"])))
    eval_config = {"benchmark": plain.get("benchmark"), "policy": policy,
                   "limits": (plain.get("world") or {}).get("eval"),
                   "decoding": (plain.get("world") or {}).get("eval_policy"), "seed": seed}
    before = None
    if cfg.run.get("eval_before", True):
        before = stage("eval_base", eval_config, [data], lambda work: eval_stage(cfg, work, []))
    adapters = [Path(sft.summary["final"]), Path(grpo.summary["final"])]
    after = stage("eval", {**eval_config, "adapters": "sft+grpo"}, [data, grpo.key],
                  lambda work: eval_stage(cfg, work, adapters))

    changes = {}
    if before is not None:  # paired over the items both evaluations played
        counts_before, counts_after = (read_item_counts(r.directory) for r in (before, after))
        names = sorted({m for item in counts_after.values() for m in item})
        changes = {m: paired(counts_before, counts_after, m) for m in names}
    summary = {
        "world": world,
        "metrics": after.summary["metrics"],
        "metrics_before": before.summary["metrics"] if before else None,
        "intervals": after.summary.get("intervals", {}),
        "intervals_before": before.summary.get("intervals", {}) if before else {},
        "changes": changes,
        "reward_curve": grpo.summary.get("reward_curve", {}),
        "reward_terms": {term: points[-1][1]
                         for term, points in grpo.summary.get("reward_curve", {}).items()
                         if points},
        "stages": {name: {"key": r.key, "directory": str(r.directory), "skipped": r.skipped}
                   for name, r in results.items()},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    report = write_run_report(summary, results, out)
    stage.console.print(f"report: {report}")
    stage.log(f"report: {report}")
    return summary
