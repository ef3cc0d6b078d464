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
from orchestrl.plugins.pipeline.heldout import Heldout, heldout_stages
from orchestrl.plugins.pipeline.intervals import paired
from orchestrl.plugins.pipeline.run_report import write_run_report
from orchestrl.plugins.pipeline.stage_runner import StageRunner
from orchestrl.plugins.pipeline.stages import (
    eval_stage,
    evaluation_config,
    read_item_counts,
    synth_stage,
    train_stage,
    with_updates,
)
from orchestrl.plugins.training.memory import return_large_blocks


def run_pipeline(cfg: DictConfig, out: Path) -> dict[str, Any]:
    """Run (or resume) every stage for ``cfg``; write summary and report into ``out``, and each
    stage's start, end, wall time and summary into ``out/run.log``."""
    return_large_blocks()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "run.log").open("a", encoding="utf-8") as log_file:
        return _run(cfg, out, log_file)


def _run(cfg: DictConfig, out: Path, log_file: Any) -> dict[str, Any]:
    (out / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    eval_cfg = evaluation_config(cfg)  # a bad run.eval_engine fails before any stage
    stage = StageRunner(ArtifactStore(Path(str(cfg.run.artifacts))), log_file)
    results = stage.results
    world_of_run = build_world(cfg)
    world, data = world_of_run.name, world_of_run.data_version(cfg)
    plain = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(plain, dict)
    seed, policy = plain["seed"], plain["policy"]

    held = heldout_stages(stage, cfg, data) if cfg.run.get("heldout") is not None else None
    train_only = held.train_sampler if held else None  # training templates only
    synth = stage("synth", {"world": world, "sampler": plain.get("sampler"),
                            "sampler_options": (plain.get("world") or {}).get("sampler"),
                            "synth": plain["synth"], "seed": seed,
                            **({"train_only": train_only} if held else {})},
                  [data] + ([held.split.key] if held else []),
                  lambda work: synth_stage(cfg, work, sampler_options=train_only))
    tasks_file = synth.directory / "tasks.jsonl"
    sft = stage("sft", {"trainer": plain["run"]["sft"], "model": policy["model"],
                        "env": plain.get("env"), "seed": seed}, [synth.key],
                lambda work: train_stage(cfg, "sft", work, tasks_file))
    grpo = stage("grpo", {"trainer": plain["run"]["grpo"], "reward": plain["reward"],
                          "model": policy["model"], "env": plain.get("env"), "seed": seed},
                 [synth.key, sft.key],
                 lambda work: train_stage(cfg, "grpo", work, tasks_file,
                                          init_from=Path(sft.summary["final"])))
    if held is not None:  # the grounded held-out tasks, not the world's own evaluation file
        eval_cfg = with_updates(eval_cfg, {"world.eval.items": str(held.tasks_file)})
    eval_plain = OmegaConf.to_container(eval_cfg, resolve=True)
    assert isinstance(eval_plain, dict)
    eval_config = {"benchmark": plain.get("benchmark"), "policy": eval_plain["policy"],
                   "limits": (eval_plain.get("world") or {}).get("eval"),
                   "decoding": (plain.get("world") or {}).get("eval_policy"), "seed": seed}
    eval_inputs = [data] + ([held.heldout.key] if held else [])
    before = None
    if cfg.run.get("eval_before", True):
        before = stage("eval_base", eval_config, eval_inputs,
                       lambda work: eval_stage(eval_cfg, work, []), resumable=True)
    adapters = [Path(sft.summary["final"]), Path(grpo.summary["final"])]
    after = stage("eval", {**eval_config, "adapters": "sft+grpo"}, [*eval_inputs, grpo.key],
                  lambda work: eval_stage(eval_cfg, work, adapters), resumable=True)

    changes = {}
    if before is not None:  # paired over the items both evaluations played
        counts_before, counts_after = (read_item_counts(r.directory) for r in (before, after))
        names = sorted({m for item in counts_after.values() for m in item})
        changes = {m: paired(counts_before, counts_after, m) for m in names}
    summary = {
        "world": world,
        "evaluated_on": held_out_summary(held, eval_cfg),
        "metrics": after.summary["metrics"],
        "metrics_before": before.summary["metrics"] if before else None,
        "intervals": after.summary.get("intervals", {}),
        "intervals_before": before.summary.get("intervals", {}) if before else {},
        "changes": changes,
        "reward_curve": grpo.summary.get("reward_curve", {}),
        "reward_terms": {term: points[-1][1]
                         for term, points in grpo.summary.get("reward_curve", {}).items()
                         if points},
        "stages": {name: {"key": r.key, "directory": str(r.directory), "skipped": r.skipped,
                          "seconds": round(r.seconds if r.seconds is not None
                                           else stage.seconds[name], 1),
                          "peak_rss_gib": _round(stage.peak_gib.get(name))}
                   for name, r in results.items()},
        "peak_rss_gib": _round(max((g for g in stage.peak_gib.values() if g is not None),
                                   default=None)),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    report = write_run_report(summary, results, out)
    stage.console.print(f"report: {report}")
    stage.log(f"report: {report}")
    return summary


def held_out_summary(held: Heldout | None, eval_cfg: DictConfig) -> dict[str, Any]:
    """What the evaluations ran on: the items (the held-out tasks, with their templates, or the
    world's own evaluation set) and the engine (the policy's component name)."""
    target = str(eval_cfg.policy.get("_target_", ""))
    found: dict[str, Any] = {"policy": target.rsplit(".", 1)[-1]}
    if held is not None:
        found.update({"items": "held-out tasks", "tasks": held.heldout.summary.get("tasks"),
                      "templates": held.split.summary["heldout"],
                      "train_templates": len(held.train_templates)})
    return found


def _round(gib: float | None) -> float | None:
    return None if gib is None else round(gib, 2)
