"""``orchestrl synth [overrides] [-m]``: synthesize tasks with the configured sampler.

In the Booking world (``world=booking``) it opens the configured response cache (seeding an
empty one from ``data_dir``'s traces), builds the environment with the ``strict`` miss policy
and the sampler (``sampler=constrained`` or ``sampler=unconstrained``), draws ``synth.n`` tasks
for ``seed`` and writes, under the Hydra run directory:

* ``synth.output`` (``tasks.jsonl``): the tasks (see :mod:`orchestrl.plugins.synthesis.output`);
* ``summary.json``: the sampler's summary (attempts, valid, drops, per-template counts,
  complexity histogram), the check of the shipped templates' edges against the data, and the
  overlap with ``synth.overlap_with`` (an evaluation task file) when set.

In the BFCL world (``world=bfcl``) the ``bfcl`` sampler draws verified turn prefixes of the
training scenarios from the installed ``bfcl-eval`` package (no cache, no data directory);
``summary.json`` holds its counts (candidates, accepted, rejections by reason).

It prints the summary's headline as one JSON line.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.commands import CommandTable, hydra_command
from orchestrl.errors import ConfigError
from orchestrl.plugins.worlds import is_bfcl


def run_dir() -> Path:
    """Hydra's run directory (``outputs/synth`` outside a Hydra run)."""
    from hydra.core.hydra_config import HydraConfig

    try:
        return Path(HydraConfig.get().runtime.output_dir)
    except ValueError:
        return Path("outputs") / "synth"


def synth(cfg: DictConfig, out: Path | None = None) -> dict:
    """Run the configured sampler and write tasks and summary into ``out`` (default: the Hydra
    run directory); return the summary."""
    from orchestrl.build import build
    from orchestrl.plugins.booking.data import EVAL_FILE, TRAIN_FILE, load_tasks, load_tools
    from orchestrl.plugins.cache.factory import open_cache
    from orchestrl.plugins.cache.importers import import_booking_dir
    from orchestrl.plugins.env.environment import CachedEnvironment
    from orchestrl.plugins.synthesis.checking import check_templates
    from orchestrl.plugins.synthesis.hygiene import load_task_file, overlap_report
    from orchestrl.plugins.synthesis.output import write_tasks
    from orchestrl.plugins.synthesis.template import load_template_file

    if cfg.get("sampler") is None:
        raise ConfigError("the config chooses no sampler; add sampler=constrained")
    options = cfg.get("synth") or {}
    n = int(options.get("n", 100))
    if n < 1:
        raise ConfigError(f"synth.n must be at least 1, got {n}")
    out = out if out is not None else run_dir()
    if is_bfcl(cfg):
        return _synth_bfcl(cfg, n, out / str(options.get("output", "tasks.jsonl")))
    cache = open_cache(cfg)
    if len(cache) == 0:
        import_booking_dir(cache, str(cfg.data_dir))
    env = CachedEnvironment(cache.schemas, cache, "strict")
    sampler = build(cfg.sampler, cache=cache, env=env)
    tasks = list(sampler.sample(n, seed=int(cfg.seed)))
    path = out / str(options.get("output", "tasks.jsonl"))
    write_tasks(tasks, path)
    summary = sampler.summary.as_dict() if hasattr(sampler, "summary") else {}
    summary["output"] = str(path)
    data_dir = Path(str(cfg.data_dir))
    tools = load_tools(data_dir)
    traces = [t for name in (TRAIN_FILE, EVAL_FILE) if (data_dir / name).is_file()
              for t in load_tasks(data_dir / name, tools)]
    summary["template_check"] = check_templates(load_template_file(data_dir), traces).summary()
    overlap_with = options.get("overlap_with")
    if overlap_with:
        evaluation = load_task_file(str(overlap_with), tools)
        summary["overlap"] = overlap_report(tasks, evaluation, cache.key)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _print_headline(summary)
    return summary


def _synth_bfcl(cfg: DictConfig, n: int, path: Path) -> dict:
    """BFCL tasks from the ``bfcl`` sampler into ``path``; summary.json beside it."""
    from orchestrl.build import build
    from orchestrl.plugins.synthesis.output import write_tasks

    sampler = build(cfg.sampler)
    if not hasattr(sampler, "stats"):
        raise ConfigError("the bfcl world synthesizes with sampler=bfcl")
    started = time.perf_counter()
    tasks = list(sampler.sample(n, seed=int(cfg.seed)))
    elapsed = time.perf_counter() - started
    if not tasks:
        raise ConfigError("the bfcl sampler produced no task within its bounds")
    write_tasks(tasks, path)
    stats = dict(sampler.stats)
    summary = {"sampler": "bfcl", "attempts": stats.get("candidates", 0), "valid": len(tasks),
               "valid_per_attempt": len(tasks) / max(1, stats.get("candidates", 0)),
               "valid_per_second": len(tasks) / elapsed if elapsed > 0 else None,
               "counts": stats, "output": str(path)}
    (path.parent / "summary.json").write_text(json.dumps(summary, indent=2) + "\n",
                                              encoding="utf-8")
    _print_headline(summary)
    return summary


def _print_headline(summary: dict) -> None:
    headline = {k: summary.get(k) for k in ("sampler", "attempts", "valid", "valid_per_attempt",
                                            "valid_per_second", "output")}
    print(json.dumps(headline))


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("synth", hydra_command(synth), help="synthesize tasks from the cache")
