"""The response cache: real API responses by canonical call key, over any byte-level backend.

Each key (see :func:`orchestrl.plugins.cache.keys.canonical_key`) holds one record with every
distinct response ever recorded for that call, each with its provenance (where it came from and
when). When a key holds several responses (a *conflict*), :meth:`ResponseCache.lookup` chooses
one deterministically, whatever the order the responses arrived in:

1. responses that do not report a failure (no ``error`` key, ``status`` not false) first;
2. then the response recorded by the most distinct sources;
3. then the smallest digest (sha256 of the response's sorted JSON).

The others are kept as :attr:`CacheEntry.alternatives` and reported by :meth:`conflicts`.
Recording the same response again from a source already listed changes nothing, so imports are
idempotent. Writes merge with what is stored inside the backend's ``transaction()`` when it has
one (the built-in backends do), so concurrent writers never lose each other's responses.

Decoded entries are remembered in a bounded LRU (:mod:`~orchestrl.plugins.cache.lru`) that is
valid only for byte-identical stored values: every lookup reads the backend, so writes by other
processes are seen at once, and only the decoding is saved. Returned entries may therefore be
shared between callers: treat them as read-only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrl.api import JSON, CacheBackend
from orchestrl.plugins.cache.codec import (
    CorruptEntryError,
    decode_record,
    decode_record_sized,
    encode_record,
    response_digest,
)
from orchestrl.plugins.cache.keys import (
    canonical_arguments,
    canonical_json,
    canonical_key,
    key_from_canonical,
    key_function,
)
from orchestrl.plugins.cache.lru import DEFAULT_MAX_BYTES, DecodedLRU
from orchestrl.plugins.tools.failure import response_failed
from orchestrl.plugins.tools.schema import ToolSchema

BATCH = 512


def now() -> str:
    """The current UTC time in ISO 8601, as provenance records it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Alternative:
    """One recorded response of a key, with every provenance that recorded it."""

    response: JSON
    provenance: tuple[dict[str, JSON], ...]
    digest: str


@dataclass(frozen=True)
class CacheEntry:
    """A cached call and the response chosen for it.

    ``arguments`` are canonical (see :mod:`~orchestrl.plugins.cache.keys`); ``provenance``
    lists where the chosen ``response`` was recorded; ``alternatives`` holds the other,
    conflicting responses (empty when there is no conflict).
    """

    function: str
    arguments: dict[str, JSON]
    response: JSON
    provenance: tuple[dict[str, JSON], ...]
    key: str
    alternatives: tuple[Alternative, ...] = ()
    state: JSON = None
    digest: str = ""

    @property
    def responses(self) -> tuple[Alternative, ...]:
        """Every recorded response, the chosen one first."""
        return (Alternative(self.response, self.provenance, self.digest), *self.alternatives)


@dataclass(frozen=True)
class Recording:
    """One response to record: the call, the response and where it came from."""

    function: str
    arguments: Mapping[str, JSON]
    response: JSON
    provenance: Mapping[str, JSON]
    state: JSON = None


@dataclass
class PutStats:
    """What a write changed: new keys, new responses (including conflicts), already known."""

    keys_added: int = 0
    responses_added: int = 0
    unchanged: int = 0


@dataclass
class CacheStats:
    """Summary of a cache: entries, stored bytes and conflicts per function; sources."""

    entries: int = 0
    stored_bytes: int = 0
    responses: int = 0
    conflicts: int = 0
    by_function: dict[str, dict[str, int]] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    corrupt: list[str] = field(default_factory=list)


class ResponseCache:
    """Real responses by canonical call key over ``backend``; ``schemas`` type the keys.

    ``decoded_bytes`` bounds the LRU of decoded entries (decoded JSON bytes; 0 disables it).
    """

    def __init__(self, backend: CacheBackend, schemas: Mapping[str, ToolSchema] | None = None,
                 *, decoded_bytes: int = DEFAULT_MAX_BYTES):
        self.backend = backend
        self.schemas: dict[str, ToolSchema] = dict(schemas or {})
        self.decoded: DecodedLRU[CacheEntry] = DecodedLRU(decoded_bytes)

    # ------------------------------------------------------------------ keys

    def key(self, function: str, arguments: Mapping[str, JSON], state: JSON = None) -> str:
        """The canonical key of a call (typed by this cache's schema of ``function``)."""

        return canonical_key(function, arguments, self.schemas.get(function), state)

    # ------------------------------------------------------------------ reads

    def lookup(
        self, function: str, arguments: Mapping[str, JSON], state: JSON = None
    ) -> CacheEntry | None:
        """The entry answering this call with its deterministically chosen response, or None.

        Raises ValueError when the arguments cannot be keyed (not an object, nested too deep)
        and CorruptEntryError when the stored value is damaged.
        """
        return self.get(self.key(function, arguments, state))

    def get(self, key: str) -> CacheEntry | None:
        """The entry stored under an exact key, or None (decoded once per stored value)."""
        raw = self.backend.get(key)
        if raw is None:
            self.decoded.discard(key)
            return None
        entry = self.decoded.get(key, raw)
        if entry is None:
            record, size = decode_record_sized(key, raw)
            entry = entry_from_record(key, record)
            self.decoded.put(key, raw, entry, size)
        return entry

    def entries(self, function: str | None = None) -> Iterator[CacheEntry]:
        """Every entry (of ``function`` only, when given), in no particular order."""
        for key, raw in self.raw_items(function):
            yield entry_from_record(key, decode_record(key, raw))

    def raw_items(self, function: str | None = None) -> Iterator[tuple[str, bytes]]:
        """``(key, stored bytes)`` pairs, filtered by function name without decoding."""
        batch: list[str] = []
        for key in self.backend.keys():  # noqa: SIM118 - a backend is not iterable
            if function is not None and key_function(key) != function:
                continue
            batch.append(key)
            if len(batch) >= BATCH:
                yield from self.backend.get_many(batch).items()
                batch = []
        if batch:
            yield from self.backend.get_many(batch).items()

    def functions(self) -> list[str]:
        """Sorted names of the functions with at least one entry."""
        keys = self.backend.keys()
        return sorted({key_function(key) for key in keys})

    def __len__(self) -> int:
        return len(self.backend)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.backend.get(key) is not None

    def conflicts(self) -> list[CacheEntry]:
        """Entries whose key holds more than one distinct response, sorted by key."""
        return sorted((e for e in self.entries() if e.alternatives), key=lambda e: e.key)

    def stats(self) -> CacheStats:
        """Entries, bytes and conflicts per function, and responses per source; corrupt keys."""

        stats = CacheStats()
        sources: Counter[str] = Counter()
        for key, raw in self.raw_items():
            name = key_function(key)
            row = stats.by_function.setdefault(name, {"entries": 0, "bytes": 0, "conflicts": 0,
                                                      "responses": 0})
            try:
                record = decode_record(key, raw)
            except CorruptEntryError:
                stats.corrupt.append(key)
                continue
            n = len(record["responses"])
            stats.entries += 1
            stats.stored_bytes += len(raw)
            stats.responses += n
            stats.conflicts += n > 1
            row["entries"] += 1
            row["bytes"] += len(raw)
            row["responses"] += n
            row["conflicts"] += n > 1
            for response in record["responses"]:
                for prov in response["provenance"]:
                    sources[source_file(prov)] += 1
        stats.sources = dict(sources.most_common())
        stats.by_function = dict(sorted(stats.by_function.items()))
        return stats

    # ------------------------------------------------------------------ writes

    def put(
        self,
        function: str,
        arguments: Mapping[str, JSON],
        response: JSON,
        provenance: Mapping[str, JSON] | str,
        state: JSON = None,
    ) -> PutStats:
        """Record one response (see :meth:`put_many`); ``provenance`` may be a source string."""
        if isinstance(provenance, str):
            provenance = {"source": provenance}
        return self.put_many([Recording(function, arguments, response, provenance, state)])

    def put_many(self, recordings: Iterable[Recording]) -> PutStats:
        """Record many responses atomically: all are stored, or (on error or death) none.

        Each provenance gets a ``time`` (now, UTC) unless it has one. Raises ValueError for a
        call that cannot be keyed or a response that is not JSON, before anything is written.
        """
        records: dict[str, dict[str, Any]] = {}
        for rec in recordings:
            name = unicodedata.normalize("NFC", str(rec.function)).strip()
            arguments = canonical_arguments(name, rec.arguments, self.schemas.get(rec.function))
            key = key_from_canonical(name, arguments, rec.state)
            record = records.get(key)
            if record is None:
                record = records[key] = {
                    "function": key_function(key),
                    "arguments": arguments,
                    "state": None if rec.state is None else _canonical_state(rec.state),
                    "responses": [],
                }
            prov = dict(rec.provenance)
            prov.setdefault("source", "unknown")
            prov.setdefault("time", now())
            merge_response(record, rec.response, [prov])
        # encoding first fails on a non-JSON response before anything is written
        encoded = {key: encode_record(record) for key, record in records.items()}
        stats = PutStats()
        with self.transaction():
            stored = self.backend.get_many(list(records))
            out: dict[str, bytes] = {}
            for key, record in records.items():
                if key in stored:
                    merged = decode_record(key, stored[key])
                    before = _size(merged)
                    for resp in record["responses"]:
                        merge_response(merged, resp["response"], resp["provenance"])
                    if _size(merged) == before:
                        stats.unchanged += 1
                        continue
                    stats.responses_added += len(merged["responses"]) - before[0]
                    out[key] = encode_record(merged)
                else:
                    stats.keys_added += 1
                    stats.responses_added += len(record["responses"])
                    out[key] = encoded[key]
            for key in out:
                self.decoded.discard(key)
            if out:
                self.backend.set_many(out)
        return stats

    def delete(self, key: str) -> bool:
        """Remove an entry by key; return whether it existed."""
        self.decoded.discard(key)
        return self.backend.delete(key)

    def close(self) -> None:
        """Close the backend."""
        self.backend.close()

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """The backend's exclusive read-merge-write section (a no-op if it has none)."""
        transaction = getattr(self.backend, "transaction", None)
        return transaction() if callable(transaction) else contextlib.nullcontext()


# ---------------------------------------------------------------------- records


def entry_from_record(key: str, record: dict[str, Any]) -> CacheEntry:
    """Build the entry of a decoded record, choosing its response by the documented rule."""
    responses = record["responses"]
    ranked = responses if len(responses) == 1 else sorted(responses, key=_rank)
    alts = tuple(
        Alternative(r["response"], tuple(r["provenance"]), r["digest"]) for r in ranked[1:]
    )
    best = ranked[0]
    return CacheEntry(
        function=record["function"],
        arguments=record["arguments"],
        response=best["response"],
        provenance=tuple(best["provenance"]),
        key=key,
        alternatives=alts,
        state=record.get("state"),
        digest=best["digest"],
    )


def source_file(provenance: Mapping[str, JSON]) -> str:
    """The file (or origin) part of a provenance source: ``train_101.jsonl:12`` -> the file."""
    source = str(provenance.get("source", "unknown"))
    return source.split("#", 1)[0].rsplit(":", 1)[0] if "://" not in source else source


def _rank(response: dict[str, Any]) -> tuple[bool, int, str]:
    sources = {str(p.get("source")) for p in response["provenance"] if isinstance(p, dict)}
    return (response_failed(response["response"]), -len(sources), response["digest"])


def merge_response(record: dict[str, Any], response: JSON, provenance: list[dict]) -> None:
    """Add ``response`` to a decoded record, or add unseen provenance to its existing copy."""
    digest = response_digest(response)
    for existing in record["responses"]:
        if existing["digest"] == digest:
            known = {str(p.get("source")) for p in existing["provenance"]}
            for prov in provenance:
                if str(prov.get("source")) not in known:
                    existing["provenance"].append(prov)
                    known.add(str(prov.get("source")))
            return
    record["responses"].append(
        {"response": response, "digest": digest, "provenance": list(provenance)}
    )


def _size(record: dict[str, Any]) -> tuple[int, int]:
    return len(record["responses"]), sum(len(r["provenance"]) for r in record["responses"])


def _canonical_state(state: JSON) -> JSON:
    import json

    return json.loads(canonical_json(state))
