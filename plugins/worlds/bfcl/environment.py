"""The BFCL tool environment: stateful backends behind the response cache.

One episode = one task: :meth:`BfclEnvironment.reset` forgets the previous episode's backends.
A call is answered from the cache when its key is there, otherwise (``miss_policy="live"``)
by the real backend, and the answer is recorded. The miss policies are the env node's:
``live`` executes and records, ``error`` answers a ``not_found`` error, ``strict`` raises
:class:`~orchestrl.errors.CacheMissError`. Without a cache every call is live.

Cache keys of a stateful world need the state: a response depends on every call before it.
The key's state component (``canonical_key(..., state=...)``) is ``bfcl:<digest>`` where the
digest chains

    s0 = sha256(exact JSON of {classes, initial_config, long_context})
    s(k+1) = sha256(s(k) + exact JSON of call k)      (every call answered, errors included)

and the key of call k also hashes the exact JSON of call k itself. "Exact" means Python's
``json.dumps`` with sorted keys, which keeps ``2`` and ``2.0`` apart: BFCL's backends answer
them differently (``"50"`` versus ``"50.0"``), while the cache's canonical arguments merge them.

Cache hits do not touch the backends. On a miss after hits, fresh backends are built and the
episode's earlier calls replayed on them (lazily, once), so the live answer is the one the
backends give in the state the key describes. The stored response is BFCL's exact response
string; :class:`~orchestrl.api.ToolResult` ``content`` is that string parsed when it is a JSON
object (BFCL writes dict results with ``json.dumps``), else the string itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from orchestrl.api import JSON, CacheBackend, ErrorKind, Task, ToolCall, ToolResult
from orchestrl.errors import CacheMissError, ConfigError
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.tools.failure import response_failed
from orchestrl.plugins.worlds.bfcl.checker import new_backends
from orchestrl.plugins.worlds.bfcl.entries import BfclEntry
from orchestrl.plugins.worlds.bfcl.executor import ERROR_PREFIX, BfclBackends
from orchestrl.plugins.worlds.bfcl.tasks import task_to_entry

MISS_POLICIES = ("live", "error", "strict")
SOURCE = "bfcl:live"


def exact_json(value: JSON) -> str:
    """Sorted-key JSON that keeps ints and floats apart (``2`` versus ``2.0``)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def initial_state(entry: BfclEntry) -> str:
    """s0: the digest of the scenario's classes, initial configuration and context mode."""
    scenario = {
        "classes": entry.involved_classes,
        "initial_config": entry.initial_config,
        "long_context": entry.long_context,
    }
    return hashlib.sha256(exact_json(scenario).encode("utf-8")).hexdigest()


def next_state(state: str, name: str, arguments: dict[str, JSON]) -> str:
    """s(k+1) from s(k) and call k."""
    text = state + "\n" + exact_json([name, arguments])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def result_of(response: str, *, cache_hit: bool, key: str | None) -> ToolResult:
    """The ToolResult of a BFCL response string (see the module doc for ``content``)."""
    content: JSON = response
    if response.startswith("{"):
        try:
            parsed = json.loads(response)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            content = parsed
    if response.startswith(ERROR_PREFIX):
        kind = ErrorKind.UNKNOWN_TOOL if "is not defined" in response else ErrorKind.API_ERROR
        if "unexpected keyword argument" in response:
            kind = ErrorKind.UNKNOWN_PARAMETER
        elif "missing" in response and "required" in response:
            kind = ErrorKind.MISSING_REQUIRED
        return ToolResult(False, content, kind, response, cache_hit, key)
    if response_failed(content):
        message = str(content.get("error", content))
        return ToolResult(False, content, ErrorKind.API_ERROR, message, cache_hit, key)
    return ToolResult(True, content, None, "", cache_hit, key)


def bfcl_cache(cache: Any) -> Any:
    """A response cache fit for BFCL from what a run loop passes: None stays None; a byte
    backend or a cache with schemas becomes a schema-less ResponseCache over the same backend
    (BFCL keys carry a ``bfcl:`` state, so they never collide with other worlds' keys)."""

    if cache is None:
        return None
    if isinstance(cache, CacheBackend):
        return ResponseCache(cache)
    if getattr(cache, "schemas", None):
        return ResponseCache(cache.backend)
    return cache


class BfclEnvironment:
    """A :class:`~orchestrl.api.ToolEnvironment` over BFCL's backends and a response cache.

    ``cache`` is a :class:`~orchestrl.plugins.cache.response_cache.ResponseCache` built
    without schemas (BFCL's types must not be coerced), or None for live execution only.
    """

    def __init__(self, cache: Any = None, *, miss_policy: str = "live", record: bool = True):
        if miss_policy not in MISS_POLICIES:
            raise ConfigError(
                f"bfcl miss policy '{miss_policy}' is not one of {', '.join(MISS_POLICIES)}"
            )
        if cache is not None and getattr(cache, "schemas", None):
            raise ConfigError("the bfcl environment needs a response cache without schemas")
        self.cache = cache
        self.miss_policy = miss_policy
        self.record = record
        self.entry: BfclEntry | None = None
        self.history: list[ToolCall] = []
        self.state = ""
        self.hits = 0
        self.misses = 0
        self._backends: BfclBackends | None = None
        self._applied = 0

    def reset(self, task: Task | None = None) -> None:
        """Start an episode of ``task`` (a task of :mod:`orchestrl.plugins.worlds.bfcl.tasks`)."""
        self.entry = task_to_entry(task) if task is not None else None
        self.history = []
        self.state = initial_state(self.entry) if self.entry is not None else ""
        self._backends = None
        self._applied = 0

    @property
    def backends(self) -> BfclBackends:
        """The live backends, brought up to date with every call of the episode."""
        if self.entry is None:
            raise ConfigError("the bfcl environment has no episode; call reset(task) first")
        if self._backends is None:
            self._backends = new_backends(self.entry)
            self._applied = 0
        for call in self.history[self._applied :]:
            self._backends.execute(call)
        self._applied = len(self.history)
        return self._backends

    def key_state(self, name: str, arguments: dict[str, JSON]) -> str:
        """The key's state component for this call in the current state."""
        return "bfcl:" + next_state(self.state, name, arguments)

    def call(self, name: str, arguments: dict[str, JSON]) -> ToolResult:
        """Answer one call (cache first, then the backend by the miss policy)."""
        if self.entry is None:
            raise ConfigError("the bfcl environment has no episode; call reset(task) first")
        try:
            key_state = self.key_state(name, arguments)
        except (TypeError, ValueError, RecursionError) as exc:
            message = f"arguments of '{name[:64]}' are not plain JSON: {exc}"
            return ToolResult(False, {"error": message}, ErrorKind.INVALID_VALUE, message)
        key = None
        if self.cache is not None:
            try:
                key = self.cache.key(name, arguments, key_state)
                found = self.cache.lookup(name, arguments, key_state)
            except ValueError as exc:
                message = f"arguments of '{name[:64]}' cannot be keyed: {exc}"
                return ToolResult(False, {"error": message}, ErrorKind.INVALID_VALUE, message)
            if found is not None and isinstance(found.response, str):
                self._advance(name, arguments)
                self.hits += 1
                return result_of(found.response, cache_hit=True, key=key)
            if self.miss_policy == "strict":
                raise CacheMissError(f"no cached bfcl response for {name} in state {key_state}")
            if self.miss_policy == "error":
                message = f"no cached response for '{name[:64]}' in this state"
                return ToolResult(False, {"error": message}, ErrorKind.NOT_FOUND, message,
                                  key=key)
        response = self.backends.execute(ToolCall(name, dict(arguments)))
        self._advance(name, arguments)
        self._applied += 1
        self.misses += 1
        if self.cache is not None and self.record:
            provenance = {"source": f"{SOURCE}:{self.entry.id}"}
            self.cache.put(name, arguments, response, provenance, state=key_state)
        return result_of(response, cache_hit=False, key=key)

    def _advance(self, name: str, arguments: dict[str, JSON]) -> None:
        self.history.append(ToolCall(name, json.loads(exact_json(arguments))))
        self.state = next_state(self.state, name, arguments)
