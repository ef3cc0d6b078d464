"""Reward scoring throughput: trajectories scored per second, single process.

Scores the gold trajectories of the shared Booking traces (train and eval) and perturbed
variants of them (a value corrupted, a call dropped, moved, failed, duplicated, made
unparsable, an argument invented) with the shipped presets, and prints trajectories per second
with their targets and ratios to baselines measured in the same run.

    python benchmarks/reward_throughput.py [--data-dir DIR] [--variants 20] [--gold-only]
        [--repeats 5] [--min-seconds 0.2]

``--data-dir`` defaults to ``$ORCHESTRL_DATA_DIR``, else ``../shared/data/booking``.

Timing (:mod:`cpu_timing`): rates are per second of this process's CPU time, so that other
work on a shared machine distorts them less (it still slows the caches and the clock). Every
path is timed in ``--repeats`` rounds that run all paths in turn (so they share the machine's
load alike); in each round a path runs one untimed pass, then timed passes adding up to
``--min-seconds`` (a pass over 101 trajectories lasts milliseconds: one pass per timing
measures mostly noise). Each row prints the median of its rounds' rates and their range; a
target is judged on the median.

The first table is the issue's setting: the 101 gold trajectories of ``train_101.jsonl``,
scored by the combined `graduated` and `paper` presets, as TRL message lists through the TRL
reward functions (the GRPO path without an environment: calls parsed from the messages, tool
outputs from their text; a new batch object, with new lists, dicts and strings, each pass),
and as GRPO scores them: TRL message lists with TRL's environments (their episodes' executed
calls), each reward function wrapped by ``with_merged_calls``. The GRPO rows' pooled episodes
hold the same record objects every pass; "new records" gives them new records with equal
content each step, as a real GRPO step's episodes have, and "+texts" gives the task column new
strings each step too, as TRL reads each row anew.

The label's last part says what the scored rollouts share with earlier ones, that is which
memos are emptied (untimed) before each timed pass (:data:`MEMO_LEVELS`):

* "memo hits": nothing emptied; every breakdown is found memoised by the trajectory's
  signature (rollouts alike an earlier one of the task, as many in a GRPO group are);
* "repeated calls": the breakdown memo emptied: every trajectory is analysed and scored
  again, but each of its calls and tool outputs was seen in an earlier rollout of the task, so
  the memos by content (parsed structured calls, parsed tool outputs, the calls' measures, the
  dependent values) hit: rollouts that all differ, made of calls that earlier ones made;
* "all new": every per-rollout memo emptied (breakdowns, measures, dependent values, parsed
  calls, parsed tool outputs, the paper checks' responses), only the tasks' prepared gold
  sides and decoded task columns kept: rollouts that share no call or response with any
  earlier one. From message lists this decodes every tool output's JSON (about 36 KB per
  trajectory here), which alone bounds the rate well below the messages target;
* "cold": every memo emptied, the gold sides prepared again too.

Each row is compared with a baseline timed right before it in every round
(:func:`cpu_timing.paired_rates`; this machine's speed drifts within seconds):
:mod:`reference_like`, a plain
re-implementation of the reference's ``compute_score`` that reads each gold trajectory as the
reference's rollout text renders it (responses serialised and cut at 8,192 characters) and
parses every block afresh, as the reference does. Before timing, the benchmark checks that it
gives the `paper` preset's score on every rendered trajectory (gold and perturbed). The issue
measured the reference at 2,684/s on an idle machine; the column ``needed`` is each target over
that rate (the speed-up over the reference the target asks for), and the last column says
whether the median of the row's per-round ratios to the baseline reaches it. `paper` is also
timed on the reference's own input, through orchestrl's verl entry point
(:func:`~orchestrl.plugins.rewards.verl_score.compute_score`) on the same rendered texts.

The second table scores all tasks (train and eval) and their perturbed variants with every
preset, against the `graduated` terms scored one by one. The first pass over each task prepares
its gold side (normalised values, schemas); GRPO scores many rollouts of each task, so the
steady state (caches warm) is the figure that matters; the cold figure is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

import reference_like
from cpu_timing import Timed, paired_rates

from orchestrl.api import CallRecord, ToolCall, Trajectory
from orchestrl.config import compose
from orchestrl.plugins.parsing import tool_calls
from orchestrl.plugins.rewards import paper_checks, prepared, text_trajectory, verl_score
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.perturb import random_variants
from orchestrl.plugins.rewards.task_codec import task_from_json, task_to_json
from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions
from orchestrl.plugins.rollout.engine import RolloutLimits
from orchestrl.plugins.training.parts import with_merged_calls
from orchestrl.plugins.training.trl_env import environment_factories, toolset_name
from orchestrl.plugins.worlds.booking.data import load_tasks, load_templates, load_tools

TARGET = 10_000.0
REFERENCE_RATE = 2_684
"""The reference's ``compute_score`` on the 101 gold trajectories, idle machine (issue 15)."""
GOLD_TARGETS = {"graduated": 27_000.0, "paper": float(REFERENCE_RATE), "messages": 10_000.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(
        os.environ.get("ORCHESTRL_DATA_DIR")
        or Path(__file__).resolve().parents[1].parent / "shared/data/booking"
    )
    parser.add_argument("--data-dir", type=Path, default=default)
    parser.add_argument("--variants", type=int, default=20, help="perturbed variants per task")
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed rounds (median, min and max are printed)"
    )
    parser.add_argument(
        "--min-seconds", type=float, default=0.2,
        help="CPU seconds of passes per path and round (many passes per timing)",
    )
    parser.add_argument(
        "--gold-only", action="store_true", help="print the first table (train_101 gold) only"
    )
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
    _gold_table(train, rewards, args.repeats, args.min_seconds)
    if args.gold_only:
        return

    def separate_terms(_: object) -> None:
        for trajectory, task in pairs:
            for term, _ in graduated.terms.values():
                term.score(trajectory, task)

    def breakdowns(reward: CombinedReward) -> Callable[[object], object]:
        return lambda _: [reward.breakdown(t, k) for t, k in pairs]

    # TRL path: completions as message lists, the task as a JSON column, one function per term
    functions, _ = trl_reward_functions(graduated)
    columns = [task_to_json(task, with_responses=False) for _, task in pairs]
    for column in set(columns):
        task_from_json(column)
    environments = [type("Env", (), {"calls": t.calls})() for t, _ in pairs]

    def trl_batch(completions: list[list]) -> None:
        for func in functions:
            func(prompts=[""] * n, completions=completions, task=columns, environments=environments)

    paths = [
        Timed("baseline: graduated terms scored separately", separate_terms, items=n),
        *(Timed(f"combined {name}", breakdowns(r), items=n) for name, r in rewards.items()),
        Timed("combined graduated, cold caches", breakdowns(graduated), forget_all, n),
        # a fresh batch object each pass
        Timed("TRL functions, graduated (all terms)", trl_batch, lambda: [[] for _ in pairs], n),
    ]
    base, timed = paired_rates(paths[1:], paths[0], args.repeats, args.min_seconds)
    print(f"\n{'scoring':<44}{'median':>8}{'min-max':>13}{'vs target':>11}{'vs baseline':>13}")
    print(f"{paths[0].label:<44}{base.median:>8,.0f}{base.spread():>13}"
          f"{base.median / TARGET:>10.2f}x{1:>12.2f}x")
    for path, paired in zip(paths[1:], timed, strict=True):
        rate = paired.rates
        print(
            f"{path.label:<44}{rate.median:>8,.0f}{rate.spread():>13}"
            f"{rate.median / TARGET:>10.2f}x{paired.ratios.median:>12.2f}x"
        )


def forget_rollouts() -> None:
    """Empty every memo that a rollout sharing no call or response with earlier ones would
    miss: breakdowns, calls' measures and dependent values (:func:`prepared.forget_calls`),
    parsed structured calls, parsed tool outputs, the paper checks' responses. The tasks'
    prepared gold sides and decoded task columns are kept: GRPO scores many rollouts per task."""
    prepared.forget_calls()
    tool_calls.clear_memo()
    text_trajectory.clear_result_memo()
    paper_checks._RESPONSE_MEMO.clear()


def forget_all() -> None:
    """A cold start: :func:`forget_rollouts` and every prepared task and value memo too."""
    forget_rollouts()
    prepared.clear_caches()


MEMO_LEVELS = {"memo hits": None, "repeated calls": prepared.forget_scores,
               "all new": forget_rollouts, "cold": forget_all}
"""What each row's label says is emptied before every timed pass (see the module docstring)."""


def _gold_table(
    train: list, rewards: dict[str, CombinedReward], repeats: int, min_seconds: float
) -> None:
    """The issue's figures: train_101 gold trajectories, combined presets and the TRL path,
    each against the reference-like baseline timed in the same rounds."""
    golds = [(gold_trajectory(t), t) for t in train]
    n = len(golds)
    columns = [task_to_json(t, with_responses=False) for _, t in golds]
    for column in columns:
        task_from_json(column)

    texts = [reference_like.render(gold) for gold, _ in golds]
    steps = [reference_like.gold_steps(task) for _, task in golds]
    _check_reference_like(rewards["paper"], golds)

    def baseline(_: object) -> None:
        for text, gold in zip(texts, steps, strict=True):
            reference_like.compute_score(text, gold)

    def verl(level: str) -> Row:
        forget = MEMO_LEVELS[level]

        def setup() -> list[str]:
            if forget is not None:
                forget()
            return json.loads(json.dumps(texts))  # new strings, as verl decodes each batch

        def run(batch: list[str]) -> None:
            for text, column in zip(batch, columns, strict=True):
                verl_score.compute_score("booking", text, column, preset="paper")

        return Row(Timed(f"verl text, paper, {level}", run, setup, n), "paper")

    def combined(label: str, name: str, level: str, target: str | None = None) -> Row:
        reward, forget = rewards[name], MEMO_LEVELS[level]

        def run(_: object) -> None:
            for gold, task in golds:
                reward.breakdown(gold, task)

        return Row(Timed(f"combined {label}, {level}", run, _setup(forget), n), target)

    text = json.dumps([g.messages for g, _ in golds], ensure_ascii=False)

    def messages(name: str, level: str, target: str | None = None) -> Row:
        functions, _ = trl_reward_functions(rewards[name])
        forget = MEMO_LEVELS[level]

        def setup() -> object:
            # a new batch each pass, decoded untimed: new lists, dicts and strings, as TRL
            # hands over (equal texts are new objects, so every memo lookup hashes them anew)
            if forget is not None:
                forget()
            return json.loads(text)

        def run(completions: object) -> None:
            for func in functions:
                func(prompts=[""] * n, completions=completions, task=columns)

        return Row(Timed(f"TRL messages, {name}, {level}", run, setup, n), target)

    grpo_text = json.dumps([_trl_completion(g) for g, _ in golds], ensure_ascii=False)
    classes = environment_factories([t for _, t in golds], lambda: None, RolloutLimits())
    pooled = []  # TRL's pooled environments, each holding its episode's executed calls
    for gold, task in golds:
        env = object.__new__(classes[toolset_name(task)])
        env.episode = SimpleNamespace(calls=gold.calls)
        pooled.append(env)

    def grpo(
        label: str, name: str, level: str, target: str | None = None, *,
        fresh_records: bool = False, fresh_texts: bool = False,
    ) -> Row:
        functions = [with_merged_calls(f) for f in trl_reward_functions(rewards[name])[0]]
        forget = MEMO_LEVELS[level]

        def setup() -> tuple[object, list, list[str]]:
            if forget is not None:
                forget()
            # fresh_records: the step's episodes hold new call records (new CallRecord and
            # ToolCall objects, equal content), as a real GRPO step's episodes do;
            # fresh_texts: the task column holds new strings (equal text), as TRL reads each
            # row from the dataset anew; the completions are new lists each step
            environments = [_fresh_episode(e) for e in pooled] if fresh_records else list(pooled)
            column = json.loads(json.dumps(columns)) if fresh_texts else columns
            return json.loads(grpo_text), environments, column

        def run(step: tuple[object, list, list[str]]) -> None:
            completions, environments, column = step
            for func in functions:
                func(prompts=[""] * n, completions=completions, task=column,
                     environments=environments)

        return Row(Timed(f"GRPO {label}, {level}", run, setup, n), target)

    rows = [
        Row(Timed("baseline: reference-like, from text", baseline, items=n), None),
        combined("graduated", "graduated", "memo hits"),
        combined("graduated", "graduated", "repeated calls", "graduated"),
        combined("graduated", "graduated", "all new", "graduated"),
        combined("paper", "paper", "memo hits", "paper"),
        combined("paper", "paper", "repeated calls", "paper"),
        combined("paper", "paper", "all new", "paper"),
        verl("repeated calls"),
        verl("all new"),
        messages("graduated", "memo hits"),
        messages("graduated", "repeated calls", "messages"),
        messages("graduated", "all new", "messages"),
        messages("paper", "memo hits"),
        messages("graduated", "cold"),
        grpo("merged, graduated", "graduated", "memo hits"),
        grpo("merged, paper", "paper", "memo hits"),
        grpo("new records", "graduated", "memo hits", fresh_records=True),
        grpo("new records+texts", "graduated", "memo hits", fresh_records=True, fresh_texts=True),
        grpo("new records+texts", "graduated", "repeated calls", "messages",
             fresh_records=True, fresh_texts=True),
        grpo("new records+texts", "graduated", "all new", "messages",
             fresh_records=True, fresh_texts=True),
    ]
    base, timed = paired_rates([row.path for row in rows[1:]], rows[0].path, repeats, min_seconds)
    print(
        f"\n{'train_101 gold (' + str(n) + ' trajectories)':<44}{'median':>8}{'min-max':>13}"
        f"{'target':>8}{'met':>5}{'vs base':>9}{'range':>13}{'needed':>8}{'met':>5}"
    )
    print(f"{rows[0].path.label:<44}{base.median:>8,.0f}{base.spread():>13}{'':>13}"
          f"{1:>8.2f}x")
    for row, paired in zip(rows[1:], timed, strict=True):
        rate, ratio = paired.rates, paired.ratios.median
        goal = GOLD_TARGETS.get(row.target or "")
        line = f"{row.path.label:<44}{rate.median:>8,.0f}{rate.spread():>13}"
        spread = f"{paired.ratios.low:.2f}-{paired.ratios.high:.2f}"
        if goal:
            needed = goal / REFERENCE_RATE
            line += (f"{goal:>8,.0f}{_yes(rate.median >= goal):>5}{ratio:>8.2f}x{spread:>13}"
                     f"{needed:>7.2f}x{_yes(ratio >= needed):>5}")
        else:
            line += f"{'':>13}{ratio:>8.2f}x{spread:>13}"
        print(line)
    print(
        f"(rates: trajectories per CPU second, median and range of {repeats} rounds of passes"
        f" adding up to {min_seconds:g} s each; met: the median reaches the target;"
        " vs base: the median over rounds of the row's rate over the baseline's, timed right"
        " before it in the same round (range: those ratios' min-max);"
        f" needed: the target over the reference's idle {REFERENCE_RATE:,}/s; the second met:"
        " the median ratio reaches it)"
    )


def _check_reference_like(paper: CombinedReward, golds: list) -> None:
    """Stop unless :mod:`reference_like` scores every rendered gold trajectory and perturbed
    variant as the `paper` preset does (else its speed is not the reference's)."""
    rng, checked = random.Random(1), 0
    for gold, task in golds:
        steps, column = reference_like.gold_steps(task), task_to_json(task)
        for trajectory in [gold, *random_variants(gold, rng, 5)]:
            text = reference_like.render(trajectory)
            ours = verl_score.compute_score("booking", text, column, preset="paper")
            theirs = reference_like.compute_score(text, steps)
            if abs(ours - theirs) > 1e-9:
                raise SystemExit(f"reference_like disagrees with paper on {task.id}: "
                                 f"{theirs} vs {ours}")
            checked += 1
    print(f"reference-like baseline agrees with the paper preset on {checked} rendered texts")


class Row(NamedTuple):
    """A timed path of the gold table and the target it is judged by (a GOLD_TARGETS key)."""

    path: Timed
    target: str | None


def _setup(forget: Callable[[], None] | None) -> Callable[[], None]:
    return forget if forget is not None else lambda: None


def _yes(met: bool) -> str:
    return "yes" if met else "NO"


def _trl_completion(gold: Trajectory) -> list[dict]:
    """The completion TRL's tool loop builds for a gold rollout: the messages after the
    prompt, tool messages without ``tool_call_id``."""
    return [
        {k: v for k, v in m.items() if k != "tool_call_id"} for m in gold.messages[1:]
    ]


def _fresh_episode(env: object) -> object:
    """A pooled environment whose episode holds copies of its records (same results)."""
    copy = object.__new__(type(env))
    copy.episode = SimpleNamespace(calls=[  # type: ignore[attr-defined]
        CallRecord(r.turn, r.raw, None if r.call is None else ToolCall(
            r.call.name, json.loads(json.dumps(r.call.arguments)), r.call.id
        ), r.parse_error, r.result)
        for r in env.episode.calls  # type: ignore[attr-defined]
    ])
    return copy


if __name__ == "__main__":
    main()
