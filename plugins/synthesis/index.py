"""An in-memory index of cached calls for the constrained search.

Built once from the cache's entries (anything with ``function``, ``arguments``, ``response``
and ``key``), it answers the two questions of the search in O(1): which calls of a function
have argument ``a`` equal to value ``v`` (:meth:`CallIndex.with_value`), and what value sits at
a path in a call's response (:meth:`CallIndex.value_at`, memoised per call and path). Values
are compared in canonical form (:func:`~orchestrl.plugins.synthesis.values.canonical`).

With ``paths`` (function -> response paths), the index keeps only the values at those paths
instead of whole responses (``Call.response`` is then None; fetch it by key from the cache),
which bounds memory on caches of 10^5+ entries. A path that was not kept reads as MISSING.

Calls whose response reports a failure (an ``error`` key or ``status`` false) or is empty are
left out: a synthesized trace is made of successful calls only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, NamedTuple, Protocol

from orchestrl.paths import MISSING, resolve
from orchestrl.plugins.synthesis.mining import format_path, leaves
from orchestrl.plugins.synthesis.values import canonical
from orchestrl.plugins.tools.failure import response_failed


class EntryLike(Protocol):
    """What the index reads from a cache entry."""

    function: str
    arguments: dict[str, Any]
    response: Any
    key: str


class Call(NamedTuple):
    """One indexed call (a named tuple: 10^5 of them with flat arguments and projected
    responses hold nothing the garbage collector has to scan)."""

    function: str
    arguments: dict[str, Any]
    response: Any
    key: str


def usable(response: Any) -> bool:
    """Whether a response is a success worth building on (not empty, no failure report)."""
    if response in (None, "", {}, []):
        return False
    return not response_failed(response)


class CallIndex:
    """Calls by function and by (function, argument, canonical value)."""

    def __init__(self, entries: Iterable[EntryLike], *, exclude_keys: Collection[str] = (),
                 paths: Mapping[str, Collection[str]] | None = None):
        self.calls: list[Call] = []
        self.by_function: dict[str, list[int]] = {}
        self._by_value: dict[tuple[str, str, str], tuple[int, ...]] = {}
        by_value: dict[tuple[str, str, str], list[int]] = {}
        self._paths: dict[tuple[int, str], Any] = {}
        self._arg_keys: list[dict[str, str]] = []
        self._keys: dict[tuple[int, str], str | None] = {}
        self.excluded = 0
        for entry in entries:
            if entry.key in exclude_keys:
                self.excluded += 1
                continue
            if not usable(entry.response):
                continue
            number = len(self.calls)
            if paths is None:
                self.calls.append(Call(entry.function, dict(entry.arguments), entry.response,
                                       entry.key))
            else:
                self.calls.append(Call(entry.function, dict(entry.arguments), None, entry.key))
                for path in paths.get(entry.function, ()):
                    self._paths[(number, path)] = resolve(entry.response, path)
            self.by_function.setdefault(entry.function, []).append(number)
            keys: dict[str, str] = {}
            for path, value in leaves(dict(entry.arguments)):
                key = canonical(value)
                if key is not None:
                    argument = format_path(path)
                    keys[argument] = key
                    by_value.setdefault((entry.function, argument, key), []).append(number)
            self._arg_keys.append(keys)
        for numbers in self.by_function.values():
            numbers.sort(key=lambda n: self.calls[n].key)  # deterministic whatever the order
        # sorted tuples: deterministic, and tuples of ints leave the garbage collector's view
        # (10^5 lists would otherwise be traversed by every full collection of the run)
        self._by_value = {k: tuple(sorted(ns, key=lambda n: self.calls[n].key))
                          for k, ns in by_value.items()}

    def __len__(self) -> int:
        return len(self.calls)

    def with_value(self, function: str, argument: str, value: Any) -> tuple[int, ...]:
        """Calls of ``function`` whose ``argument`` (name or path) is the same as ``value``."""
        key = canonical(value)
        return self._by_value.get((function, argument, key), ()) if key is not None else ()

    def argument_key(self, call: int, argument: str) -> str | None:
        """Canonical value of an argument (name or path) of ``call``, None when absent."""
        return self._arg_keys[call].get(argument)

    def value_at(self, call: int, path: str) -> Any:
        """The value at ``path`` in the response of ``call`` (MISSING when absent)."""
        memo = (call, path)
        found = self._paths.get(memo, self)
        if found is self:
            response = self.calls[call].response
            found = MISSING if response is None else resolve(response, path)
            self._paths[memo] = found
        return found

    def value_key(self, call: int, path: str) -> str | None:
        """Canonical form of :meth:`value_at` (None when missing or not a scalar), memoised."""
        memo = (call, path)
        found = self._keys.get(memo, self)
        if found is self:
            value = self.value_at(call, path)
            found = None if value is MISSING else canonical(value)
            self._keys[memo] = found
        return found  # type: ignore[return-value]

    def values(self, function: str, argument: str) -> dict[str, int]:
        """Canonical values seen for one argument of one function, with their call counts."""
        return {v: len(ns) for (f, a, v), ns in self._by_value.items()
                if f == function and a == argument}


__all__ = ["MISSING", "Call", "CallIndex", "usable"]
