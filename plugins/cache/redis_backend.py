"""Cache backend ``redis``: one Redis hash per namespace, shared by processes and machines.

Entries live in the hash ``<namespace>:entries`` (``HGET``/``HMGET``/``HKEYS``; ``HLEN`` counts
them in O(1)). ``set_many`` is one ``MULTI``/``EXEC`` transaction (of ``HSET`` commands of at most
:data:`HSET_BATCH` fields), so it is all-or-nothing however large.
``transaction()`` holds a Redis lock (``<namespace>:lock``), so read-merge-write cycles of
concurrent writers do not interleave. The lock is a short lease (``lock_lease_s``) that a
heartbeat thread renews while the writer runs, so a writer killed with ``kill -9`` blocks the
others for at most one lease; the holder's host, pid and start time sit beside it
(``<namespace>:lock:holder``) and a waiting writer prints who holds the lock and until when.
A writer waits at most ``lock_timeout_s`` for the lock.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

import redis

from orchestrl import hookimpl
from orchestrl.api import CacheBackend
from orchestrl.errors import DataError
from orchestrl.registry import Registry

HSET_BATCH = 2000
"""Fields per ``HSET`` command inside a ``set_many`` transaction."""


DEFAULT_URL = "redis://127.0.0.1:6379/0"


class RedisBackend(CacheBackend):
    """Entries in the Redis hash ``<namespace>:entries`` at ``url`` (None: the environment's
    ``ORCHESTRL_REDIS_URL``, else :data:`DEFAULT_URL`). ``socket_timeout_s`` bounds each
    command; ``lock_timeout_s`` bounds the wait for the write lock; ``lock_lease_s`` is how
    long a dead writer can keep it."""

    def __init__(
        self,
        url: str | None = None,
        namespace: str = "orchestrl",
        socket_timeout_s: float = 10.0,
        lock_timeout_s: float = 120.0,
        lock_lease_s: float = 10.0,
    ) -> None:
        if not lock_lease_s > 0:
            raise DataError(f"cache.lock_lease_s must be > 0, got {lock_lease_s!r}")
        url = url if url is not None else os.environ.get("ORCHESTRL_REDIS_URL", DEFAULT_URL)
        try:
            self._client = redis.Redis.from_url(url, socket_timeout=socket_timeout_s,
                                                socket_connect_timeout=socket_timeout_s)
        except ValueError as exc:
            raise DataError(f"bad redis url '{url}' ({exc})") from None
        self.url = url
        self._hash = f"{namespace}:entries"
        self._lock_name = f"{namespace}:lock"
        self._lock_timeout = lock_timeout_s
        self._lease = lock_lease_s
        self.on_wait: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
        """Called with one line when the lock is held by another writer (and when that changes)."""

    def get(self, key: str) -> bytes | None:
        return self._call(self._client.hget, self._hash, key)

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        keys = list(keys)
        if not keys:
            return {}
        values = self._call(self._client.hmget, self._hash, keys)
        return {k: v for k, v in zip(keys, values, strict=True) if v is not None}

    def set_many(self, items: Mapping[str, bytes]) -> None:
        if not items:
            return
        pipe = self._client.pipeline(transaction=True)
        batch: dict[str, bytes] = {}
        for key, value in items.items():  # bounded commands, one MULTI/EXEC for all
            batch[key] = value
            if len(batch) >= HSET_BATCH:
                pipe.hset(self._hash, mapping=batch)
                batch = {}
        if batch:
            pipe.hset(self._hash, mapping=batch)
        self._call(pipe.execute)

    def delete(self, key: str) -> bool:
        return bool(self._call(self._client.hdel, self._hash, key))

    def keys(self) -> Iterator[str]:
        # HKEYS, not HSCAN: HSCAN's NOVALUES needs redis 7.4, and without it every value
        # would travel too.
        for key in self._call(self._client.hkeys, self._hash):
            yield key.decode("utf-8") if isinstance(key, bytes) else key

    def __len__(self) -> int:
        return int(self._call(self._client.hlen, self._hash))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the namespace's Redis lock for a read-merge-write cycle (lease renewed by a
        heartbeat thread while inside)."""
        lock = self._client.lock(self._lock_name, timeout=self._lease, thread_local=False)
        self._acquire(lock)
        holder = f"{self._lock_name}:holder"
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(lock, holder, stop),
                                name="redis-lock-heartbeat", daemon=True)
        mine = _holder_text()
        try:
            self._call(self._client.set, holder, mine, px=int(self._lease * 1000))
            beat.start()
            yield
        finally:
            stop.set()
            if beat.is_alive():
                beat.join()
            with contextlib.suppress(redis.exceptions.RedisError):
                if self._client.get(holder) == mine.encode():  # not a later holder's
                    self._client.delete(holder)
            # LockError: it expired while held; the write itself was still atomic
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()

    def _acquire(self, lock: redis.lock.Lock) -> None:
        deadline = time.monotonic() + self._lock_timeout
        reported = None
        while not self._call(lock.acquire, blocking=False):
            left = deadline - time.monotonic()
            if left <= 0:
                raise DataError(f"could not lock the redis cache at '{self.url}' "
                                f"within {self._lock_timeout:g} s ({self._holder() or 'unknown'})")
            holder = self._holder()
            who = holder.split(", lease until")[0]
            if holder and who != reported:  # once per holder, not per tick of its lease
                self.on_wait(f"waiting for the redis cache lock at '{self.url}': {holder}")
                reported = who
            time.sleep(min(0.1, left))

    def _holder(self) -> str:
        """Who holds the lock and until when, as one phrase ('' when nobody does)."""
        text = self._call(self._client.get, f"{self._lock_name}:holder")
        ttl_ms = self._call(self._client.pttl, self._lock_name)
        if ttl_ms is None or ttl_ms < 0:
            return ""
        until = time.strftime("%H:%M:%S", time.localtime(time.time() + ttl_ms / 1000))
        who = text.decode("utf-8", "replace") if isinstance(text, bytes) else "a writer"
        return f"held by {who}, lease until {until} unless renewed"

    def _heartbeat(self, lock: redis.lock.Lock, holder: str, stop: threading.Event) -> None:
        """Renew the lease every third of it until ``stop``; give up when the lock is lost."""
        while not stop.wait(self._lease / 3):
            try:
                lock.reacquire()
                self._client.pexpire(holder, int(self._lease * 1000))
            except redis.exceptions.RedisError:
                return

    def close(self) -> None:
        self._client.close()

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except redis.exceptions.ConnectionError as exc:
            raise DataError(f"cannot reach redis at '{self.url}' ({exc})") from None
        except redis.exceptions.TimeoutError:
            raise DataError(f"redis at '{self.url}' did not answer in time") from None


def _holder_text() -> str:
    return f"{socket.gethostname()} pid {os.getpid()} (since {time.strftime('%H:%M:%S')})"


@hookimpl
def orchestrl_register_cache_backend(registry: Registry) -> None:
    registry.add("redis", RedisBackend)
