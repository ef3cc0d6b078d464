"""Opt-in pytest plugin for plugin authors: ``pytest -p orchestrl.testing``.

Fixtures:

* ``plugin_host`` — a fresh :class:`~orchestrl.host.PluginHost` with built-ins only (entry-point
  autoload off), installed as the process-wide host; ``plugin_host_factory(**kwargs)`` builds
  one with other options (``builtins``, ``autoload``, ``blocked``).
* ``compose_config(*overrides)`` — the shipped config composed with overrides.
* ``run_cli(*args)`` — runs ``orchestrl`` in-process; returns a :class:`CliResult`.

Every test using them gets Hydra's ConfigStore and global state restored afterwards.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from omegaconf import DictConfig

from orchestrl import host as host_module
from orchestrl.cli import main
from orchestrl.config import compose


@dataclass
class CliResult:
    """Outcome of one in-process CLI run."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def hydra_state() -> Iterator[None]:
    """Restore Hydra's ConfigStore and global state and the process-wide host after the test."""
    from hydra.core.config_store import ConfigStore
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.plugins import Plugins

    Plugins.instance()  # registers Hydra's own configs once, before the snapshot
    store = ConfigStore.instance()
    saved_repo = copy.deepcopy(store.repo)
    saved_host = host_module._HOST
    yield
    GlobalHydra.instance().clear()
    store.repo = saved_repo
    host_module._HOST = saved_host


@pytest.fixture
def plugin_host_factory(hydra_state: None) -> Callable[..., host_module.PluginHost]:
    """Build a host with the given options and make it the process-wide host."""

    def factory(**kwargs: Any) -> host_module.PluginHost:
        kwargs.setdefault("autoload", False)
        kwargs.setdefault("blocked", ())
        host = host_module.PluginHost(**kwargs)
        host_module._HOST = host
        return host

    return factory


@pytest.fixture
def plugin_host(
    plugin_host_factory: Callable[..., host_module.PluginHost],
) -> host_module.PluginHost:
    """A fresh host with the built-in plugins only."""
    return plugin_host_factory()


@pytest.fixture
def compose_config(hydra_state: None) -> Callable[..., DictConfig]:
    """Compose the shipped config with overrides (uses the current process-wide host)."""

    def _compose(*overrides: str, config_name: str = "config") -> DictConfig:
        return compose(list(overrides), config_name=config_name)

    return _compose


@pytest.fixture
def run_cli(
    hydra_state: None, capsys: pytest.CaptureFixture[str], tmp_path: Any, monkeypatch: Any
) -> Callable[..., CliResult]:
    """Run ``orchestrl`` in-process with outputs under the test's tmp_path."""

    monkeypatch.setenv("ORCHESTRL_OUTPUT_DIR", str(tmp_path / "outputs"))

    def _run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return _run
