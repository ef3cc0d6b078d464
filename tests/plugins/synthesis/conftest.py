"""Shared fixtures: the real traces and templates, and a memory cache seeded from the traces."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrl.api import Task
from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.synthesis.template import Template, load_template_file
from orchestrl.plugins.tools.schema import load_schemas
from orchestrl.plugins.worlds.booking.data import EVAL_FILE, TRAIN_FILE, load_tasks, load_tools


@pytest.fixture(scope="session")
def tools(booking_dir: Path) -> dict:
    return load_tools(booking_dir)


@pytest.fixture(scope="session")
def train_tasks(booking_dir: Path, tools: dict) -> list[Task]:
    return load_tasks(booking_dir / TRAIN_FILE, tools)


@pytest.fixture(scope="session")
def eval_tasks(booking_dir: Path, tools: dict) -> list[Task]:
    return load_tasks(booking_dir / EVAL_FILE, tools)


@pytest.fixture(scope="session")
def templates(booking_dir: Path) -> list[Template]:
    return load_template_file(booking_dir)


@pytest.fixture(scope="session")
def seed_cache(booking_dir: Path) -> ResponseCache:
    cache = ResponseCache(MemoryBackend(), load_schemas(booking_dir))
    import_booking_dir(cache, booking_dir)
    return cache
