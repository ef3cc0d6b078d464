"""Cache backend ``diskcache``: the embedded default, a SQLite-backed directory.

Values are stored as raw bytes in SQLite (never pickled: the :class:`BytesOnlyDisk` refuses to
store anything but ``str`` keys and ``bytes`` values, and refuses to unpickle a row written by
someone else). Nothing is ever evicted. ``set_many`` and ``transaction()`` run inside one
SQLite ``BEGIN IMMEDIATE`` transaction, so a write is all-or-nothing even if the process dies,
and writers in several processes are serialised by SQLite's lock. Values of 1 MiB and more live in
files beside the database; a writer killed after writing such a file but before committing
leaves an orphan file, which :meth:`DiskCacheBackend.orphan_files` finds (``cache verify``
reports them, ``cache verify --repair`` removes them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import diskcache

from orchestrl import hookimpl
from orchestrl.api import CacheBackend
from orchestrl.errors import DataError
from orchestrl.home import cache_dir
from orchestrl.registry import Registry


class BytesOnlyDisk(diskcache.Disk):
    """A diskcache ``Disk`` that stores ``str`` keys and ``bytes`` values only, never pickles."""

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError(f"cache keys must be strings, not {type(key).__name__}")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise DataError("the cache holds a pickled key, which orchestrl never writes")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if type(value) is not bytes:
            raise TypeError(f"cache values must be bytes, not {type(value).__name__}")
        return super().store(value, read, key=key)

    def fetch(self, mode: int, filename: Any, value: Any, read: bool) -> Any:
        if mode == diskcache.core.MODE_PICKLE:
            raise DataError("the cache holds a pickled value, which orchestrl never writes")
        return super().fetch(mode, filename, value, read)


class DiskCacheBackend(CacheBackend):
    """A diskcache ``Cache`` in ``directory`` (created when missing; None:
    :func:`orchestrl.home.cache_dir`); a writer waits ``timeout_s`` for another process's lock."""

    def __init__(self, directory: str | None = None, timeout_s: float = 60.0) -> None:
        directory = str(cache_dir()) if directory is None else directory
        self.directory = Path(directory)
        try:
            self._cache = diskcache.Cache(
                str(self.directory),
                timeout=timeout_s,
                disk=BytesOnlyDisk,
                eviction_policy="none",
                size_limit=2**62,
                disk_min_file_size=2**20,
                statistics=0,
                tag_index=0,
            )
        except (sqlite3.DatabaseError, OSError) as exc:
            raise DataError(f"cannot open the cache directory '{directory}' ({exc})") from None

    def get(self, key: str) -> bytes | None:
        try:
            return self._cache.get(key, default=None, retry=True)
        except sqlite3.DatabaseError as exc:
            raise DataError(f"the cache in '{self.directory}' is corrupt ({exc})") from None

    def set_many(self, items: Mapping[str, bytes]) -> None:
        with self.transaction():
            for key, value in items.items():
                self._cache.set(key, value, retry=True)

    def delete(self, key: str) -> bool:
        return bool(self._cache.delete(key, retry=True))

    def keys(self) -> Iterator[str]:
        return self._cache.iterkeys()

    def __len__(self) -> int:
        return len(self._cache)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite write transaction: other writers wait; a crash rolls everything back."""
        with self._cache.transact(retry=True):
            yield

    def orphan_files(self) -> list[Path]:
        """Value files in the directory that no entry references (left by a writer killed
        between writing a large value's file and committing its row), sorted. Listed under the
        write lock, so a running writer's uncommitted files are not among them."""
        with self.transaction():
            referenced = {row[0] for row in self._cache._sql(
                "SELECT filename FROM Cache WHERE filename IS NOT NULL")}
            return sorted(path for path in self.directory.glob("*/*/*.val")
                          if path.relative_to(self.directory).as_posix() not in referenced)

    def remove_orphan_files(self) -> tuple[int, int]:
        """Delete :meth:`orphan_files` under the write lock; return (files, bytes) removed."""
        removed = size = 0
        with self.transaction():
            for path in self.orphan_files():
                size += path.stat().st_size
                path.unlink()
                removed += 1
        return removed, size

    def close(self) -> None:
        self._cache.close()


@hookimpl
def orchestrl_register_cache_backend(registry: Registry) -> None:
    registry.add("diskcache", DiskCacheBackend, bind={"directory": "${orchestrl_dir:cache}"})
