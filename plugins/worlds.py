"""Which world a config describes (``world.name``): ``booking`` (the default of a config without
a world node) or ``bfcl``. One place for the check every world-aware component makes."""

from __future__ import annotations

from typing import Any

from orchestrl.errors import ConfigError

WORLDS = ("bfcl", "booking")


def _name(cfg: Any) -> str:
    return str((cfg.get("world") or {}).get("name", "booking"))


def world_name(cfg: Any) -> str:
    """``booking`` or ``bfcl``; a ConfigError (one line) for any other ``world.name``."""
    name = _name(cfg)
    if name not in WORLDS:
        raise ConfigError(f"unknown world '{name}'; available: {', '.join(WORLDS)}")
    return name


def is_bfcl(cfg: Any) -> bool:
    """Whether ``cfg`` describes the BFCL world (any other name is treated as Booking's)."""
    return _name(cfg) == "bfcl"
