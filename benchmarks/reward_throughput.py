"""Reward scoring throughput: trajectories scored per second, single process.

Scores the gold trajectories of the shared Booking traces (train and eval) and perturbed
variants of them (a value corrupted, a call dropped, moved, failed, duplicated, made
unparsable, an argument invented) with the shipped presets, and prints trajectories per second
for each, the ratio to the 10,000/s target, and the ratio to a baseline measured in the same
run: the same `graduated` terms each scored on their own (``term.score``), so every term
analyses the trajectory again, which is what the shared analysis saves.

    python benchmarks/reward_throughput.py [--data-dir DIR] [--variants 20]

``--data-dir`` defaults to ``$ORCHESTRL_DATA_DIR``, else ``../shared/data/booking``. The first
table is the issue's setting: the 101 gold trajectories of ``train_101.jsonl`` scored by
`graduated` and `paper` (targets: 27,000/s and the reference's ~2,700/s), and the same
trajectories as TRL message lists through the TRL functions (the GRPO path; target 10,000/s).

The first pass over each task prepares its gold side (normalised values, schemas); GRPO scores
many rollouts of each task, so the steady state (caches warm) is the figure that matters; the
cold figure (every task prepared again, value-normalisation cache cleared) is printed too.
Rates are per second of this process's CPU time (best of ``--repeats`` passes), so that other
work on a shared machine does not distort them.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

from orchestrl.config import compose
from orchestrl.plugins.booking.data import load_tasks, load_templates, load_tools
from orchestrl.plugins.rewards import normalize, prepared
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.perturb import random_variants
from orchestrl.plugins.rewards.task_codec import task_from_json, task_to_json
from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions

TARGET = 10_000.0
GOLD_TARGETS = {"graduated": 27_000.0, "paper": 2_700.0, "messages": 10_000.0}


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def _time(fn, repeats: int) -> float:
    """Best CPU time of ``repeats`` calls (``time.process_time``: the shared machine's load
    inflates wall time, not the CPU time this process spends)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(
        os.environ.get("ORCHESTRL_DATA_DIR")
        or Path(__file__).resolve().parents[1].parent / "shared/data/booking"
    )
    parser.add_argument("--data-dir", type=Path, default=default)
    parser.add_argument("--variants", type=int, default=20, help="perturbed variants per task")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes (best is kept)")
    args = parser.parse_args()

    tools, templates = load_tools(args.data_dir), load_templates(args.data_dir)
    tasks = load_tasks(args.data_dir / "train_101.jsonl", tools, templates)
    train = list(tasks)
    tasks += load_tasks(args.data_dir / "eval_80.jsonl", tools, templates)
    rng = random.Random(0)
    pairs = []
    for task in tasks:
        gold = gold_trajectory(task)
        pairs.append((gold, task))
        pairs.extend((variant, task) for variant in random_variants(gold, rng, args.variants))
    n = len(pairs)
    print(f"{len(tasks)} tasks, {n} trajectories ({args.variants} perturbed variants per task)")

    rewards = {
        name: CombinedReward.from_config(compose([f"reward={name}"]).reward)
        for name in ("graduated", "atomic_only", "orch_only", "binary", "paper")
    }
    graduated = rewards["graduated"]
    _gold_table(train, rewards, args.repeats)

    def separate_terms() -> None:
        for trajectory, task in pairs:
            for term, _ in graduated.terms.values():
                term.score(trajectory, task)

    def cold() -> None:
        prepared._PREPARED.clear()
        normalize.normalize_str.cache_clear()
        prepared._TYPE_MEMO.clear()
        for trajectory, task in pairs:
            graduated.breakdown(trajectory, task)

    baseline = _rate(n, _time(separate_terms, args.repeats))
    print(f"\n{'scoring':<44}{'traj/s':>10}{'vs target':>11}{'vs baseline':>13}")
    print(
        f"{'baseline: graduated terms scored separately':<44}{baseline:>10,.0f}"
        f"{baseline / TARGET:>10.2f}x{1.0:>12.2f}x"
    )
    for name, reward in rewards.items():
        rate = _rate(n, _time(lambda r=reward: [r.breakdown(t, k) for t, k in pairs], args.repeats))
        print(
            f"{'combined ' + name:<44}{rate:>10,.0f}{rate / TARGET:>10.2f}x"
            f"{rate / baseline:>12.2f}x"
        )
    rate = _rate(n, _time(cold, 1))
    print(
        f"{'combined graduated, cold caches':<44}{rate:>10,.0f}{rate / TARGET:>10.2f}x"
        f"{rate / baseline:>12.2f}x"
    )

    # TRL path: completions as message lists, the task as a JSON column, one function per term
    functions, _ = trl_reward_functions(graduated)
    columns = [task_to_json(task, with_responses=False) for _, task in pairs]
    for column in set(columns):
        task_from_json(column)
    environments = [type("Env", (), {"calls": t.calls})() for t, _ in pairs]

    def trl_batch() -> None:
        completions: list[list] = [[] for _ in pairs]  # a fresh batch object each pass
        for func in functions:
            func(prompts=[""] * n, completions=completions, task=columns, environments=environments)

    rate = _rate(n, _time(trl_batch, args.repeats))
    print(
        f"{'TRL functions, graduated (all terms)':<44}{rate:>10,.0f}{rate / TARGET:>10.2f}x"
        f"{rate / baseline:>12.2f}x"
    )


def _gold_table(train: list, rewards: dict[str, CombinedReward], repeats: int) -> None:
    """The issue's figures: train_101 gold trajectories, combined presets and the TRL path."""
    golds = [(gold_trajectory(t), t) for t in train]
    n = len(golds)
    print(f"\n{'train_101 gold (' + str(n) + ' trajectories)':<44}{'traj/s':>10}{'vs target':>11}")
    for name in ("graduated", "paper"):
        reward = rewards[name]
        rate = _rate(n, _time(lambda r=reward: [r.breakdown(g, t) for g, t in golds], repeats))
        target = GOLD_TARGETS[name]
        print(f"{'combined ' + name:<44}{rate:>10,.0f}{rate / target:>10.2f}x")
    columns = [task_to_json(t, with_responses=False) for _, t in golds]
    for column in columns:
        task_from_json(column)
    for name in ("graduated", "paper"):
        functions, _ = trl_reward_functions(rewards[name])

        def batch(functions=functions) -> None:
            completions = [list(g.messages) for g, _ in golds]  # a fresh batch each pass
            for func in functions:
                func(prompts=[""] * n, completions=completions, task=columns)

        rate = _rate(n, _time(batch, repeats))
        target = GOLD_TARGETS["messages"]
        print(f"{'TRL message lists, ' + name:<44}{rate:>10,.0f}{rate / target:>10.2f}x")


if __name__ == "__main__":
    main()
