"""CLI subcommands: the table plugins add to, and Hydra-backed commands.

A handler takes the argument list after the command name and returns an exit status.
:func:`hydra_command` turns a task function ``fn(cfg) -> None`` into such a handler: the
arguments are Hydra overrides (``cache=redis seed=1``) plus Hydra's own flags (``-m`` for a
multirun sweep, ``--cfg job`` to print the config). Overrides are checked by composing them
before the run starts, so a typo is reported as one line instead of a Hydra traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from omegaconf import DictConfig

from orchestrl.config import CONFIG_MODULE, as_config_error, compose
from orchestrl.errors import OrchestrlError, PluginError

Handler = Callable[[list[str]], int]
TaskFunction = Callable[[DictConfig], object]


@dataclass(frozen=True)
class Command:
    """A subcommand, its one-line help and the plugin that added it."""

    name: str
    handler: Handler
    help: str
    plugin: str


class CommandTable:
    """Subcommands by name; filled through ``orchestrl_register_commands``."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self.current_plugin = "orchestrl"

    def add(self, name: str, handler: Handler, *, help: str = "") -> None:
        """Add a subcommand; a name already taken is an error naming both plugins."""
        if name in self._commands:
            other = self._commands[name].plugin
            raise PluginError(
                f"command '{name}' is registered twice: by plugin '{other}' and by "
                f"plugin '{self.current_plugin}'"
            )
        self._commands[name] = Command(name, handler, help, self.current_plugin)

    def get(self, name: str) -> Command:
        """The command called ``name``; an unknown name lists the available ones."""
        try:
            return self._commands[name]
        except KeyError:
            available = ", ".join(sorted(self._commands))
            raise OrchestrlError(f"unknown command '{name}'; available: {available}") from None

    def __iter__(self):
        return iter(self._commands[n] for n in sorted(self._commands))


_HYDRA_FLAGS_WITH_VALUE = {"--cfg", "-c", "--package", "-p", "--info", "--config-name", "-cn",
                           "--config-path", "-cp", "--config-dir", "-cd", "--experimental-rerun"}


def split_overrides(argv: Sequence[str]) -> tuple[list[str], bool]:
    """Separate Hydra overrides from Hydra's flags; return (overrides, multirun)."""
    overrides: list[str] = []
    multirun = False
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-m", "--multirun"):
            multirun = True
        elif arg in _HYDRA_FLAGS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            overrides.append(arg)
    return overrides, multirun


def validate_overrides(overrides: Sequence[str], *, config_name: str = "config") -> None:
    """Compose with every value of every override; raise ConfigError on the first bad one.

    Sweep overrides (``a=1,2``, ``range(3)``) are expanded one value at a time, with the other
    overrides at their first value, so each swept value is checked once.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception as exc:
        raise as_config_error(exc) from None
    choices: list[list[str]] = []
    for override in parsed:
        key = override.get_key_element()
        if override.is_sweep_override():
            values = [f"{key}={v}" for v in override.sweep_string_iterator()]
        else:
            values = [override.input_line]
        choices.append(values)
    firsts = [values[0] for values in choices]
    combos = {tuple(firsts)}
    for i, values in enumerate(choices):
        for value in values[1:]:
            combos.add((*firsts[:i], value, *firsts[i + 1 :]))
    for combo in sorted(combos):
        compose(list(combo), config_name=config_name)


def hydra_command(task: TaskFunction, *, config_name: str = "config") -> Handler:
    """Make a CLI handler that runs ``task`` under ``hydra.main`` with the given overrides."""

    def handler(argv: list[str]) -> int:
        import hydra

        overrides, _ = split_overrides(argv)
        validate_overrides(overrides, config_name=config_name)

        def guarded(cfg: DictConfig) -> object:
            try:
                return task(cfg)
            except OrchestrlError as exc:
                print(f"error: {exc}", file=sys.stderr)
                raise SystemExit(exc.exit_code) from None

        guarded.__name__ = getattr(task, "__name__", "task")
        guarded.__module__ = getattr(task, "__module__", __name__)
        main = hydra.main(version_base=None, config_path=f"pkg://{CONFIG_MODULE}",
                          config_name=config_name)(guarded)
        saved = sys.argv
        sys.argv = [saved[0] if saved else "orchestrl", *argv]
        try:
            main()
        finally:
            sys.argv = saved
        return 0

    return handler

