"""``results.md`` of a study, written from its ``study.json`` (so anyone can regenerate it).

Sections: the headline in words (computed, never written by hand), the setup (command,
commit, machine, wall time, split, tasks), one table per evaluation set (every metric with its
95% bootstrap interval over items), the paired comparisons (difference and interval; ``*`` where
the interval excludes 0), the GRPO curves (each reward term and the share of groups with zero
reward variance per step) and every stage's wall time. Plots are PNG files beside the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrl.errors import DataError
from orchestrl.plugins.pipeline.intervals import excludes_zero
from orchestrl.plugins.pipeline.plots import pyplot, save

HEADLINE_METRICS = ("turn_accuracy", "success_rate", "call_accuracy", "reward")
SET_TITLES = {"heldout": "Grounded held-out tasks (templates never seen in training)",
              "eval_80": "eval_80 (ComplexFuncBench's human queries; many steps lack a recorded "
                         "response, so items are cut at the first one)"}


def load_study(directory: str | Path) -> dict[str, Any]:
    """The ``study.json`` of a study's run directory; DataError when there is none."""
    path = Path(directory) / "study.json"
    if not path.is_file():
        raise DataError(f"'{directory}' holds no study.json (orchestrl run experiment=study "
                        "writes one into its run directory)")
    return json.loads(path.read_text(encoding="utf-8"))


def headline_table(study: dict[str, Any], eval_set: str = "heldout") -> str:
    """Markdown table of the headline metrics per policy on ``eval_set``."""
    table = study["tables"][eval_set]
    metrics = [m for m in HEADLINE_METRICS if any(m in row for row in table.values())]
    lines = ["| policy | items | " + " | ".join(metrics) + " |",
             "|---|---|" + "---|" * len(metrics)]
    for label in _policy_order(study, table):
        row = table[label]
        items = next((v["items"] for v in row.values()), 0)
        lines.append(f"| {label} | {items} | "
                     + " | ".join(_ci(row.get(m)) for m in metrics) + " |")
    return "\n".join(lines)


def headline_sentences(study: dict[str, Any]) -> list[str]:
    """What changed, in words, from the held-out table and comparisons."""
    table, pairs = study["tables"]["heldout"], study["comparisons"]["heldout"]
    sentences = []
    items = next((v["items"] for v in table.get("base", {}).values()), 0)
    for label in ("base", "sft", "graduated"):
        row = table.get(label)
        if row and row.get("turn_accuracy", {}).get("value") is not None:
            sentences.append(f"{_name(label)}: held-out turn accuracy "
                             f"{_ci(row['turn_accuracy'])}, success {_ci(row['success_rate'])} "
                             f"on {items} tasks.")
    for pair in pairs:
        found = pair.get("turn_accuracy") or {}
        if found.get("diff") is None:
            continue
        verdict = ("the 95% interval excludes 0" if excludes_zero(found)
                   else "the 95% interval includes 0: no detectable difference")
        sentences.append(f"{_name(pair['b'])} minus {_name(pair['a'])}: turn accuracy "
                         f"{found['diff']:+.3f} [{found['low']:+.3f}, {found['high']:+.3f}] "
                         f"({verdict}).")
    return sentences


def write_study_report(study: dict[str, Any], path: Path, command: str | None = None) -> Path:
    """Write the report (and its plots beside it) to ``path``; return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    run = study.get("run", {})
    text = ["# orchestrl study: the paper's reward ablation on CPU", "",
            "Written by `orchestrl report` from the study's `study.json`; regenerate it with "
            "the command below. Every interval is a 95% bootstrap interval over items "
            f"({study['study']['resamples']} resamples); an arm's seeds are pooled per item.", "",
            "## Headline", ""]
    text += [f"- {s}" for s in headline_sentences(study)] + [""]
    text += ["## Setup", "",
             f"- Command: `{command or run.get('command') or 'orchestrl run experiment=study'}`",
             f"- Commit: `{run.get('commit')}`; machine: {_machine(run.get('machine') or {})}",
             f"- Wall time: {_duration(run.get('seconds'))} for this invocation (stages reused "
             f"from an earlier run: {len(run.get('stages_reused', []))}); the stages' own "
             f"times sum to {_duration(sum((run.get('stage_seconds') or {}).values()))}",
             f"- Evaluation engine: `{run.get('policy')}`",
             f"- Split: {_split(study)}",
             f"- Held-out tasks: {study['heldout']['tasks']} from "
             f"{len(study['heldout']['templates'])} templates, steps {study['heldout']['steps']}, "
             f"domains {study['heldout']['domains']}",
             f"- Training tasks: {study['train_tasks']['tasks']} from "
             f"{len(study['train_tasks']['templates'])} templates, steps "
             f"{study['train_tasks']['steps']}",
             f"- GRPO arms: {', '.join(study['study']['arms'])}; seeds "
             f"{study['study']['seeds']}", ""]
    for eval_set, title in SET_TITLES.items():
        if eval_set not in study["tables"]:
            continue
        text += [f"## {title}", "", headline_table(study, eval_set), ""]
        plot = _plot_set(study, eval_set, path.with_name(f"{path.stem}_{eval_set}.png"))
        if plot:
            text += [f"![{eval_set}]({plot.name})", ""]
        text += ["Paired differences (b − a, same items; `*`: the interval excludes 0):", "",
                 _comparison_table(study["comparisons"][eval_set]), ""]
    text += ["## GRPO curves", "", _grpo_table(study), ""]
    plot = _plot_grpo(study, path.with_name(f"{path.stem}_grpo.png"))
    if plot:
        text += [f"![GRPO curves]({plot.name})", ""]
    text += ["## Stage wall times", "", "Each stage's time when it ran (a stage reused by a "
             "later invocation keeps the time of the run that computed it).", "",
             "| stage | seconds |", "|---|---|"]
    text += [f"| {k} | {v} |" for k, v in (run.get("stage_seconds") or {}).items()] + [""]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def _policy_order(study: dict[str, Any], table: dict[str, Any]) -> list[str]:
    arms = list(study["study"]["arms"])
    seeded = [f"{a}_seed{s}" for a in arms for s in study["study"]["seeds"]]
    order = ["base", "sft", *arms, *seeded]
    return [label for label in order if label in table]


def _comparison_table(pairs: list[dict[str, Any]]) -> str:
    metrics = [m for m in HEADLINE_METRICS if any(m in p for p in pairs)]
    lines = ["| a | b | " + " | ".join(metrics) + " |", "|---|---|" + "---|" * len(metrics)]
    for pair in pairs:
        cells = []
        for metric in metrics:
            found = pair.get(metric) or {}
            if found.get("diff") is None:
                cells.append("-")
                continue
            mark = " *" if excludes_zero(found) else ""
            cells.append(f"{found['diff']:+.3f} [{found['low']:+.3f}, {found['high']:+.3f}]{mark}")
        lines.append(f"| {pair['a']} | {pair['b']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _grpo_table(study: dict[str, Any]) -> str:
    lines = ["| arm, seed | steps | final reward terms | mean share of zero-variance groups |",
             "|---|---|---|---|"]
    for label, run in study["grpo"].items():
        finals = {term: points[-1][1] for term, points in (run["reward_curve"] or {}).items()
                  if points}
        shares = [v for v in (run.get("frac_reward_zero_std") or []) if v is not None]
        share = f"{sum(shares) / len(shares):.2f}" if shares else "-"
        terms = ", ".join(f"{t}={v:.2f}" for t, v in sorted(finals.items())) or "-"
        lines.append(f"| {label} | {run.get('steps') or len(shares) or '-'} | {terms} | {share} |")
    return "\n".join(lines)


def _ci(found: dict[str, Any] | None) -> str:
    if not found or found.get("value") is None:
        return "-"
    return f"{found['value']:.3f} [{found['low']:.3f}, {found['high']:.3f}]"


def _name(label: str) -> str:
    return {"base": "Base model", "sft": "SFT"}.get(label, f"SFT+GRPO ({label})")


def _split(study: dict[str, Any]) -> str:
    split = study["split"]
    options = study["study"]["split"]
    return (f"{len(split['train'])} training and {len(split['heldout'])} held-out templates "
            f"(seed {options['seed']}, held-out share {options['heldout_share']} of each "
            f"domain's capacity, at most {options['per_template']} tasks per template; "
            f"{split['instances']} instances in the cache)")


def _machine(machine: dict[str, Any]) -> str:
    return (f"{machine.get('cpus')} CPUs ({machine.get('processor')}), "
            f"{machine.get('platform')}, Python {machine.get('python')}") if machine else "-"


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min {int(seconds % 60)} s"


def _plot_set(study: dict[str, Any], eval_set: str, path: Path) -> Path | None:
    table = study["tables"][eval_set]
    labels = [label for label in _policy_order(study, table) if "_seed" not in label]
    metrics = [m for m in ("turn_accuracy", "success_rate", "call_accuracy")
               if any((table[label].get(m) or {}).get("value") is not None for label in labels)]
    if not labels or not metrics:
        return None
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(labels) * len(metrics) / 2), 3.8))
    width = 0.8 / len(metrics)
    for j, metric in enumerate(metrics):
        values, low, high = [], [], []
        for label in labels:
            found = table[label].get(metric) or {}
            value = found.get("value")
            values.append(value or 0.0)
            low.append((value - found["low"]) if value is not None else 0.0)
            high.append((found["high"] - value) if value is not None else 0.0)
        xs = [i + (j - (len(metrics) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, values, width, yerr=[low, high], capsize=3, label=metric)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=15, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("score (95% CI)")
    ax.legend(fontsize=7)
    return save(fig, path)


def _plot_grpo(study: dict[str, Any], path: Path) -> Path | None:
    runs = study["grpo"]
    if not runs:
        return None
    plt = pyplot()

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, run in sorted(runs.items()):
        curve = _total_curve(run["reward_curve"] or {})
        if curve:
            left.plot([p[0] for p in curve], [p[1] for p in curve], marker="o", label=label)
        shares = run.get("frac_reward_zero_std") or []
        right.plot(range(1, len(shares) + 1), [s if s is not None else float("nan")
                                               for s in shares], marker="o", label=label)
    left.set_xlabel("GRPO step")
    left.set_ylabel("mean of the arm's reward terms")
    right.set_xlabel("GRPO step")
    right.set_ylabel("share of groups with zero reward variance")
    right.set_ylim(-0.05, 1.05)
    left.legend(fontsize=6)
    return save(fig, path)


def _total_curve(curves: dict[str, list[list[float]]]) -> list[tuple[float, float]]:
    """Per step, the mean over the arm's terms (their logged means)."""
    steps: dict[float, list[float]] = {}
    for points in curves.values():
        for step, value in points:
            steps.setdefault(step, []).append(value)
    return [(step, sum(v) / len(v)) for step, v in sorted(steps.items())]
