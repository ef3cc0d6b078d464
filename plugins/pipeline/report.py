"""``orchestrl report <multirun dir>``: aggregate runs into a table and plots.

Each job directory of a Hydra multirun holds ``.hydra/overrides.yaml`` and the run's
``summary.json`` (written by ``orchestrl run`` and ``orchestrl eval``). Jobs whose overrides
differ only in ``seed`` form one configuration, labelled by the overrides that vary across the
sweep; the table gives mean and spread (sample standard
deviation) over seeds of each metric, and the plots show accuracy per configuration and the
reward curve of each term.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrl.errors import DataError
from orchestrl.plugins.pipeline.plots import pyplot, save

SUMMARY_FILE = "summary.json"
IGNORED_OVERRIDE_KEYS = ("seed",)


@dataclass
class ConfigRuns:
    """The jobs of one configuration (its overrides without the seed)."""

    label: str
    jobs: list[Path] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    curves: dict[str, list[list[tuple[int, float]]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def collect(multirun_dir: str | Path) -> list[ConfigRuns]:
    """Read every finished job under ``multirun_dir``; DataError if there is none."""
    root = Path(multirun_dir)
    if root.is_file():
        raise DataError(f"'{root}' is a file, not a multirun directory (orchestrl run -m or "
                        "eval -m writes one, e.g. multirun/<date>/<time>)")
    if not root.is_dir():
        raise DataError(f"multirun directory '{root}' does not exist")
    groups: dict[str, ConfigRuns] = {}
    paths = sorted(root.glob(f"*/{SUMMARY_FILE}"), key=_job_order)
    overrides = {path: _overrides(path.parent) for path in paths}
    shared = set.intersection(*map(set, overrides.values())) if overrides else set()
    for summary_path in paths:
        job = summary_path.parent
        label = " ".join(o for o in overrides[summary_path] if o not in shared) or "defaults"
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{summary_path}: not valid JSON ({exc.msg})") from None
        runs = groups.setdefault(label, ConfigRuns(label))
        runs.jobs.append(job)
        for name, value in _flat_metrics(summary).items():
            runs.metrics[name].append(value)
        for term, points in (summary.get("reward_curve") or {}).items():
            runs.curves[term].append([(int(s), float(v)) for s, v in points])
    if not groups:
        raise DataError(f"no finished runs ({SUMMARY_FILE}) under '{root}'")
    return list(groups.values())


def markdown_table(groups: list[ConfigRuns]) -> str:
    """One row per configuration; cells are ``mean ± std (n)`` over seeds."""
    names = sorted({name for g in groups for name in g.metrics})
    header = "| configuration | runs | " + " | ".join(names) + " |"
    lines = [header, "|" + "---|" * (len(names) + 2)]
    for group in groups:
        cells = [_cell(group.metrics.get(name, [])) for name in names]
        lines.append(f"| {group.label} | {len(group.jobs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(multirun_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write ``report.md``, ``report.json`` and PNG plots; return the Markdown path."""
    groups = collect(multirun_dir)
    out = Path(out_dir) if out_dir is not None else Path(multirun_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = _plot_accuracy(groups, out / "accuracy_by_config.png")
    plots += _plot_curves(groups, out / "reward_curves.png")
    text = ["# orchestrl report", "", f"Runs under `{Path(multirun_dir)}`.", "",
            markdown_table(groups), ""]
    text += [f"![{p.stem}]({p.name})" for p in plots]
    path = out / "report.md"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    data = {g.label: {"jobs": [str(j) for j in g.jobs], "metrics": dict(g.metrics)}
            for g in groups}
    (out / "report.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def _job_order(path: Path) -> tuple[int, str]:
    name = path.parent.name
    return (int(name), name) if name.isdigit() else (1 << 30, name)


def _overrides(job: Path) -> list[str]:
    """The job's overrides, sorted, without the seed (seeds are what a row averages over)."""
    overrides_path = job / ".hydra" / "overrides.yaml"
    if not overrides_path.is_file():
        return [job.name]
    overrides = yaml.safe_load(overrides_path.read_text(encoding="utf-8")) or []
    return sorted(str(o) for o in overrides
                  if str(o).split("=", 1)[0].lstrip("+~") not in IGNORED_OVERRIDE_KEYS)


def _flat_metrics(summary: dict[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    for section in ("metrics", "reward_terms"):
        for name, value in (summary.get(section) or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                prefix = "" if section == "metrics" else "reward/"
                flat[f"{prefix}{name}"] = float(value)
    return flat


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.3f} ± {spread:.3f} ({len(values)})"


def _plot_accuracy(groups: list[ConfigRuns], path: Path) -> list[Path]:
    metric_names = [m for m in ("turn_accuracy", "success_rate", "call_accuracy")
                    if any(m in g.metrics for g in groups)]
    if not metric_names:
        return []
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(groups)), 4))
    width = 0.8 / len(metric_names)
    for i, metric in enumerate(metric_names):
        means = [statistics.fmean(g.metrics[metric]) if g.metrics.get(metric) else math.nan
                 for g in groups]
        errs = [statistics.stdev(g.metrics[metric]) if len(g.metrics.get(metric, [])) > 1 else 0
                for g in groups]
        xs = [j + i * width for j in range(len(groups))]
        ax.bar(xs, means, width, yerr=errs, label=metric, capsize=3)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(groups))])
    ax.set_xticklabels([g.label for g in groups], rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("score (mean ± std over seeds)")
    ax.legend(fontsize=8)
    return [save(fig, path)]


def _plot_curves(groups: list[ConfigRuns], path: Path) -> list[Path]:
    terms = sorted({t for g in groups for t in g.curves})
    if not terms:
        return []
    plt = pyplot()

    fig, axes = plt.subplots(1, len(terms), figsize=(4 * len(terms), 3.2), squeeze=False)
    for ax, term in zip(axes[0], terms, strict=True):
        for group in groups:
            runs = group.curves.get(term)
            if not runs:
                continue
            by_step: dict[int, list[float]] = defaultdict(list)
            for run in runs:
                for step, value in run:
                    by_step[step].append(value)
            steps = sorted(by_step)
            ax.plot(steps, [statistics.fmean(by_step[s]) for s in steps], label=group.label)
        ax.set_title(term, fontsize=9)
        ax.set_xlabel("step")
    axes[0][0].legend(fontsize=7)
    return [save(fig, path)]
