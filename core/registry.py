"""Typed registries: where plugins put their components, one registry per kind.

A plugin's registration hook receives the registry of one kind and calls
``registry.add(name, cls)``. The registry

* checks that ``cls`` subclasses the kind's abstract type,
* rejects a second component of the same name, naming both plugins,
* derives the component's config dataclass from the constructor's signature
  (:func:`orchestrl.signature.signature_config`: one field per keyword parameter, typed by its
  annotation, its default from the signature), so no default is written twice,
* stores that dataclass (with a ``_target_`` pointing at ``cls``) in Hydra's ConfigStore under
  the kind's config group, so that ``group=name`` selects it and a typo or a wrong type in an
  override fails when the command line is parsed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore

from orchestrl.api import Benchmark, CacheBackend, Policy, RewardTerm, Sampler, World
from orchestrl.errors import PluginError, UnknownComponentError
from orchestrl.signature import signature_config


@dataclass
class RewardTermConfig:
    """Base of every reward term's config: the term's weight in the combined reward."""

    weight: float = 1.0


@dataclass(frozen=True)
class Kind:
    """A kind of component: its abstract type, the Hydra config group that selects it, the base
    of its config dataclasses, and the runtime dependencies passed at build time (never config
    fields)."""

    name: str
    base: type
    group: str
    config_base: type | None = None
    runtime: frozenset[str] = frozenset()


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("cache_backend", CacheBackend, "cache"),
        Kind("sampler", Sampler, "sampler", runtime=frozenset({"cache", "env"})),
        Kind("reward_term", RewardTerm, "reward_term", RewardTermConfig),
        Kind("policy", Policy, "policy"),
        Kind("benchmark", Benchmark, "benchmark", runtime=frozenset({"cache", "reward"})),
        Kind("world", World, "world_schema"),
    )
}


@dataclass(frozen=True)
class Component:
    """A registered component: its name, class, config dataclass and the plugin that added it."""

    name: str
    cls: type
    config: type
    plugin: str

    @property
    def target(self) -> str:
        """Import path of the class, as Hydra's ``_target_``."""
        return f"{self.cls.__module__}.{self.cls.__qualname__}"


class Registry:
    """The components of one kind, by name."""

    def __init__(self, kind: Kind, *, config_store: ConfigStore | None = None) -> None:
        self.kind = kind
        self._components: dict[str, Component] = {}
        self._config_store = config_store
        self.current_plugin = "<unknown>"

    def add(
        self,
        name: str,
        cls: type,
        *,
        config: type | None = None,
        bind: Mapping[str, Any] | None = None,
    ) -> None:
        """Register ``cls`` as ``name``.

        Its config is derived from the constructor's signature; ``bind`` gives parameters
        config-time values (e.g. ``{"data_dir": "${data_dir}"}``). An explicit ``config``
        dataclass (fields = constructor kwargs) is still accepted for components whose
        signature cannot describe them.
        """
        kind = self.kind
        if not isinstance(name, str) or not name.isidentifier():
            raise PluginError(
                f"plugin '{self.current_plugin}' registered {kind.name} name {name!r}, "
                "which is not a valid identifier"
            )
        if not (isinstance(cls, type) and issubclass(cls, kind.base)):
            raise PluginError(
                f"plugin '{self.current_plugin}' registered {kind.name} '{name}' as {cls!r}, "
                f"which is not a subclass of {kind.base.__name__}"
            )
        if config is None:
            try:
                config = signature_config(
                    cls, base=kind.config_base, exclude=kind.runtime, bind=bind
                )
            except TypeError as exc:
                raise PluginError(
                    f"plugin '{self.current_plugin}' registered {kind.name} '{name}': {exc}"
                ) from None
        elif bind:
            raise PluginError(
                f"plugin '{self.current_plugin}' gave {kind.name} '{name}' both a config and bind"
            )
        if not dataclasses.is_dataclass(config) or not isinstance(config, type):
            raise PluginError(
                f"plugin '{self.current_plugin}' gave {kind.name} '{name}' a config that is "
                "not a dataclass type"
            )
        if kind.config_base is not None and not issubclass(config, kind.config_base):
            raise PluginError(
                f"plugin '{self.current_plugin}' gave {kind.name} '{name}' a config that does "
                f"not subclass {kind.config_base.__name__}"
            )
        if name in self._components:
            other = self._components[name].plugin
            raise PluginError(
                f"{kind.name} '{name}' is registered twice: by plugin '{other}' and by "
                f"plugin '{self.current_plugin}'"
            )
        component = Component(name, cls, config, self.current_plugin)
        self._components[name] = component
        if self._config_store is not None:
            self._config_store.store(
                group=kind.group,
                name=name,
                node=_with_target(config, component.target),
                provider=self.current_plugin,
            )

    def get(self, name: str) -> Component:
        """Return the component called ``name``; unknown names list what is available."""
        try:
            return self._components[name]
        except KeyError:
            available = ", ".join(sorted(self._components)) or "none"
            raise UnknownComponentError(
                f"unknown {self.kind.name.replace('_', ' ')} '{name}'; available: {available}"
            ) from None

    def names(self) -> list[str]:
        """Sorted names of the registered components."""
        return sorted(self._components)

    def by_plugin(self, plugin: str) -> list[str]:
        """Names of the components that ``plugin`` registered."""
        return sorted(n for n, c in self._components.items() if c.plugin == plugin)

    def __contains__(self, name: object) -> bool:
        return name in self._components

    def __iter__(self) -> Iterator[Component]:
        return iter(self._components[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._components)


def _with_target(config: type, target: str) -> Any:
    """A subclass of ``config`` that adds Hydra's ``_target_`` field."""
    return dataclasses.make_dataclass(
        config.__name__,
        [("_target_", str, dataclasses.field(default=target))],
        bases=(config,),
    )
