"""Cache backend ``memory``: a dict in this process, for tests and throwaway runs.

Nothing outlives the process. A lock makes ``set_many`` atomic and ``transaction()``
exclusive across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from orchestrl import hookimpl
from orchestrl.api import CacheBackend
from orchestrl.registry import Registry


class MemoryBackend(CacheBackend):
    """Keys and values in a dict guarded by a re-entrant lock."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.RLock()

    def get(self, key: str) -> bytes | None:
        return self._data.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        data = self._data
        return {k: data[k] for k in keys if k in data}

    def set_many(self, items: Mapping[str, bytes]) -> None:
        checked = {str(k): bytes(v) for k, v in items.items()}
        with self._lock:
            self._data.update(checked)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._data.pop(key, None) is not None

    def keys(self) -> Iterator[str]:
        with self._lock:
            snapshot = list(self._data)
        return iter(snapshot)

    def __len__(self) -> int:
        return len(self._data)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock: reads and writes inside are not interleaved with other threads'."""
        with self._lock:
            yield


@hookimpl
def orchestrl_register_cache_backend(registry: Registry) -> None:
    registry.add("memory", MemoryBackend)
