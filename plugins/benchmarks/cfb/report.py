"""Writing a summary as JSON and Markdown, and its plots as PNG (matplotlib, no display).

Files written under the output directory: ``cfb_summary.json``, ``cfb_summary.md``,
``cfb_accuracy_by_steps.png``, ``cfb_accuracy_by_domain.png`` and ``cfb_error_types.png``.
Plots use matplotlib's object API (``Figure``): no display, no global backend state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrl.plugins.benchmarks.cfb.metrics import HEADLINE

SUMMARY_JSON = "cfb_summary.json"
SUMMARY_MD = "cfb_summary.md"
PLOTS = ("cfb_accuracy_by_steps.png", "cfb_accuracy_by_domain.png", "cfb_error_types.png")


def write_report(summary: dict[str, Any], output_dir: Path, *, plots: bool = True) -> list[Path]:
    """Write the summary files (and plots); return the paths written."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = [output_dir / SUMMARY_JSON, output_dir / SUMMARY_MD]
    paths[0].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")
    paths[1].write_text(markdown(summary), "utf-8")
    if plots:
        paths += [
            _bars(output_dir / PLOTS[0], summary["by_steps"], "number of gold steps"),
            _bars(output_dir / PLOTS[1], summary["by_domain"], "domain"),
            _errors(output_dir / PLOTS[2], summary),
        ]
    return paths


def headline_table(summary: dict[str, Any]) -> str:
    """The headline metrics as a Markdown table (what ``orchestrl eval`` prints)."""
    counts = summary["counts"]
    rows = [f"| {name} | {_pct(summary['metrics'][name])} |" for name in HEADLINE]
    return "\n".join([
        "| metric | value |", "| --- | --- |", *rows,
        f"| items (played / fully scored / successes) | {counts['played']} / "
        f"{counts['complete_items']} / {counts['successes']} |",
    ])


def markdown(summary: dict[str, Any]) -> str:
    """The full human-readable summary."""
    lines = ["# ComplexFuncBench", "", headline_table(summary), ""]
    for title, key in (("By domain", "by_domain"), ("By number of gold steps", "by_steps")):
        lines += [f"## {title}", "", "| group | items | turn acc. | success | call acc. |",
                  "| --- | --- | --- | --- | --- |"]
        for group, row in summary[key].items():
            lines.append(f"| {group} | {row['items']} | {_pct(row['turn_accuracy'])} | "
                         f"{_pct(row['success_rate'])} | {_pct(row['call_accuracy'])} |")
        lines.append("")
    lines += ["## Error taxonomy", "", "| kind | events | items failed by it |",
              "| --- | --- | --- |"]
    for kind, count in summary["errors"].items():
        lines.append(f"| {kind} | {count} | {summary['failures'].get(kind, 0)} |")
    matched = ", ".join(f"{k}: {v}" for k, v in summary["matched_by"].items()) or "none"
    lines += ["", f"Matches by stage: {matched}."]
    judge = summary["judge"]
    if judge["enabled"]:
        lines.append(f"Judge: {judge['matches']} matches decided by the judge, in "
                     f"{len(judge['items'])} items (rules alone would have rejected them).")
    missing = summary["missing_gold"]
    lines += ["", "## Missing gold observations", ""]
    if not missing["items"]:
        lines.append("None: every gold observation was found.")
    else:
        lines.append(f"{missing['items']} items lack {missing['steps']} gold observations (not "
                     f"in the item nor in the cache). Truncated (scored up to the turn of the "
                     f"first missing observation): {len(missing['truncated'])}; skipped: "
                     f"{len(missing['skipped'])}; the others miss only last-turn observations "
                     "and are fully scored.")
        lines += ["", "| item | missing steps |", "| --- | --- |"]
        for item, steps in missing["by_item"].items():
            cells = ", ".join(f"{i} {call.split(' ', 1)[0]}" for i, call in steps.items())
            lines.append(f"| {item} | {cells} |")
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _bars(path: Path, groups: dict[str, dict[str, Any]], xlabel: str) -> Path:
    from matplotlib.figure import Figure

    names = list(groups)
    fig = Figure(figsize=(max(5.0, 0.9 * len(names) + 2), 3.6))
    ax = fig.add_subplot()
    width = 0.27
    for offset, metric in zip((-width, 0.0, width), HEADLINE, strict=True):
        values = [100 * (groups[n][metric] or 0.0) for n in names]
        ax.bar([i + offset for i in range(len(names))], values, width, label=metric)
    ax.set_xticks(range(len(names)), [f"{n}\n(n={groups[n]['items']})" for n in names],
                  fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 1.14), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _errors(path: Path, summary: dict[str, Any]) -> Path:
    from matplotlib.figure import Figure

    kinds = list(summary["errors"])
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    ax.barh(kinds, [summary["errors"][k] for k in kinds], label="error events")
    ax.barh(kinds, [summary["failures"].get(k, 0) for k in kinds], height=0.4,
            label="items failed by it")
    ax.invert_yaxis()
    ax.set_xlabel("count")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
