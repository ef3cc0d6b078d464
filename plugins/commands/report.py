"""``orchestrl report <multirun dir> [--out DIR]``: aggregate a multirun into a report."""

from __future__ import annotations

import argparse

from orchestrl import hookimpl
from orchestrl.commands import CommandTable
from orchestrl.errors import ConfigError


def report(argv: list[str]) -> int:
    """Write report.md (table of mean ± std over seeds) and PNG plots; print the table."""
    from orchestrl.plugins.pipeline.report import collect, markdown_table, write_report

    parser = _Parser(prog="orchestrl report")
    parser.add_argument("multirun_dir")
    parser.add_argument("--out", default=None, help="directory for the report (default: input)")
    args = parser.parse_args(argv)
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
