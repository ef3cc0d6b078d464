"""``orchestrl run experiment=study``: the paper's method and its reward ablation as one job.

Stages (each content-addressed in ``run.artifacts`` like ``orchestrl run``'s, so an interrupted
study resumes and a rerun with more seeds or arms reuses everything already done):

1. ``split`` and 2. ``heldout``: the template split and the grounded held-out tasks of
   ``run.heldout`` (:mod:`orchestrl.plugins.pipeline.heldout`, as ``orchestrl run`` makes them);
3. ``synth``: ``synth.n`` training tasks from training templates only;
4. ``sft``: the warm start (``run.sft``) on them;
5. ``grpo_<arm>_seed<s>``: GRPO (``run.grpo``) from the SFT adapter, once per reward preset in
   ``study.arms`` and seed in ``study.seeds``;
6. ``eval_<set>_<policy>``: the base model, the SFT adapter and every GRPO adapter on the
   held-out tasks and on the Booking ``eval_80`` file (``study.eval`` limits), with the world's
   evaluation options (``world.eval``, ``world.eval_policy``) and the configured policy (the
   engine that evaluates; training always uses the transformers model).

Then ``study.json`` in the run directory holds every metric with its 95% bootstrap interval,
the paired comparisons (each arm against SFT, ``graduated`` against each other arm; an arm's
seeds pooled per item), each arm's GRPO curves (reward terms, share of groups with zero reward
variance) and every stage's wall time; ``results.md`` (and its plots) is written from it by
:mod:`orchestrl.plugins.pipeline.study_report`, as ``orchestrl report <run dir>`` does again.
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.build import build_world
from orchestrl.errors import ConfigError
from orchestrl.plugins.pipeline.artifacts import ArtifactStore, StageResult
from orchestrl.plugins.pipeline.heldout import heldout_stages
from orchestrl.plugins.pipeline.intervals import interval, paired
from orchestrl.plugins.pipeline.stage_runner import StageRunner
from orchestrl.plugins.pipeline.stages import (
    eval_stage,
    read_item_counts,
    synth_stage,
    train_stage,
    with_updates,
    world_node,
)
from orchestrl.plugins.pipeline.study_report import write_study_report
from orchestrl.plugins.rewards.presets import preset_node
from orchestrl.plugins.training.memory import return_large_blocks

STUDY_FILE = "study.json"
EVAL_SETS = ("heldout", "eval_80")
BASELINE = "sft"
REFERENCE_ARM = "graduated"


def run_study(cfg: DictConfig, out: Path) -> dict[str, Any]:
    """Run (or resume) the study for ``cfg`` into ``out``; return the ``study.json`` content."""
    return_large_blocks()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "run.log").open("a", encoding="utf-8") as log_file:
        return _study(cfg, out, log_file)


def _study(cfg: DictConfig, out: Path, log_file: Any) -> dict[str, Any]:
    started, commit = time.time(), _commit()  # the code that runs, not what HEAD is at the end
    (out / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    plain = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(plain, dict)
    study, seed, policy = plain["study"], plain["seed"], plain["policy"]
    if cfg.run.get("heldout") is not None:  # recorded with the study (study.json's format)
        study = {**study, "split": plain["run"]["heldout"]["split"],
                 "heldout_tasks": plain["run"]["heldout"]["tasks"]}
    arm_rewards = {arm: OmegaConf.to_container(preset_node(arm), resolve=True)
                   for arm in study["arms"]}  # an unknown preset fails here, before any stage
    if "split" not in study:
        raise ConfigError(f"the study needs held-out templates (run.heldout), which world "
                          f"'{build_world(cfg).name}' does not set; use world=booking")
    if study["eval"]["first"] not in EVAL_SETS:
        raise ConfigError(f"study.eval.first must be one of {', '.join(EVAL_SETS)}, "
                          f"got '{study['eval']['first']}'")
    stage = StageRunner(ArtifactStore(Path(str(cfg.run.artifacts))), log_file)
    world = build_world(cfg)
    data = world.data_version(cfg)
    sampler = world_node(cfg, "sampler", "sampler")
    world_node(cfg, "eval_policy", "policy")  # the evaluated policy takes the world's options

    held = heldout_stages(stage, cfg, data)
    split, heldout = held.split, held.heldout
    synth = stage("synth", {"sampler": sampler, "n": plain["synth"]["n"], "seed": seed,
                            "templates": held.train_templates}, [data, split.key],
                  lambda work: synth_stage(cfg, work, int(cfg.synth.n), held.train_sampler))
    tasks_file = synth.directory / "tasks.jsonl"
    model, env = policy["model"], plain.get("env")
    sft = stage("sft", {"trainer": plain["run"]["sft"], "model": model, "env": env,
                        "seed": seed}, [synth.key],
                lambda work: train_stage(cfg, "sft", work, tasks_file))
    sft_final = Path(sft.summary["final"])

    grpo: dict[tuple[str, int], StageResult] = {}
    for arm, reward in arm_rewards.items():
        for arm_seed in study["seeds"]:
            arm_cfg = with_updates(cfg, {"reward": reward, "seed": arm_seed})
            grpo[arm, arm_seed] = stage(
                f"grpo_{arm}_seed{arm_seed}",
                {"trainer": plain["run"]["grpo"], "reward": reward, "model": model, "env": env,
                 "seed": arm_seed}, [synth.key, sft.key],
                lambda work, c=arm_cfg: train_stage(c, "grpo", work, tasks_file,
                                                    init_from=sft_final))

    policies: dict[str, tuple[list[Path], list[str]]] = {
        "base": ([], []), BASELINE: ([sft_final], [sft.key])}
    for (arm, arm_seed), result in grpo.items():
        policies[f"{arm}_seed{arm_seed}"] = ([sft_final, Path(result.summary["final"])],
                                             [sft.key, result.key])
    sets = {"heldout": (str(held.tasks_file), study["eval"]["heldout_limit"],
                        [heldout.key]),
            "eval_80": ("eval_80.jsonl", study["eval"]["eval80_limit"], [])}
    sets = dict(sorted(sets.items(), key=lambda item: item[0] != study["eval"]["first"]))
    evaluations: dict[str, dict[str, StageResult]] = {name: {} for name in sets}
    eval_base = {"benchmark": plain.get("benchmark"), "policy": policy,
                 "limits": (plain.get("world") or {}).get("eval"),
                 "decoding": (plain.get("world") or {}).get("eval_policy"), "seed": seed}
    for set_name, (items, limit, set_inputs) in sets.items():
        set_cfg = with_updates(cfg, {"world.eval.items": items, "world.eval.limit": limit})
        for label, (adapters, keys) in policies.items():
            evaluations[set_name][label] = stage(
                f"eval_{set_name}_{label}",
                {**eval_base, "items": items if not set_inputs else "heldout", "limit": limit},
                [data, *set_inputs, *keys],
                lambda work, c=set_cfg, a=adapters: eval_stage(c, work, a), resumable=True)

    summary = summarize_study(study, split, heldout, synth, grpo, evaluations,
                              resamples=int(study["resamples"]), seed=seed)
    summary["run"] = {"seconds": round(time.time() - started, 1),
                      "stage_seconds": {k: round(r.seconds, 1) for k, r in stage.results.items()
                                        if r.seconds is not None},
                      "stages_reused": sorted(k for k, r in stage.results.items() if r.skipped),
                      "commit": commit, "machine": _machine(), "command": _command(),
                      "policy": policy.get("_target_")}
    (out / STUDY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    report = write_study_report(summary, out / "results.md")
    stage.console.print(f"report: {report}")
    stage.log(f"report: {report}")
    return summary


def summarize_study(study: dict[str, Any], split: StageResult, heldout: StageResult,
                    synth: StageResult, grpo: dict[tuple[str, int], StageResult],
                    evaluations: dict[str, dict[str, StageResult]], *, resamples: int,
                    seed: int) -> dict[str, Any]:
    """The content of ``study.json`` (see the module docstring) from the finished stages."""
    counts = {name: {label: read_item_counts(result.directory)
                     for label, result in results.items()}
              for name, results in evaluations.items()}
    for name in counts:  # an arm over its seeds, pooled per item
        for arm in study["arms"]:
            counts[name][arm] = _pooled([counts[name][f"{arm}_seed{s}"] for s in study["seeds"]])
    tables: dict[str, Any] = {}
    comparisons: dict[str, Any] = {}
    for name, by_policy in counts.items():
        metrics = sorted({m for c in by_policy.values() for item in c.values() for m in item})
        tables[name] = {label: {m: interval(c, m, resamples=resamples, seed=seed)
                                for m in metrics}
                        for label, c in by_policy.items()}
        pairs = [("base", BASELINE)]  # each pair (a, b) reports b minus a
        pairs += [(BASELINE, arm) for arm in study["arms"]]
        pairs += [(other, REFERENCE_ARM) for other in study["arms"] if other != REFERENCE_ARM
                  and REFERENCE_ARM in study["arms"]]
        comparisons[name] = [
            {"a": a, "b": b, **{m: paired(by_policy[a], by_policy[b], m, resamples=resamples,
                                          seed=seed) for m in metrics}}
            for a, b in pairs]
    curves = {f"{arm}_seed{s}": {"reward_curve": r.summary.get("reward_curve", {}),
                                 "frac_reward_zero_std": r.summary.get("frac_reward_zero_std"),
                                 "steps": r.summary.get("steps")}
              for (arm, s), r in grpo.items()}
    return {"study": study, "split": split.summary, "heldout": heldout.summary,
            "train_tasks": synth.summary, "tables": tables, "comparisons": comparisons,
            "grpo": curves}


def _pooled(runs: list[dict[str, dict[str, tuple[float, float]]]]
            ) -> dict[str, dict[str, tuple[float, float]]]:
    """Per item, the sums of its counts over ``runs`` (items present in every run)."""
    shared = set.intersection(*(set(r) for r in runs)) if runs else set()
    pooled: dict[str, dict[str, tuple[float, float]]] = {}
    for item in sorted(shared):
        metrics: dict[str, tuple[float, float]] = {}
        for run in runs:
            for metric, (num, den) in run[item].items():
                old = metrics.get(metric, (0.0, 0.0))
                metrics[metric] = (old[0] + num, old[1] + den)
        pooled[item] = metrics
    return pooled


def _commit(here: Path = Path(__file__).parent) -> str | None:
    """The commit of the checkout holding ``here``, ``+changes`` appended when tracked files
    differ from it (the run's code or configs are then not exactly that commit's); None
    outside a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10, cwd=here, check=False)
        changed = subprocess.run(["git", "diff-index", "--quiet", "HEAD", "--"],
                                 capture_output=True, timeout=10, cwd=here, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    if not commit:
        return None
    return commit + "+changes" if changed.returncode == 1 else commit


def _command() -> str:
    """The command line of this job, from Hydra's record of its overrides."""
    from hydra.core.hydra_config import HydraConfig

    overrides = list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []
    return " ".join(["orchestrl run", *overrides])


def _machine() -> dict[str, Any]:
    import os

    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "processor": _cpu_model(), "python": platform.python_version()}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
