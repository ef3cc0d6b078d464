"""``orchestrl run [overrides] [-m]``: the main job (synthesize, warm start, GRPO, evaluate).

Runs :func:`orchestrl.plugins.pipeline.run.run_pipeline` in Hydra's run directory; with ``-m``
each job of the sweep is one run, and ``orchestrl report <multirun dir>`` aggregates them.
``experiment=study`` runs :func:`orchestrl.plugins.pipeline.study.run_study` instead (the
reward ablation as one job, with its own report).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.commands import CommandTable, hydra_command


def run(cfg: DictConfig) -> dict:
    """Run or resume the pipeline for ``cfg`` (the study when ``experiment=study`` gives a
    ``study`` node); return its summary."""
    from hydra.core.hydra_config import HydraConfig

    out = Path(HydraConfig.get().runtime.output_dir)
    if cfg.get("study") is not None:
        from orchestrl.plugins.pipeline.study import run_study
        from orchestrl.plugins.pipeline.study_report import headline_table

        study = run_study(cfg, out)
        print(headline_table(study))
        return study
    from orchestrl.plugins.pipeline.run import run_pipeline

    summary = run_pipeline(cfg, out)
    from orchestrl.plugins.pipeline.run_report import before_after_table, what_changed

    print(before_after_table(summary.get("metrics_before"), summary["metrics"], summary))
    print(what_changed(summary))
    return summary


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("run", hydra_command(run),
                 help="the main job: synthesize, SFT warm start, GRPO, evaluate (resumable)")
