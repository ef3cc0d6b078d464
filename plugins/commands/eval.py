"""``orchestrl eval benchmark=<name> policy=<name> [overrides] [-m]``: evaluate a policy.

Builds the configured policy, then the configured benchmark with the response cache as its
runtime dependency (``cache``, opened from the ``cache`` group and typed by the tool schemas of
``data_dir``), and runs ``benchmark.evaluate(policy, output_dir=<Hydra run directory>)``. The
benchmark writes its own files there; this command adds ``summary.json`` (``{"benchmark",
"policy", "metrics"}``, the shape ``orchestrl report`` aggregates over a ``-m`` sweep) and prints
the headline metrics as a table. Rerunning into the same directory (``hydra.run.dir=...``)
resumes a benchmark that supports it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.build import build
from orchestrl.commands import CommandTable, hydra_command
from orchestrl.errors import ConfigError
from orchestrl.plugins.cache.factory import open_cache

SUMMARY_FILE = "summary.json"


def run_eval(cfg: DictConfig) -> dict[str, float]:
    """Evaluate ``cfg.policy`` on ``cfg.benchmark``; write summary.json; print the metrics."""
    from hydra.core.hydra_config import HydraConfig

    for group, example in (("benchmark", "complexfuncbench"), ("policy", "scripted")):
        if cfg.get(group) is None:
            raise ConfigError(f"orchestrl eval needs a {group}; add {group}={example}")
    choices = _choices()
    _check_miss_policy(cfg, choices.get("benchmark"))
    cache = _open_cache(cfg)
    try:
        policy = build(cfg.policy)
        benchmark = build(cfg.benchmark, cache=cache)
        output_dir = Path(HydraConfig.get().runtime.output_dir)
        metrics = benchmark.evaluate(policy, output_dir=output_dir)
    finally:
        if cache is not None:
            cache.close()
    summary = {"benchmark": choices.get("benchmark"), "policy": choices.get("policy"),
               "metrics": {k: (None if math.isnan(v) else v) for k, v in metrics.items()}}
    (output_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    print(format_table(metrics, title=f"{summary['benchmark']} / {summary['policy']}"))
    print(f"\nresults: {output_dir}")
    return metrics


def format_table(metrics: dict[str, float], *, title: str = "") -> str:
    """Metrics as a two-column Markdown table (rates as percentages, counts as integers)."""
    lines = [f"## {title}", ""] if title else []
    lines += ["| metric | value |", "| --- | --- |"]
    for name, value in metrics.items():
        lines.append(f"| {name} | {_cell(name, value)} |")
    return "\n".join(lines)


def _cell(name: str, value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if name.endswith(("accuracy", "rate")) and 0.0 <= value <= 1.0:
        return f"{100 * value:.1f}%"
    return f"{value:g}"


def _choices() -> dict[str, Any]:
    from hydra.core.hydra_config import HydraConfig

    try:
        return dict(HydraConfig.get().runtime.choices)
    except ValueError:
        return {}


def _check_miss_policy(cfg: DictConfig, benchmark: Any) -> None:
    """Refuse an explicit ``env.miss_policy`` the benchmark would not use.

    A benchmark that answers calls through the configured environment says so with the class
    attribute ``env_miss_policy = True``; the built-in ones do not (``complexfuncbench`` answers
    from gold observations, ``missing_gold`` says what a missing one does; ``bfcl`` executes
    missed calls on BFCL's backends), so the option would silently do nothing.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import get_class

    try:
        overrides = list(HydraConfig.get().overrides.task)
    except ValueError:
        return
    given = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") == "env.miss_policy"]
    target = cfg.benchmark.get("_target_")
    if not given or target is None or getattr(get_class(str(target)), "env_miss_policy", False):
        return
    raise ConfigError(f"benchmark '{benchmark}' does not answer calls through the environment, "
                      f"so {given[0]} would have no effect; remove it")


def _open_cache(cfg: DictConfig) -> Any:
    if cfg.get("cache") is None:
        return None

    return open_cache(cfg)


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("eval", hydra_command(run_eval), help="evaluate a policy on a benchmark")
