"""The ``orchestrl`` command line.

``orchestrl <command> [args]``: the commands come from plugins (hook
``orchestrl_register_commands``) plus ``plugins``, which the core owns. User mistakes print one
line, ``error: ...``, and exit non-zero; a traceback means a bug.
"""

from __future__ import annotations

import json
import sys

from orchestrl.commands import CommandTable
from orchestrl.errors import OrchestrlError
from orchestrl.host import PluginHost, get_host

USAGE = "usage: orchestrl <command> [args...]   (orchestrl --help lists the commands)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``orchestrl`` script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        host = get_host()
        table = command_table(host)
        if not argv or argv[0] in ("-h", "--help", "help"):
            print(USAGE)
            for command in table:
                print(f"  {command.name:<10} {command.help}")
            return 0 if argv else 2
        if argv[0] == "--version":
            from importlib.metadata import version

            print(f"orchestrl {version('orchestrl')}")
            return 0
        return table.get(argv[0]).handler(argv[1:])
    except OrchestrlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def command_table(host: PluginHost) -> CommandTable:
    """The built-in ``plugins`` command plus every command the plugins register."""
    table = CommandTable()
    table.add("plugins", lambda argv: show_plugins(host, argv), help="list plugins and components")
    host.call_each("orchestrl_register_commands", commands=table)
    return table


def show_plugins(host: PluginHost, argv: list[str]) -> int:
    """Print each plugin, its version, hooks and components (``--json`` for machines)."""
    unknown = [arg for arg in argv if arg != "--json"]
    if unknown:
        raise OrchestrlError(f"orchestrl plugins takes only --json, not {unknown[0]!r}")
    infos = host.plugins()
    if "--json" in argv:
        print(json.dumps([info.__dict__ for info in infos], indent=2))
        return 0
    for info in infos:
        print(f"{info.name} ({info.distribution} {info.version})")
        print(f"  hooks: {', '.join(info.hooks) or '-'}")
        for kind, names in info.components.items():
            print(f"  {kind}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
