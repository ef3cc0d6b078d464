"""Composing orchestrl's Hydra config outside of ``hydra.main``.

The configs ship inside the package (``pkg://orchestrl.conf``). Components registered by
plugins are added to Hydra's ConfigStore when the plugin host loads, so every compose loads
the host first.
"""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from orchestrl.errors import ConfigError
from orchestrl.home import register_resolver
from orchestrl.host import get_host
from orchestrl.nodes import check_root

CONFIG_MODULE = "orchestrl.conf"
register_resolver()


def compose(overrides: Sequence[str] = (), *, config_name: str = "config") -> DictConfig:
    """Compose the shipped config with ``overrides``; raise ConfigError (one line) when it fails.

    Hydra's global state is restored afterwards, so this is safe to call from inside a run.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    get_host()
    global_hydra = GlobalHydra.instance()
    saved = global_hydra.hydra if global_hydra.is_initialized() else None
    global_hydra.clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base=None):
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
    except Exception as exc:
        raise as_config_error(exc) from None
    finally:
        global_hydra.clear()
        if saved is not None:
            global_hydra.initialize(saved)
    check_root(cfg)
    return cfg


def as_config_error(exc: BaseException) -> ConfigError:
    """Condense a Hydra or OmegaConf composition error into one lower-case line.

    An unknown choice of a config group reads ``unknown reward 'nope'; available: a, b``.
    """
    unknown = _unknown_choice(exc)
    if unknown is not None:
        return unknown
    parts = []
    seen = set()
    current: BaseException | None = exc
    while current is not None and len(parts) < 3:
        line = _first_line(current)
        if line and line not in seen:
            parts.append(line)
            seen.add(line)
        current = current.__cause__
    text = ": ".join(parts) or type(exc).__name__
    return ConfigError(text[0].lower() + text[1:])


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    noise = ("full_key:", "object_type=", "reference_type=")
    lines = [ln for ln in lines if not ln.startswith(noise)]
    if not lines:
        return ""
    first, last = lines[0].rstrip("."), lines[-1].rstrip(".")
    return first if len(lines) == 1 else f"{first} ({last})"


def _unknown_choice(exc: BaseException) -> ConfigError | None:
    from hydra.errors import MissingConfigException

    if not isinstance(exc, MissingConfigException) or not exc.missing_cfg_file:
        return None
    group, _, name = exc.missing_cfg_file.rpartition("/")
    if not group:
        return None
    options = exc.options if exc.options is not None else _group_options(group)
    available = ", ".join(sorted(options)) or "none"
    return ConfigError(f"unknown {group} '{name}'; available: {available}")


def _group_options(group: str) -> list[str]:
    from hydra.core.global_hydra import GlobalHydra

    hydra = GlobalHydra.instance().hydra
    if hydra is None:
        return []
    return hydra.config_loader.get_group_options(group)
