"""Fixtures of the environment tests."""

from __future__ import annotations

import pytest

from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.tools.schema import load_schemas


@pytest.fixture(scope="module")
def seeded(booking_dir):
    """(schemas, a memory cache seeded with every real Booking response); one per module,
    because some tests write to it."""
    schemas = load_schemas(booking_dir)
    cache = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(cache, booking_dir)
    return schemas, cache
