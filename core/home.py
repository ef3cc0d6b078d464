"""Where orchestrl writes: one home directory, one function per location.

Everything orchestrl writes on its own (not the run outputs, which follow Hydra's run
directory) lives under ``$ORCHESTRL_HOME``, default ``.orchestrl`` in the working directory:

* :func:`cache_dir` — the diskcache response cache: ``$ORCHESTRL_CACHE_DIR`` when set, else
  ``<home>/cache``;
* :func:`artifacts_dir` — the content-addressed stage outputs of ``orchestrl run``:
  ``<home>/artifacts``;
* :func:`models_dir` — models converted on first use (SmolLM2 from its GGUF, tiny test
  models): ``<home>/models``;
* :func:`bfcl_root` — the ``BFCL_PROJECT_ROOT`` given to the ``bfcl-eval`` package (where it
  may create result folders) unless the user set that variable: ``<home>/bfcl``.

The variables are read when a function is called, not at import. Configs name these locations
with the resolver ``${orchestrl_dir:cache}`` (``artifacts``, ``models``, ``bfcl``), registered
with OmegaConf by :func:`register_resolver` (the config module calls it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

DEFAULT_HOME = ".orchestrl"


def home() -> Path:
    """``$ORCHESTRL_HOME``, else ``.orchestrl`` (relative to the working directory)."""
    return Path(os.environ.get("ORCHESTRL_HOME") or DEFAULT_HOME)


def cache_dir() -> Path:
    """The diskcache response cache: ``$ORCHESTRL_CACHE_DIR``, else ``<home>/cache``."""
    override = os.environ.get("ORCHESTRL_CACHE_DIR")
    return Path(override) if override else home() / "cache"


def artifacts_dir() -> Path:
    """Stage outputs of ``orchestrl run``: ``<home>/artifacts``."""
    return home() / "artifacts"


def models_dir() -> Path:
    """Models converted on first use: ``<home>/models``."""
    return home() / "models"


def bfcl_root() -> Path:
    """``$BFCL_PROJECT_ROOT`` when set, else ``<home>/bfcl``, as an absolute path."""
    override = os.environ.get("BFCL_PROJECT_ROOT")
    return Path(override) if override else (home() / "bfcl").absolute()


LOCATIONS: dict[str, Callable[[], Path]] = {
    "cache": cache_dir, "artifacts": artifacts_dir, "models": models_dir, "bfcl": bfcl_root,
}


def _resolve(name: str) -> str:
    try:
        return str(LOCATIONS[name]())
    except KeyError:
        raise ValueError(f"unknown orchestrl_dir '{name}'; available: "
                         f"{', '.join(LOCATIONS)}") from None


def absolute_path(path: str) -> str:
    """``path`` made absolute against the working directory (``~`` expanded), so that two
    spellings of one directory give one config value (and one artifact stage key)."""
    return os.path.abspath(os.path.expanduser(str(path)))


def register_resolver() -> None:
    """Register ``${orchestrl_dir:<location>}`` and ``${orchestrl_abspath:<path>}`` with
    OmegaConf (idempotent)."""
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("orchestrl_dir"):
        OmegaConf.register_new_resolver("orchestrl_dir", _resolve)
    if not OmegaConf.has_resolver("orchestrl_abspath"):
        OmegaConf.register_new_resolver("orchestrl_abspath", absolute_path)
