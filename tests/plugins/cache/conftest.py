"""Fixtures for the cache tests: the real Booking schemas, a seeded cache, a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrl.api import CacheBackend
from orchestrl.plugins.tools.schema import ToolSchema, load_schemas


@pytest.fixture(scope="session")
def schemas(booking_dir: Path) -> dict[str, ToolSchema]:
    return load_schemas(booking_dir)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port, in a temporary directory."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    import redis

    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


_namespaces = iter(range(10**9))


@pytest.fixture(params=["memory", "diskcache", "redis"])
def backend_factory(request: pytest.FixtureRequest, tmp_path: Path
                    ) -> Iterator[Callable[[], CacheBackend]]:
    """Builds backends of one kind; each call opens the same store (a second connection)."""
    kind = request.param
    opened: list[CacheBackend] = []
    if kind == "memory":
        from orchestrl.plugins.cache.memory_backend import MemoryBackend

        shared = MemoryBackend()
        make: Callable[[], CacheBackend] = lambda: shared  # noqa: E731
    elif kind == "diskcache":
        from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend

        def make() -> CacheBackend:
            backend = DiskCacheBackend(str(tmp_path / "cache"))
            opened.append(backend)
            return backend
    else:
        from orchestrl.plugins.cache.redis_backend import RedisBackend

        url = request.getfixturevalue("redis_url")
        namespace = f"test{next(_namespaces)}"

        def make() -> CacheBackend:
            backend = RedisBackend(url, namespace)
            opened.append(backend)
            return backend
    yield make
    for backend in opened:
        backend.close()


@pytest.fixture(scope="session")
def real_entries(booking_dir: Path, schemas: dict[str, ToolSchema]) -> list:
    """Every entry of a cache seeded from the real traces."""
    from orchestrl.plugins.cache.importers import import_booking_dir
    from orchestrl.plugins.cache.memory_backend import MemoryBackend
    from orchestrl.plugins.cache.response_cache import ResponseCache

    cache = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(cache, booking_dir)
    return list(cache.entries())


@pytest.fixture(scope="session")
def write_plain_jsonl() -> Callable[..., int]:
    """``write(path, recordings)``: write recordings as plain import JSONL; return how many."""
    return _write_plain_jsonl


def _write_plain_jsonl(path: Path, recordings) -> int:
    import json

    count = 0
    with path.open("w", encoding="utf-8") as out:
        for rec in recordings:
            out.write(json.dumps({"function": rec.function, "arguments": rec.arguments,
                                  "response": rec.response, "provenance": rec.provenance}) + "\n")
            count += 1
    return count
