"""Gold observations: the item's own responses, else the response cache by canonical key.

A gold call's observation is the response the benchmark recorded for it. Trace files leave
many of them empty (``""``); those are looked up in the response cache by the call's canonical
key (:meth:`~orchestrl.plugins.cache.response_cache.ResponseCache.lookup`). What is still
missing is reported per item by the protocol, never invented.

The same cache answers "what would this predicted call have returned?" for the
response-equivalence stage of matching (:meth:`GoldObservations.predicted`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from orchestrl.api import JSON, GoldStep
from orchestrl.plugins.cache.response_cache import ResponseCache


class GoldObservations:
    """Looks up gold and predicted responses; ``cache`` may be None (item responses only)."""

    def __init__(self, cache: ResponseCache | None) -> None:
        self.cache = cache
        self._lock = threading.Lock()

    def gold(self, step: GoldStep) -> tuple[JSON, str]:
        """``(response, source)`` of a gold step: source ``item``, ``cache`` or ``missing``."""
        if step.response is not None:
            return step.response, "item"
        found = self.predicted(step.function, step.arguments)
        return (found, "cache") if found is not None else (None, "missing")

    def predicted(self, function: str, arguments: Mapping[str, JSON]) -> JSON:
        """The cached response of a call (keyed by the cache's own schemas), or None."""
        if self.cache is None:
            return None
        try:
            with self._lock:
                entry = self.cache.lookup(function, arguments)
        except ValueError:
            return None
        return None if entry is None else entry.response
