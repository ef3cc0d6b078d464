"""Seconds per GRPO step on CPU, and the share spent in the environment and the reward.

Runs ``orchestrl train trainer=grpo`` in-process for a few steps and times, inside the run,
every tool call TRL makes into the environment (validation, cache lookup, response rendering)
and every reward-function call (merging call records, parsing, matching, all terms). The
target is env + reward under 5% of the step.

A model that emits few calls makes the environment look cheap, so the script also measures the
baseline cost of env + reward on *gold* rollouts of the same batch size (every call made and
answered, full trajectories scored by every term) and prints it as a share of the measured step.

    python benchmarks/grpo_step_time.py                 # SmolLM2-135M, 3 steps
    python benchmarks/grpo_step_time.py --model tiny    # random tiny model, seconds
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict

from orchestrl.config import compose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=2)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--completion", type=int, default=96)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--data-dir", default="../shared/data/booking")
    opts = parser.parse_args()

    from orchestrl.plugins.training import grpo, parts, trl_env

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

    batch = opts.prompts * opts.generations
    with tempfile.TemporaryDirectory() as out:
        cfg = compose([
            "world=booking", "trainer=grpo", f"policy.model={opts.model}", "cache=memory",
            f"data_dir={opts.data_dir}", f"trainer.output_dir={out}", "trainer.resume=never",
            f"trainer.args.max_steps={opts.steps}",
            f"trainer.args.per_device_train_batch_size={batch}",
            f"trainer.args.num_generations={opts.generations}",
            f"trainer.args.max_completion_length={opts.completion}",
            f"trainer.max_tool_calling_iterations={opts.iterations}",
            "trainer.args.save_steps=1000",
        ])
        start = time.perf_counter()
        summary = grpo.train_grpo(cfg)
        total = time.perf_counter() - start
    in_run, calls_in_run = dict(timers), counts["tool calls"]

    trl_env.EpisodeEnvironment._call = original_call  # the baseline is timed as a whole
    trl_env.EpisodeEnvironment.reset = original_reset
    parts.with_merged_calls = original_wrap
    baseline = gold_baseline(cfg, batch)
    step = total / max(1, summary["steps"])
    measured = in_run.get("env", 0.0) + in_run.get("reward", 0.0)
    print(json.dumps({
        "model": opts.model, "steps": summary["steps"], "batch_rollouts": batch,
        "seconds_per_step": round(step, 2),
        "env_seconds": round(in_run.get("env", 0.0), 4),
        "reward_seconds": round(in_run.get("reward", 0.0), 4),
        "tool_calls": calls_in_run,
        "env_plus_reward_share": round(measured / total, 5),
        "gold_env_plus_reward_seconds_per_step": round(baseline, 4),
        "gold_share_of_measured_step": round(baseline / step, 5),
        "target_share": 0.05,
    }, indent=2))


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
