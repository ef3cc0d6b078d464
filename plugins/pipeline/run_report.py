"""``report.md`` of one ``orchestrl run``: before/after table, plots, links to every stage."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orchestrl.plugins.pipeline.artifacts import StageResult
from orchestrl.plugins.pipeline.intervals import excludes_zero
from orchestrl.plugins.pipeline.plots import pyplot, save


def before_after_table(before: dict[str, Any] | None, after: dict[str, Any],
                       summary: dict[str, Any] | None = None) -> str:
    """Markdown table of each evaluation metric before and after training; with a run's
    ``summary``, each value carries its 95% interval and the change its paired interval."""
    summary = summary or {}
    lines = ["| metric | before | after | change |", "|---|---|---|---|"]
    for name, value in after.items():
        old = (before or {}).get(name)
        change = f"{value - old:+.3f}" if _num(value) and _num(old) else "-"
        paired_change = (summary.get("changes") or {}).get(name)
        if paired_change and paired_change.get("low") is not None:
            change = (f"{paired_change['diff']:+.3f} [{paired_change['low']:+.3f}, "
                      f"{paired_change['high']:+.3f}]")
        lines.append(f"| {name} | {_with_ci(old, (summary.get('intervals_before') or {}), name)}"
                     f" | {_with_ci(value, (summary.get('intervals') or {}), name)} | {change} |")
    return "\n".join(lines)


HEADLINE_METRICS = ("turn_accuracy", "accuracy")
"""Each world's headline accuracy (ComplexFuncBench's, BFCL's), stated first when present."""


def what_changed(summary: dict[str, Any]) -> str:
    """One sentence on the change of the run's headline metric (else its first metric with an
    interval)."""
    changes = summary.get("changes") or {}
    ordered = sorted(changes, key=lambda n: (n not in HEADLINE_METRICS,
                                             HEADLINE_METRICS.index(n) if n in HEADLINE_METRICS
                                             else 0))
    for name in ordered:
        found = changes[name]
        if found.get("diff") is None:
            continue
        verdict = ("its 95% interval excludes 0" if excludes_zero(found)
                   else "its 95% interval includes 0, so no change is detectable at this size")
        return (f"After training, {name} changed by {found['diff']:+.3f} "
                f"[{found['low']:+.3f}, {found['high']:+.3f}] on the same {found['items']} "
                f"held-out items; {verdict}.")
    return "No evaluation item counts were recorded, so no change can be stated with an interval."


def evaluated_on(summary: dict[str, Any]) -> str:
    """One sentence on what the evaluations ran on (empty when the summary does not say)."""
    found = summary.get("evaluated_on") or {}
    policy = f" with the {found['policy']} policy" if found.get("policy") else ""
    if found.get("items") == "held-out tasks":
        return (f"Evaluated{policy} on grounded tasks of {len(found['templates'])} held-out "
                f"workflow templates ({found['tasks']} synthesized; training used only the "
                f"other {found['train_templates']} templates).")
    return f"Evaluated{policy} on the world's evaluation set." if policy else ""


def _fmt_unit(value: Any, unit: str, digits: int) -> str:
    return f"{value:.{digits}f} {unit}" if _num(value) else "-"


def _with_ci(value: Any, intervals: dict[str, Any], name: str) -> str:
    found = intervals.get(name) or {}
    if _num(value) and found.get("low") is not None:
        return f"{value:.3f} [{found['low']:.3f}, {found['high']:.3f}]"
    return _fmt(value)


def write_run_report(summary: dict[str, Any], stages: dict[str, StageResult], out: Path) -> Path:
    """Write ``report.md`` (and its plots) into ``out``; return its path."""
    text = [f"# orchestrl run ({summary['world']} world)", "",
            "## Evaluation before and after training", "", evaluated_on(summary),
            what_changed(summary), "",
            before_after_table(summary.get("metrics_before"), summary["metrics"], summary), "",
            "Values carry 95% bootstrap intervals over items; the change is the paired "
            "difference on the same items.", ""]
    plot = _plot_before_after(summary.get("metrics_before"), summary["metrics"],
                              out / "before_after.png")
    if plot:
        text += [f"![before and after]({plot.name})", ""]
    curves = _plot_curves(summary.get("reward_curve") or {}, out / "reward_curves.png")
    if curves:
        text += ["## GRPO reward per term", "", f"![reward curves]({curves.name})", ""]
    recorded = summary.get("stages") or {}
    text += ["## Stages", "", "| stage | status | wall time | peak memory | outputs |",
             "|---|---|---|---|---|"]
    for name, result in stages.items():
        status = "reused (inputs unchanged)" if result.skipped else "ran"
        link = _link(result.directory, out)
        seconds, gib = (recorded.get(name, {}).get(k) for k in ("seconds", "peak_rss_gib"))
        text.append(f"| {name} | {status} | {_fmt_unit(seconds, 's', 0)} | "
                    f"{_fmt_unit(gib, 'GiB', 2)} | [{result.directory.name}]({link}) |")
    if summary.get("peak_rss_gib") is not None:
        text += ["", f"Peak memory of the run (this process and its children, such as the "
                 f"engine's server): {summary['peak_rss_gib']:.2f} GiB."]
    text += ["", "Stage summaries:", ""]
    for name, result in stages.items():
        text.append(f"- **{name}**: {_brief(result.summary)}")
        for extra in sorted(result.directory.glob("*.md")) + sorted(result.directory.glob("*.png")):
            text.append(f"  - [{extra.name}]({_link(extra, out)})")
    text += ["", "Resolved config: [config.yaml](config.yaml); machine-readable summary: "
             "[summary.json](summary.json)."]
    path = out / "report.md"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def _link(target: Path, out: Path) -> str:
    """``target`` relative to the report's directory, so the link works where report.md is."""
    return Path(os.path.relpath(Path(target).resolve(), Path(out).resolve())).as_posix()


def _brief(summary: dict[str, Any]) -> str:
    """A stage summary in one line: scalars as they are, ``metrics`` flattened, lists counted."""
    parts = []
    for key, value in summary.items():
        if isinstance(value, dict):
            parts += [f"{key}.{k}={_fmt(v) if _num(v) else v}" for k, v in value.items()
                      if not isinstance(v, dict | list)]
        elif isinstance(value, list):
            parts.append(f"{key}=[{len(value)} values]")
        else:
            parts.append(f"{key}={_fmt(value) if isinstance(value, float) else value}")
    return ", ".join(parts) or "-"


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if _num(value) else "-"


def _plot_before_after(before: dict[str, Any] | None, after: dict[str, Any],
                       path: Path) -> Path | None:
    names = [n for n, v in after.items() if _num(v) and 0 <= v <= 1]
    if not names:
        return None
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(names)), 3.6))
    xs = range(len(names))
    olds = [(before or {}).get(n) for n in names]
    ax.bar([x - 0.2 for x in xs], [o if _num(o) else 0 for o in olds], 0.4, label="before")
    ax.bar([x + 0.2 for x in xs], [after[n] for n in names], 0.4, label="after")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(names, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    return save(fig, path)


def _plot_curves(curves: dict[str, list[list[float]]], path: Path) -> Path | None:
    if not curves:
        return None
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for term, points in sorted(curves.items()):
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=term)
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("mean term score")
    ax.legend(fontsize=7)
    return save(fig, path)
