"""Fixtures shared by plugin tests: real Booking tasks, a seeded cached environment, the reward.

Directories with other needs (rewards, samplers, synthesis) override `train_tasks` locally.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrl.api import Task
from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.env.environment import CachedEnvironment
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.tools.schema import load_schemas
from orchestrl.plugins.worlds.booking.data import load_tasks, load_templates, load_tools


@pytest.fixture(scope="session")
def train_tasks(booking_dir: Path) -> list[Task]:
    tools, templates = load_tools(booking_dir), load_templates(booking_dir)
    return load_tasks(booking_dir / "train_101.jsonl", tools, templates)


@pytest.fixture(scope="session")
def make_env(booking_dir: Path) -> Callable[[], CachedEnvironment]:
    """Environments over one memory cache seeded with every real Booking response."""
    schemas = load_schemas(booking_dir)
    cache = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(cache, booking_dir)
    return lambda: CachedEnvironment(schemas, cache)


@pytest.fixture(scope="session")
def graduated() -> CombinedReward:
    """The default graduated reward, built from the shipped config."""
    from orchestrl.config import compose

    return CombinedReward.from_config(compose(["reward=graduated"]).reward)


@pytest.fixture(scope="session")
def paper() -> CombinedReward:
    """The reference-reproducing paper reward, built from the shipped config."""
    from orchestrl.config import compose

    return CombinedReward.from_config(compose(["reward=paper"]).reward)


FAKE_LLAMA_SERVER = Path(__file__).parent / "policies" / "fake_llama_server.py"


@pytest.fixture
def fake_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``llama-server`` stand-in (``policies/fake_llama_server.py``) as an executable path."""
    binary = tmp_path / "llama-server"
    binary.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_LLAMA_SERVER}" "$@"\n')
    binary.chmod(0o755)
    monkeypatch.setenv("FAKE_SERVER_PIDS", str(tmp_path / "pids"))
    return str(binary)
