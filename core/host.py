"""The plugin host: loads built-in and third-party plugins and fills the registries.

Built-ins are the modules in :data:`BUILTIN_PLUGINS`, registered through the same public
hooks third parties use. Third parties are found in the entry-point group ``orchestrl``.

Environment switches:

* ``ORCHESTRL_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry-point discovery (built-ins still load);
* ``ORCHESTRL_BLOCK_PLUGINS=name1,name2`` blocks plugins by entry-point name or module path.

Loading is lazy and happens once per process (:func:`get_host`); tests build their own
:class:`PluginHost` or call :func:`reset_host`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType

import pluggy
from hydra.core.config_store import ConfigStore

from orchestrl import hookspecs
from orchestrl.errors import PluginError
from orchestrl.nodes import store_schemas
from orchestrl.registry import KINDS, Registry

ENTRY_POINT_GROUP = "orchestrl"
ENV_DISABLE_AUTOLOAD = "ORCHESTRL_DISABLE_PLUGIN_AUTOLOAD"
ENV_BLOCK = "ORCHESTRL_BLOCK_PLUGINS"

BUILTIN_PLUGINS: tuple[str, ...] = (
    "orchestrl.plugins.rewards.format_validity",
    "orchestrl.plugins.commands.compose",
    "orchestrl.plugins.commands.report",
    "orchestrl.plugins.commands.run",
    "orchestrl.plugins.cache.diskcache_backend",
    "orchestrl.plugins.cache.memory_backend",
    "orchestrl.plugins.cache.redis_backend",
    "orchestrl.plugins.commands.cache",
    "orchestrl.plugins.policies.transformers_policy",
    "orchestrl.plugins.policies.openai_policy",
    "orchestrl.plugins.policies.llamacpp_policy",
    "orchestrl.plugins.policies.scripted",
    "orchestrl.plugins.commands.train",
    "orchestrl.plugins.rewards.function_name",
    "orchestrl.plugins.rewards.param_names",
    "orchestrl.plugins.rewards.param_types",
    "orchestrl.plugins.rewards.param_values",
    "orchestrl.plugins.rewards.execution",
    "orchestrl.plugins.rewards.orchestration",
    "orchestrl.plugins.rewards.binary",
    "orchestrl.plugins.rewards.efficiency",
    "orchestrl.plugins.rewards.paper_atomic",
    "orchestrl.plugins.rewards.paper_orchestration",
    "orchestrl.plugins.policies.bfcl_gold",
    "orchestrl.plugins.benchmarks.bfcl",
    "orchestrl.plugins.samplers.bfcl",
    "orchestrl.plugins.benchmarks.complexfuncbench",
    "orchestrl.plugins.commands.eval",
    "orchestrl.plugins.samplers.constrained",
    "orchestrl.plugins.samplers.unconstrained",
    "orchestrl.plugins.commands.synth",
    "orchestrl.plugins.worlds.booking.world",
    "orchestrl.plugins.worlds.bfcl.world",
)
"""Module paths of the built-in plugins, registered in this order."""


@dataclass
class PluginInfo:
    """What ``orchestrl plugins`` shows about one plugin."""

    name: str
    distribution: str
    version: str
    hooks: list[str]
    components: dict[str, list[str]] = field(default_factory=dict)


class PluginHost:
    """A plugin manager plus one filled registry per component kind."""

    def __init__(
        self,
        *,
        builtins: Iterable[str] = BUILTIN_PLUGINS,
        autoload: bool | None = None,
        blocked: Iterable[str] | None = None,
        config_store: ConfigStore | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager("orchestrl")
        self.pm.add_hookspecs(hookspecs)
        if autoload is None:
            autoload = not _env_flag(ENV_DISABLE_AUTOLOAD)
        if blocked is None:
            blocked = [b.strip() for b in os.environ.get(ENV_BLOCK, "").split(",") if b.strip()]
        for name in blocked:
            self.pm.set_blocked(name)
        self._distribution: dict[str, tuple[str, str]] = {}
        for module_path in builtins:
            self._register_module(module_path)
        if autoload:
            self._load_entry_points()
        self._check_pending()
        store = config_store if config_store is not None else ConfigStore.instance()
        self.registries: dict[str, Registry] = {}
        for kind in KINDS.values():
            registry = Registry(kind, config_store=store)
            self._call_each(f"orchestrl_register_{kind.name}", registry=registry)
            self.registries[kind.name] = registry
        store_schemas(store)

    def registry(self, kind: str) -> Registry:
        """The registry of ``kind`` (one of :data:`orchestrl.registry.KINDS`)."""
        return self.registries[kind]

    def call_each(self, hook_name: str, **kwargs: object) -> None:
        """Call every implementation of a hook one by one, attributing errors to the plugin."""
        self._call_each(hook_name, **kwargs)

    def plugins(self) -> list[PluginInfo]:
        """One entry per registered plugin, in registration order."""
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:  # blocked
                continue
            dist, version = self._distribution.get(name, ("orchestrl", _version("orchestrl")))
            hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
            components = {
                kind: registry.by_plugin(name)
                for kind, registry in self.registries.items()
                if registry.by_plugin(name)
            }
            infos.append(PluginInfo(name, dist, version, hooks, components))
        return infos

    def describe(self, plugin_name: str) -> str:
        """``'name' (distribution version)``, for error messages."""
        dist, version = self._distribution.get(plugin_name, ("orchestrl", _version("orchestrl")))
        return f"'{plugin_name}' ({dist} {version})"

    # -------------------------------------------------------------- internals

    def _register_module(self, module_path: str) -> None:
        if self.pm.is_blocked(module_path):
            return
        module = _import(module_path, f"built-in plugin '{module_path}'")
        self._register(module, module_path)

    def _load_entry_points(self) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if self.pm.is_blocked(ep.name) or self.pm.has_plugin(ep.name):
                continue
            dist = ep.dist.name if ep.dist is not None else "unknown distribution"
            version = ep.dist.version if ep.dist is not None else "?"
            self._distribution[ep.name] = (dist, version)
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin '{ep.name}' ({dist} {version}) failed to load: {_one_line(exc)}"
                ) from exc
            self._register(plugin, ep.name)

    def _register(self, plugin: object, name: str) -> None:
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {self.describe(name)} is invalid: {_one_line(exc)}") from exc

    def _check_pending(self) -> None:
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self.pm.get_name(exc.plugin) or str(exc.plugin)
            raise PluginError(f"plugin {self.describe(name)} is invalid: {_one_line(exc)}") from exc

    def _call_each(self, hook_name: str, **kwargs: object) -> None:
        hook = getattr(self.pm.hook, hook_name)
        registry = kwargs["registry"] if "registry" in kwargs else kwargs.get("commands")
        for impl in hook.get_hookimpls():  # registration order
            if registry is not None:
                registry.current_plugin = impl.plugin_name
            try:
                impl.function(*[kwargs[arg] for arg in impl.argnames])
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {self.describe(impl.plugin_name)} failed in {hook_name}: "
                    f"{_one_line(exc)}"
                ) from exc


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _HOST
    if _HOST is None:
        _HOST = PluginHost()
    return _HOST


def reset_host() -> None:
    """Forget the process-wide host (tests; after changing the environment switches)."""
    global _HOST
    _HOST = None


def _import(module_path: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(module_path)
    except Exception as exc:
        raise PluginError(f"{what} failed to import: {_one_line(exc)}") from exc


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
