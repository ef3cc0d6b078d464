"""A bounded LRU of decoded cache entries, validated by the stored bytes.

Decoding a record (zlib, then JSON) costs up to milliseconds for the largest real responses,
far more than fetching its bytes. :class:`DecodedLRU` keeps recently decoded entries together
with the exact stored bytes they were decoded from.

The validity rule: a remembered entry is returned only when the backend has just returned
*byte-identical* stored bytes for its key (``raw is remembered or raw == remembered``).
Every lookup still reads the key from the backend, so a write by any writer -- this process,
another process, another machine sharing a redis -- is seen at the very next lookup; the LRU
only saves the decoding. Writes and deletes through this process's cache also drop the key
(:meth:`discard`), which frees the memory early.

The bound is on the size of the decoded JSON text of the remembered entries (``max_bytes``;
Python objects take a few times more); an entry larger than a quarter of the bound is never
remembered, so one huge response cannot flush everything else. ``max_bytes=0`` disables it.

Entries are shared between callers: treat a returned entry's ``response`` and ``arguments`` as
read-only (the cache's own callers never mutate them). Thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_MAX_BYTES = 32 * 2**20


@dataclass
class LRUStats:
    """Lookups answered from memory (``hits``), decoded (``misses``), of which ``stale``
    because the stored bytes had changed since they were remembered."""

    hits: int = 0
    misses: int = 0
    stale: int = 0
    entries: int = 0
    bytes: int = 0


class DecodedLRU(Generic[T]):
    """Decoded values by key, each valid only for the stored bytes it came from."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must not be negative, got {max_bytes}")
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[bytes, T, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._hits = self._misses = self._stale = 0

    def get(self, key: str, raw: bytes) -> T | None:
        """The value remembered for ``key`` if it was decoded from exactly ``raw``, else None."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                stored, value, size = found
                if stored is raw or stored == raw:
                    self._items.move_to_end(key)
                    self._hits += 1
                    return value
                self._stale += 1
                del self._items[key]
                self._bytes -= size
            self._misses += 1
            return None

    def put(self, key: str, raw: bytes, value: T, size: int) -> None:
        """Remember ``value`` decoded from ``raw`` (``size``: its decoded bytes)."""
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._items[key] = (raw, value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, _, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def discard(self, key: str) -> None:
        """Forget ``key`` (after a write or delete of it)."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def stats(self) -> LRUStats:
        """Counts so far and the current size."""
        with self._lock:
            return LRUStats(self._hits, self._misses, self._stale, len(self._items), self._bytes)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def keys(self) -> list[str]:
        """Remembered keys, least recently used first."""
        with self._lock:
            return list(self._items)
