"""Cache backend ``redis``: one Redis hash per namespace, shared by processes and machines.

Entries live in the hash ``<namespace>:entries`` (``HGET``/``HMGET``/``HKEYS``; ``HLEN`` counts
them in O(1)). ``set_many`` is one ``MULTI``/``EXEC`` transaction (of ``HSET`` commands of at most
:data:`HSET_BATCH` fields), so it is all-or-nothing however large.
``transaction()`` holds a Redis lock (``<namespace>:lock``, expiring after ``lock_timeout_s`` so
a dead writer cannot block the others for ever), so read-merge-write cycles of concurrent
writers do not interleave.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from orchestrl import hookimpl
from orchestrl.api import CacheBackend
from orchestrl.errors import DataError
from orchestrl.registry import Registry

HSET_BATCH = 2000
"""Fields per ``HSET`` command inside a ``set_many`` transaction."""


@dataclass
class RedisConfig:
    """Server URL, key namespace, and timeouts."""

    url: str = "${oc.env:ORCHESTRL_REDIS_URL,redis://127.0.0.1:6379/0}"
    namespace: str = "orchestrl"
    socket_timeout_s: float = 10.0
    lock_timeout_s: float = 120.0


class RedisBackend(CacheBackend):
    """Entries in the Redis hash ``<namespace>:entries`` at ``url``."""

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        namespace: str = "orchestrl",
        socket_timeout_s: float = 10.0,
        lock_timeout_s: float = 120.0,
    ) -> None:
        try:
            self._client = redis.Redis.from_url(url, socket_timeout=socket_timeout_s,
                                                socket_connect_timeout=socket_timeout_s)
        except ValueError as exc:
            raise DataError(f"bad redis url '{url}' ({exc})") from None
        self.url = url
        self._hash = f"{namespace}:entries"
        self._lock_name = f"{namespace}:lock"
        self._lock_timeout = lock_timeout_s

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
        """Hold the namespace's Redis lock for a read-merge-write cycle."""
        lock = self._client.lock(self._lock_name, timeout=self._lock_timeout,
                                 blocking_timeout=self._lock_timeout)
        if not self._call(lock.acquire):
            raise DataError(f"could not lock the redis cache at '{self.url}' "
                            f"within {self._lock_timeout:g} s")
        try:
            yield
        finally:
            # LockError: it expired while held; the write itself was still atomic
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()

    def close(self) -> None:
        self._client.close()

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except redis.exceptions.ConnectionError as exc:
            raise DataError(f"cannot reach redis at '{self.url}' ({exc})") from None
        except redis.exceptions.TimeoutError:
            raise DataError(f"redis at '{self.url}' did not answer in time") from None


@hookimpl
def orchestrl_register_cache_backend(registry: Registry) -> None:
    registry.add("redis", RedisBackend, config=RedisConfig)
