"""Shared fixtures of the ComplexFuncBench tests: the real eval items and a seeded cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrl.api import Task
from orchestrl.plugins.benchmarks.cfb.loaders import load_items
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.tools.schema import load_schemas


@pytest.fixture(scope="session")
def cfb_cache(booking_dir: Path) -> ResponseCache:
    """An in-memory response cache seeded with every real response of the Booking traces."""
    cache = ResponseCache(MemoryBackend(), load_schemas(booking_dir))
    import_booking_dir(cache, booking_dir)
    return cache


@pytest.fixture(scope="session")
def cfb_observations(cfb_cache: ResponseCache) -> GoldObservations:
    return GoldObservations(cfb_cache)


@pytest.fixture
def cfb_items(booking_dir: Path) -> list[Task]:
    """The 80 evaluation items of eval_80.jsonl, freshly loaded (tests may mutate them)."""
    return load_items(booking_dir / "eval_80.jsonl", booking_dir)
