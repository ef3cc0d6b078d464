"""``orchestrl run [overrides] [-m]``: the main job (synthesize, warm start, GRPO, evaluate).

Runs :func:`orchestrl.plugins.pipeline.run.run_pipeline` in Hydra's run directory; with ``-m``
each job of the sweep is one run, and ``orchestrl report <multirun dir>`` aggregates them.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.commands import CommandTable, hydra_command


def run(cfg: DictConfig) -> dict:
    """Run or resume the pipeline for ``cfg``; return its summary."""
    from hydra.core.hydra_config import HydraConfig

    from orchestrl.plugins.pipeline.run import run_pipeline

    summary = run_pipeline(cfg, Path(HydraConfig.get().runtime.output_dir))
    from orchestrl.plugins.pipeline.run_report import before_after_table

    print(before_after_table(summary.get("metrics_before"), summary["metrics"]))
    return summary


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("run", hydra_command(run),
                 help="the main job: synthesize, SFT warm start, GRPO, evaluate (resumable)")
