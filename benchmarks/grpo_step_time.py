"""Seconds per GRPO step on CPU, where they go, and the share spent in the environment and reward.

Runs ``orchestrl train trainer=grpo`` in-process for a few steps in a world (default ``booking``,
the default world; ``--world bfcl``) with the budget of that world's ``orchestrl run`` GRPO
stage (``run.grpo``; ``--prompts`` etc. override it) and times, inside the run:

* the step's parts in TRL's ``GRPOTrainer``: ``generation`` (``_generate``: every turn of the
  multi-turn rollouts, tool calls included), ``logps_no_grad`` (log-probs computed without
  gradient while scoring: the reference model's when ``beta`` != 0, the old policy's when TRL
  needs them), ``reward`` (``_calculate_rewards``), ``loss_forward`` (``compute_loss``: the
  policy forward with gradient), ``backward`` (``Accelerator.backward``) and ``other`` (the
  rest of the step: optimizer, padding, logging);
* every tool call TRL makes into the environment (validation, cache lookup, response rendering)
  and every reward-function call (merging call records, parsing, matching, all terms). The
  target is env + reward under 5% of the step.

A model that emits few calls makes the environment look cheap, so the script also measures the
baseline cost of env + reward on *gold* rollouts of the same batch size (every call made and
answered, full trajectories scored by every term) and prints it as a share of the measured step.

    python benchmarks/grpo_step_time.py                 # SmolLM2-135M, Booking, 3 steps
    python benchmarks/grpo_step_time.py --model tiny    # random tiny model, seconds
    python benchmarks/grpo_step_time.py --world bfcl --prompts 2 --generations 4
    python benchmarks/grpo_step_time.py --compare       # TRL's CPU head, then orchestrl's
    python benchmarks/grpo_step_time.py --engines transformers,llamacpp \
        trainer.init_from=<run>/sft/final               # rollouts by each engine, the ratio
    python benchmarks/grpo_step_time.py --shared-prompt # packing off, then on, the ratios
    python benchmarks/grpo_step_time.py --variants \
        "before:trainer.generation.engine=transformers,trainer.shared_prompt=false;\
        after:trainer.generation.engine=llamacpp,trainer.shared_prompt=true" \
        trainer.init_from=<run>/sft/final               # any override sets, first the baseline

``--shared-prompt`` times the same steps with ``trainer.shared_prompt=false`` (every rollout's
prompt computed again, TRL's own log-prob forwards) and then ``true`` (a group's prompt
computed once per forward, :mod:`orchestrl.plugins.training.shared_prompt`) and prints the
ratios of the training side (loss forward, backward, log-probs without gradient, and all three)
and of the whole step. Each setting runs in its own child process, so ``wait4`` reports its
own peak resident memory (``peak_rss_mb``, model loading included), and their ratio.
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
from typing import Any

from orchestrl.config import compose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--world", default="booking")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=None, help="default: the world's run.grpo")
    parser.add_argument("--generations", type=int, default=None)
    parser.add_argument("--completion", type=int, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--data-dir", default="../shared/data/booking")
    parser.add_argument("--compare", action="store_true",
                        help="first time TRL's own CPU head (every position scored), then "
                             "orchestrl's (labelled positions only), and print the ratio")
    parser.add_argument("--engines", default=None,
                        help="comma-separated trainer.generation.engine values, timed in turn "
                             "(the first is the baseline of the printed ratios)")
    parser.add_argument("--shared-prompt", action="store_true",
                        help="time the steps with trainer.shared_prompt=false, then true, and "
                             "print the ratios (training side, whole step)")
    parser.add_argument("--variants", default=None,
                        help="'name:key=value,...;name:...': time the steps under each "
                             "variant's overrides in turn (the first is the baseline), e.g. "
                             "the issue's before/after: 'before:trainer.generation.engine="
                             "transformers,trainer.shared_prompt=false;after:trainer.generation"
                             ".engine=llamacpp,trainer.shared_prompt=true'")
    parser.add_argument("override", nargs="*", help="extra config overrides (key=value)")
    opts = parser.parse_args()
    if opts.variants:
        compare_variants(opts, parse_variants(opts.variants))
        return
    if opts.engines:
        compare_engines(opts)
        return
    if opts.shared_prompt:
        compare_shared_prompt(opts)
        return
    runs = {}
    if opts.compare:
        runs["trl_full_head"] = measure(opts, full_head=True)
    runs["orchestrl"] = measure(opts, full_head=False)
    if opts.compare:
        key = "seconds_per_step_in_training_step"  # without loading and building the trainer
        runs["speedup"] = round(runs["trl_full_head"][key] / runs["orchestrl"][key], 2)
    print(json.dumps(runs if opts.compare else runs["orchestrl"], indent=2))


def compare_engines(opts: argparse.Namespace) -> None:
    """Time the same steps with each of ``opts.engines`` generating the rollouts (see
    :func:`compare_variants`)."""
    compare_variants(opts, {engine: [f"trainer.generation.engine={engine}"]
                            for engine in opts.engines.split(",") if engine})


def compare_variants(opts: argparse.Namespace, variants: dict[str, list[str]]) -> None:
    """Time the same steps under each variant's extra overrides, in turn; print each run and
    the first (the baseline) run's seconds over each other's: whole step, generation, and the
    training side (the log-prob forwards and the backward)."""
    overrides = list(opts.override)
    runs: dict[str, object] = {}
    for name, extra in variants.items():
        opts.override = [*overrides, *extra]
        runs[name] = measure(opts, full_head=False)
    names = list(variants)
    base = runs[names[0]]
    assert isinstance(base, dict)

    for name in names[1:]:
        run = runs[name]
        assert isinstance(run, dict)
        runs[f"{names[0]}_over_{name}"] = {
            "step": round(base["seconds_per_step_in_training_step"]
                          / run["seconds_per_step_in_training_step"], 2),
            "generation": round(base["step_parts_seconds"]["generation"]
                                / max(run["step_parts_seconds"]["generation"], 1e-9), 2),
            "training": round(training_seconds(base) / max(training_seconds(run), 1e-9), 2)}
    print(json.dumps(runs, indent=2))


def parse_variants(text: str) -> dict[str, list[str]]:
    """``name:key=value,key=value;name:...`` as ``{name: [key=value, ...]}``."""
    variants: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, rest = part.partition(":")
        if not sep or not name:
            raise SystemExit(f"--variants: '{part}' is not name:key=value[,key=value]")
        variants[name] = [o for o in rest.split(",") if o]
    if len(variants) < 2:
        raise SystemExit("--variants needs at least two variants (the first is the baseline)")
    return variants


TRAINING_PARTS = ("loss_forward", "backward", "logps_no_grad")
"""The parts of a step that packing changes (the log-prob forwards and the backward)."""


def training_seconds(run: dict[str, Any]) -> float:
    """A measured run's seconds per step in :data:`TRAINING_PARTS`."""
    return sum(run["step_parts_seconds"][part] for part in TRAINING_PARTS)


def compare_shared_prompt(opts: argparse.Namespace) -> None:
    """Time the same steps with ``trainer.shared_prompt`` off, then on, each in a child process
    (so each run's peak resident memory is its own); print each run and the off run's seconds
    over the on run's, per training part, for the three together and for the whole step."""
    argv = [arg for arg in sys.argv[1:] if arg != "--shared-prompt"]
    runs: dict[str, dict[str, Any]] = {}
    for switch in ("false", "true"):
        with tempfile.TemporaryFile("w+") as out:
            child = subprocess.Popen([sys.executable, __file__, *argv,
                                      f"trainer.shared_prompt={switch}"], stdout=out)
            _, status, usage = os.wait4(child.pid, 0)
            out.seek(0)
            text = out.read()
        if status != 0:
            raise SystemExit(f"the run with trainer.shared_prompt={switch} failed:\n{text[-2000:]}")
        run = json.loads(text[text.index("{\n"):])  # the run's JSON, after TRL's progress lines
        run["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # kB on Linux
        runs[f"shared_prompt_{switch}"] = run
    off, on = runs["shared_prompt_false"], runs["shared_prompt_true"]
    ratios = {part: round(off["step_parts_seconds"][part]
                          / max(on["step_parts_seconds"][part], 1e-9), 2)
              for part in TRAINING_PARTS}
    ratios["training"] = round(training_seconds(off) / max(training_seconds(on), 1e-9), 2)
    ratios["step"] = round(off["seconds_per_step_in_training_step"]
                           / on["seconds_per_step_in_training_step"], 2)
    ratios["peak_rss"] = round(off["peak_rss_mb"] / on["peak_rss_mb"], 2)
    print(json.dumps({**runs, "off_over_on": ratios}, indent=2))


def measure(opts: argparse.Namespace, *, full_head: bool) -> dict[str, object]:
    """Train for ``opts.steps`` steps and time them; ``full_head`` keeps TRL's CPU default of
    scoring every position (the baseline of ``--compare``)."""
    from trl.kernels import chunked_logprob
    from trl.trainer import utils

    from orchestrl.plugins.training import grpo, memory, parts, trl_env

    compact = memory.score_labelled_positions_only
    utils._use_triton = chunked_logprob._use_triton  # TRL's own, then as prepared for the run
    if full_head:
        memory.score_labelled_positions_only = lambda: None

    timers: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)

    original_call = trl_env.EpisodeEnvironment._call
    original_reset = trl_env.EpisodeEnvironment.reset

    def timed_call(self, name, arguments):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return original_call(self, name, arguments)
        finally:
            timers["env"] += time.perf_counter() - start
            counts["tool calls"] += 1

    def timed_reset(self, **row):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return original_reset(self, **row)
        finally:
            timers["env"] += time.perf_counter() - start

    original_wrap = parts.with_merged_calls

    def timed_wrap(function):  # type: ignore[no-untyped-def]
        inner = original_wrap(function)

        def reward(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                timers["reward"] += time.perf_counter() - start

        reward.__name__ = inner.__name__
        return reward

    trl_env.EpisodeEnvironment._call = timed_call
    trl_env.EpisodeEnvironment.reset = timed_reset
    parts.with_merged_calls = timed_wrap
    restore_parts = time_step_parts(timers)

    base = compose([f"world={opts.world}"])
    budget = base.run.grpo
    prompts = opts.prompts or int(budget.args.per_device_train_batch_size) // int(
        budget.args.num_generations)
    generations = opts.generations or int(budget.args.num_generations)
    completion = opts.completion or int(budget.args.max_completion_length)
    iterations = opts.iterations or int(budget.max_tool_calling_iterations)
    batch = prompts * generations
    with tempfile.TemporaryDirectory() as out:
        cfg = compose([
            f"world={opts.world}", "trainer=grpo", f"policy.model={opts.model}", "cache=memory",
            f"data_dir={opts.data_dir}", f"trainer.output_dir={out}", "trainer.resume=never",
            f"trainer.args.max_steps={opts.steps}",
            f"trainer.args.per_device_train_batch_size={batch}",
            f"trainer.args.num_generations={generations}",
            f"trainer.args.max_completion_length={completion}",
            f"trainer.max_tool_calling_iterations={iterations}",
            "trainer.args.save_steps=1000", *opts.override,
        ])
        start = time.perf_counter()
        summary = grpo.train_grpo(cfg)
        total = time.perf_counter() - start
    in_run, calls_in_run = dict(timers), counts["tool calls"]

    trl_env.EpisodeEnvironment._call = original_call  # the baseline is timed as a whole
    trl_env.EpisodeEnvironment.reset = original_reset
    parts.with_merged_calls = original_wrap
    restore_parts()
    memory.score_labelled_positions_only = compact
    baseline = gold_baseline(cfg, batch)
    steps = max(1, summary["steps"])
    step = total / steps
    measured = in_run.get("env", 0.0) + in_run.get("reward", 0.0)
    parts_per_step = {name: round(in_run.get(name, 0.0) / steps, 3) for name in PARTS}
    timed = in_run.get("step", 0.0) / steps
    parts_per_step["other"] = round(timed - sum(in_run.get(n, 0.0) for n in PARTS) / steps, 3)
    return {
        "model": opts.model, "world": opts.world, "full_head": full_head, "steps": summary["steps"],
        "batch_rollouts": batch, "completion_tokens": completion, "tool_iterations": iterations,
        "seconds_per_step": round(step, 2),
        "seconds_per_step_in_training_step": round(timed, 2),
        "step_parts_seconds": parts_per_step,
        "step_parts_share": {k: round(v / timed, 3) if timed else 0.0
                             for k, v in parts_per_step.items()},
        "completion_tokens_generated_per_step": round(in_run.get("tokens", 0.0) / steps, 1),
        "env_seconds": round(in_run.get("env", 0.0), 4),
        "reward_seconds": round(in_run.get("reward", 0.0), 4),
        "tool_calls": calls_in_run,
        "env_plus_reward_share": round(measured / total, 5),
        "gold_env_plus_reward_seconds_per_step": round(baseline, 4),
        "gold_share_of_measured_step": round(baseline / step, 5),
        "target_share": 0.05,
    }


PARTS = ("generation", "logps_no_grad", "reward_total", "loss_forward", "backward")
"""The timed parts of a step (see the module doc); ``reward_total`` is TRL's reward call."""


def time_step_parts(timers: dict[str, float]):  # type: ignore[no-untyped-def]
    """Wrap GRPOTrainer's and Accelerator's methods to add their seconds to ``timers``; return
    a function that puts the originals back."""
    from accelerate import Accelerator
    from trl import GRPOTrainer

    from orchestrl.plugins.training.shared_prompt import SharedPromptLogps

    originals: list[tuple[type, str, object]] = []
    inside_scoring = [False]

    logps_depth = [0]  # the packing mixin calls TRL's method for unshared rows: time the outer

    def wrap(owner: type, method: str, name, flag=False, depth=None):  # type: ignore[no-untyped-def]
        original = getattr(owner, method)
        originals.append((owner, method, original))

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            label = name() if callable(name) else name
            if depth is not None:
                label = label if depth[0] == 0 else None
                depth[0] += 1
            if flag:
                inside_scoring[0] = True
            start = time.perf_counter()
            try:
                result = original(*args, **kwargs)
            finally:
                if flag:
                    inside_scoring[0] = False
                if depth is not None:
                    depth[0] -= 1
                if label is not None:
                    timers[label] += time.perf_counter() - start
            if method == "_generate":
                timers["tokens"] += sum(len(ids) for ids in result[1])
            return result

        setattr(owner, method, timed)

    wrap(GRPOTrainer, "training_step", "step")
    wrap(GRPOTrainer, "_generate_and_score_completions", None, flag=True)
    wrap(GRPOTrainer, "_generate", "generation")
    wrap(GRPOTrainer, "_calculate_rewards", "reward_total")
    for owner in (GRPOTrainer, SharedPromptLogps):
        wrap(owner, "_get_per_token_logps_and_entropies",
             lambda: "logps_no_grad" if inside_scoring[0] else None, depth=logps_depth)
    wrap(GRPOTrainer, "compute_loss", "loss_forward")
    wrap(Accelerator, "backward", "backward")

    def restore() -> None:
        for owner, method, original in originals:
            setattr(owner, method, original)

    return restore


def gold_baseline(cfg, batch: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds for env + reward on ``batch`` gold rollouts (the worst case for both)."""
    from orchestrl.plugins.policies.scripted import ScriptedPolicy
    from orchestrl.plugins.rewards.combined import CombinedReward
    from orchestrl.plugins.rewards.task_codec import task_to_json
    from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions
    from orchestrl.plugins.rollout.driver import rollout
    from orchestrl.plugins.training import data
    from orchestrl.plugins.training.parts import with_merged_calls
    from orchestrl.plugins.training.trl_env import environment_factories, toolset_name

    split = data.load_split(cfg)
    limits = data.rollout_limits(cfg)
    make_env = data.env_factory(cfg)
    tasks = (split.train * batch)[:batch]
    completions = []
    for task in tasks:
        messages = rollout(ScriptedPolicy(), make_env(), task, limits).messages[2:]
        completions.append([{k: v for k, v in m.items() if k != "tool_call_id"} for m in messages])
    classes = environment_factories(tasks, make_env, limits)
    functions, _ = trl_reward_functions(CombinedReward.from_config(cfg.reward))
    start = time.perf_counter()
    environments = []
    for task in tasks:
        env = classes[toolset_name(task)]()
        env.reset(task_id=task.id)
        for step in task.steps:
            getattr(env, step.function)(**step.arguments)
        environments.append(env)
    columns = {"task": [task_to_json(t) for t in tasks], "environments": environments}
    for function in functions:
        with_merged_calls(function)(prompts=[None] * batch, completions=completions, **columns)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
