"""``orchestrl report <multirun dir> [--out DIR]``: aggregate a multirun into a report.

Given a study's run directory (``orchestrl run experiment=study``; it holds ``study.json``),
it writes ``results.md`` and its plots into ``--out`` (default: that directory) instead:
``orchestrl report <study dir> --out docs`` regenerates ``docs/results.md``."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestrl import hookimpl
from orchestrl.commands import CommandTable
from orchestrl.errors import ConfigError
from orchestrl.plugins.pipeline.report import collect, markdown_table, write_report


def report(argv: list[str]) -> int:
    """Write report.md (table of mean ± std over seeds) and PNG plots; print the table."""

    parser = _Parser(prog="orchestrl report")
    parser.add_argument("multirun_dir")
    parser.add_argument("--out", default=None, help="directory for the report (default: input)")
    parser.add_argument("--command", default=None,
                        help="the study's command line, as the report should state it")
    args = parser.parse_args(argv)
    if (Path(args.multirun_dir) / "study.json").is_file():
        from orchestrl.plugins.pipeline.study_report import (
            headline_table,
            load_study,
            write_study_report,
        )

        study = load_study(args.multirun_dir)
        out = Path(args.out or args.multirun_dir)
        path = write_study_report(study, out / "results.md", command=args.command)
        print(headline_table(study))
        print(f"\nreport: {path}")
        return 0
    path = write_report(args.multirun_dir, args.out)
    print(markdown_table(collect(args.multirun_dir)))
    print(f"\nreport: {path}")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"orchestrl report: {message}")


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("report", report, help="aggregate a multirun directory into a report")
