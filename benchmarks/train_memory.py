"""Peak RSS and CPU seconds per stage of ``orchestrl run`` (SFT, GRPO, evaluation), before and
after the memory measures of ``orchestrl.plugins.training.memory``, and where a GRPO step goes.

Each stage runs as in ``orchestrl run`` (``plugins/pipeline/stages.py``, the world's ``run:``
budget) but with fewer steps, in its own child process, so ``wait4`` reports that stage's own
peak resident set and CPU time (user + system: the CPU is shared, so wall time is noisy). The
``before`` variant switches the measures off (no activation checkpointing, TRL's 32768-column
logit tiles, glibc's default heap policy); ``after`` is what ``orchestrl run`` does now;
``uncheckpointed`` is ``after`` without activation checkpointing (what it costs and saves). Inside
the GRPO child, the step is split into generation (TRL's multi-turn tool loop), reference
log-probs (adapter disabled), policy forward (``compute_loss``) and the rest (backward,
optimizer), in CPU seconds.

    python benchmarks/train_memory.py                    # world=bfcl, SFT 2 steps, GRPO 1, eval 1
    python benchmarks/train_memory.py --variants after --stages sft,grpo
    python benchmarks/train_memory.py --world booking --stages sft --variants after,uncheckpointed
    python benchmarks/train_memory.py --world booking --stages sft --variants after \
        +run.sft.args.activation_checkpointing_kwargs.every_n_layers=2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


def compose_run(world: str, work: Path, sft_steps: int, grpo_steps: int, subset: int,
                overrides: tuple[str, ...] = ()) -> Any:
    from orchestrl.config import compose

    return compose([f"world={world}", "cache=memory", f"run.artifacts={work / 'artifacts'}",
                    f"run.sft.args.max_steps={sft_steps}", "run.sft.args.save_steps=1000",
                    f"run.grpo.args.max_steps={grpo_steps}", "run.grpo.args.save_steps=1000",
                    f"world.eval.{'subset' if world == 'bfcl' else 'limit'}={subset}",
                    *overrides])


def child(stage: str, variant: str, work: Path, opts: argparse.Namespace) -> None:
    """Run one stage in this process; write its summary (and GRPO phase times) as JSON."""
    from orchestrl.plugins.pipeline import stages
    from orchestrl.plugins.training import memory

    if variant == "before":
        memory.prepare_cpu_training = lambda: None  # TRL's tiles, glibc's default policy
    cfg = compose_run(opts.world, work, opts.sft_steps, opts.grpo_steps, opts.subset,
                      tuple(opts.override))
    if variant in ("before", "uncheckpointed"):
        from omegaconf import OmegaConf

        for trainer in ("sft", "grpo"):
            OmegaConf.update(cfg, f"run.{trainer}.args.activation_checkpointing", False,
                             force_add=True)
    phases = time_grpo_phases() if stage == "grpo" else {}
    tasks = work / "synth" / "tasks.jsonl"
    out = work / f"{stage}-{variant}"
    out.mkdir(parents=True, exist_ok=True)
    if stage == "sft":
        summary = stages.train_stage(cfg, "sft", out, tasks)
    elif stage == "grpo":
        sft = work / "sft-after" / "final"
        summary = stages.train_stage(cfg, "grpo", out, tasks, init_from=sft)
    else:
        summary = stages.eval_stage(cfg, out, [work / "sft-after" / "final",
                                               work / "grpo-after" / "final"])
    keep = ("steps", "train_loss", "reward", "metrics")
    summary = {k: v for k, v in summary.items() if k in keep}
    (out / "bench.json").write_text(json.dumps({"summary": summary, "phases": dict(phases)}))


def time_grpo_phases() -> dict[str, float]:
    """Wrap GRPOTrainer's methods so that each phase's CPU seconds add up in the returned dict;
    ``backward and the rest`` is the step minus the other phases."""
    from trl import GRPOTrainer

    phases: dict[str, float] = defaultdict(float)
    in_loss: list[bool] = []

    def timed(method: Any, name: str | None) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            label = name or ("" if in_loss else "reference log-probs")
            start = time.process_time()
            if name == "policy forward":
                in_loss.append(True)
            try:
                return method(self, *args, **kwargs)
            finally:
                if name == "policy forward":
                    in_loss.pop()
                if label:
                    phases[label] += time.process_time() - start

        return wrapper

    GRPOTrainer.training_step = timed(GRPOTrainer.training_step, "step")
    GRPOTrainer._generate = timed(GRPOTrainer._generate, "generation")
    GRPOTrainer._get_per_token_logps_and_entropies = timed(
        GRPOTrainer._get_per_token_logps_and_entropies, None)
    GRPOTrainer.compute_loss = timed(GRPOTrainer.compute_loss, "policy forward")
    return phases


def run_child(stage: str, variant: str, work: Path, argv: list[str]) -> dict[str, Any]:
    """Run a child stage; its peak RSS (GB) and CPU seconds from ``wait4``."""
    log = (work / f"{stage}-{variant}.log").open("w")
    process = subprocess.Popen([sys.executable, __file__, "--child", stage, "--variant", variant,
                                "--work", str(work), *argv], stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    result: dict[str, Any] = {"stage": stage, "variant": variant, "exit": process.returncode,
                              "peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),
                              "cpu_s": round(usage.ru_utime + usage.ru_stime, 1)}
    bench = work / f"{stage}-{variant}" / "bench.json"
    if bench.is_file():
        result.update(json.loads(bench.read_text()))
    if result.get("phases"):
        phases = result["phases"]
        phases["backward and the rest"] = phases.get("step", 0.0) - sum(
            v for k, v in phases.items() if k != "step")
        result["phases"] = {k: round(v, 1) for k, v in phases.items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", default="bfcl")
    parser.add_argument("--stages", default="sft,grpo,eval")
    parser.add_argument("--variants", default="before,after", help="before,after,uncheckpointed")
    parser.add_argument("--sft-steps", type=int, default=2)
    parser.add_argument("--grpo-steps", type=int, default=1)
    parser.add_argument("--subset", type=int, default=1, help="evaluation scenarios (items)")
    parser.add_argument("--work", default=None, help="keep outputs here (default: a temp dir)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="after", help=argparse.SUPPRESS)
    parser.add_argument("override", nargs="*", help="config overrides of every stage (key=value)")
    opts = parser.parse_args()
    if opts.child:
        child(opts.child, opts.variant, Path(opts.work), opts)
        return
    argv = ["--world", opts.world, "--sft-steps", str(opts.sft_steps),
            "--grpo-steps", str(opts.grpo_steps), "--subset", str(opts.subset), *opts.override]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(opts.work or tmp)
        from orchestrl.plugins.pipeline.stages import synth_stage

        (work / "synth").mkdir(parents=True, exist_ok=True)
        synth_stage(compose_run(opts.world, work, 1, 1, 1), work / "synth")
        results = []
        for stage in opts.stages.split(","):
            for variant in opts.variants.split(","):
                results.append(run_child(stage, variant, work, argv))
                print(json.dumps(results[-1]), flush=True)
        by = {(r["stage"], r["variant"]): r for r in results}
        ratios = {stage: {"rss_before_over_after": round(b["peak_rss_gb"] / a["peak_rss_gb"], 2),
                          "cpu_before_over_after": round(b["cpu_s"] / a["cpu_s"], 2)}
                  for stage in opts.stages.split(",")
                  if (b := by.get((stage, "before"))) and (a := by.get((stage, "after")))}
        print(json.dumps({"ratios": ratios, "target_peak_rss_gb": 4.0}, indent=2))


if __name__ == "__main__":
    main()
