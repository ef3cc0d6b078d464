"""Hook specifications: the whole contract between orchestrl and its plugins.

Registration hooks (``orchestrl_register_<kind>``) are called once per plugin when the plugin
host loads, one implementation at a time so that an error names the plugin that raised it.
They add components to the registry they receive and return nothing. Hot paths (scoring,
cache lookups, rollouts) never go through hooks: the run loop calls component methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from orchestrl.commands import CommandTable
    from orchestrl.registry import Registry

hookspec = pluggy.HookspecMarker("orchestrl")


@hookspec
def orchestrl_register_cache_backend(registry: Registry) -> None:
    """Register cache backends (subclasses of :class:`orchestrl.api.CacheBackend`).

    Called once per plugin when the host loads. Call ``registry.add(name, cls, config=...)``
    for each backend; the name becomes a choice of the ``cache`` config group. Must not open
    connections or files: construction happens later, from config.
    """


@hookspec
def orchestrl_register_sampler(registry: Registry) -> None:
    """Register task samplers (subclasses of :class:`orchestrl.api.Sampler`).

    Called once per plugin when the host loads. Each name becomes a choice of the ``sampler``
    config group.
    """


@hookspec
def orchestrl_register_reward_term(registry: Registry) -> None:
    """Register reward terms (subclasses of :class:`orchestrl.api.RewardTerm`).

    Called once per plugin when the host loads. The config dataclass must subclass
    :class:`orchestrl.registry.RewardTermConfig` (it carries the term's ``weight``). Each name
    becomes a choice of the ``reward_term`` config group, which reward presets place under
    ``reward.terms.<name>``.
    """


@hookspec
def orchestrl_register_policy(registry: Registry) -> None:
    """Register policies (subclasses of :class:`orchestrl.api.Policy`).

    Called once per plugin when the host loads. Each name becomes a choice of the ``policy``
    config group.
    """


@hookspec
def orchestrl_register_benchmark(registry: Registry) -> None:
    """Register benchmarks (subclasses of :class:`orchestrl.api.Benchmark`).

    Called once per plugin when the host loads. Each name becomes a choice of the
    ``benchmark`` config group.
    """


@hookspec
def orchestrl_register_world(registry: Registry) -> None:
    """Register worlds (subclasses of :class:`orchestrl.api.World`).

    Called once per plugin when the host loads. Each name becomes a choice of the
    ``world_schema`` config group: the typed ``world`` node that a world's YAML config
    (``conf/world/<name>.yaml``, a choice of the ``world`` group) extends. Must not read data:
    construction happens later, from config.
    """


@hookspec
def orchestrl_register_commands(commands: CommandTable) -> None:
    """Add subcommands to the ``orchestrl`` CLI.

    Called once per plugin when the CLI starts. Call ``commands.add(name, handler, help=...)``
    where ``handler(argv: list[str]) -> int`` receives the arguments after the command name
    and returns the exit status; raise :class:`orchestrl.errors.OrchestrlError` for user
    mistakes (printed as one line). A name already taken is an error naming both plugins.
    """
