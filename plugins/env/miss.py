"""Miss policies: what the environment answers when the cache has no response for a call.

* ``error`` — a deterministic ``not_found`` result (the paper's behaviour): the same call
  always gets the same message, so rollouts stay reproducible.
* ``strict`` — raise :class:`~orchestrl.errors.CacheMissError`: for CI and data checks, where a
  miss means the data or the cache is incomplete.
* ``live`` — ask a :class:`~orchestrl.plugins.env.live.HttpFetcher` and record the answer in
  the cache with its provenance (URL, time), so the next identical call is a hit. A fetch that
  fails answers ``api_error`` and records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from orchestrl.api import JSON, ErrorKind, ToolResult
from orchestrl.errors import CacheMissError, ConfigError
from orchestrl.plugins.cache.response_cache import ResponseCache, now
from orchestrl.plugins.env.live import FetchError, HttpFetcher
from orchestrl.plugins.tools.failure import response_failed
from orchestrl.plugins.tools.schema import ToolSchema

POLICIES = ("error", "strict", "live")


@dataclass(frozen=True)
class MissOutcome:
    """A miss policy's answer and whether it came from a live fetch."""

    result: ToolResult
    fetched: bool = False


class MissPolicy(Protocol):
    """Answers a call the cache does not hold (``key`` is its canonical key)."""

    def on_miss(self, schema: ToolSchema, arguments: Mapping[str, JSON], key: str,
                cache: ResponseCache) -> MissOutcome: ...


class ErrorOnMiss:
    """A deterministic ``not_found`` result."""

    def on_miss(self, schema: ToolSchema, arguments: Mapping[str, JSON], key: str,
                cache: ResponseCache) -> MissOutcome:
        message = (f"no result found for '{schema.name}' with these arguments; check that "
                   "ids, names and coordinates were copied exactly from earlier results and "
                   "that dates and numbers are right")
        return MissOutcome(ToolResult(False, {"error": message}, ErrorKind.NOT_FOUND, message,
                                      cache_hit=False, key=key))


class StrictOnMiss:
    """Raise CacheMissError naming the key."""

    def on_miss(self, schema: ToolSchema, arguments: Mapping[str, JSON], key: str,
                cache: ResponseCache) -> MissOutcome:
        raise CacheMissError(f"the response cache has no entry for {key}")


class LiveOnMiss:
    """Fetch from the live API and record the response in the cache."""

    def __init__(self, fetcher: HttpFetcher) -> None:
        self.fetcher = fetcher

    def on_miss(self, schema: ToolSchema, arguments: Mapping[str, JSON], key: str,
                cache: ResponseCache) -> MissOutcome:
        try:
            response, url = self.fetcher.fetch(schema, arguments)
        except FetchError as exc:
            return MissOutcome(ToolResult(False, {"error": str(exc)}, ErrorKind.API_ERROR,
                                          str(exc), key=key), fetched=False)
        cache.put(schema.name, arguments, response,
                  {"source": url, "time": now(), "format": "live"})
        ok = not response_failed(response)
        return MissOutcome(ToolResult(ok, response, None if ok else ErrorKind.API_ERROR,
                                      "" if ok else "the API reported a failure", key=key),
                           fetched=True)


def make_miss_policy(name: str, *, live: Mapping[str, object] | None = None) -> MissPolicy:
    """The policy called ``name``; ``live`` holds :class:`HttpFetcher` options for ``live``."""
    if name == "error":
        return ErrorOnMiss()
    if name == "strict":
        return StrictOnMiss()
    if name == "live":
        options = dict(live or {})
        base_url = options.pop("base_url", None)
        if not base_url:
            raise ConfigError("miss policy 'live' needs env.live.base_url")
        try:
            return LiveOnMiss(HttpFetcher(str(base_url), **options))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad live fetcher options: {exc}") from None
    raise ConfigError(f"unknown miss policy '{name}'; available: {', '.join(POLICIES)}")
