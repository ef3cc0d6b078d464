"""The decoded-entry LRU of the response cache, and bulk writes: reuse, invalidation on local
writes, visibility of other writers' (and other processes') writes, the bound, atomicity."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from orchestrl.plugins.cache.lru import DecodedLRU
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.perturb import perturbed_recordings
from orchestrl.plugins.cache.response_cache import Recording, ResponseCache


def largest(real_entries):
    return max(real_entries, key=lambda e: len(str(e.response)))


def test_repeated_lookups_decode_once_and_local_writes_invalidate(schemas, real_entries):
    cache = ResponseCache(MemoryBackend(), schemas)
    cache.put_many(Recording(e.function, e.arguments, e.response, {"source": "seed"})
                   for e in real_entries)
    big = largest(real_entries)
    first = cache.lookup(big.function, big.arguments)
    assert cache.lookup(big.function, big.arguments) is first  # remembered, not decoded again
    assert cache.decoded.stats().hits == 1
    changed = {"status": True, "data": ["a different real-looking answer"]}
    cache.put(big.function, big.arguments, changed, "later")
    after = cache.lookup(big.function, big.arguments)
    assert after is not first
    assert changed in [alt.response for alt in after.responses]
    cache.delete(big.key)
    assert cache.lookup(big.function, big.arguments) is None
    assert big.key not in cache.decoded


def test_another_writer_is_seen_at_the_next_lookup(backend_factory, schemas, real_entries):
    reader = ResponseCache(backend_factory(), schemas)
    writer = ResponseCache(backend_factory(), schemas)  # a second connection to the same store
    entry = largest(real_entries)
    writer.put(entry.function, entry.arguments, entry.response, "seed")
    seen = reader.lookup(entry.function, entry.arguments)
    assert reader.lookup(entry.function, entry.arguments) is seen
    failure = {"status": False, "message": "quota exceeded"}
    writer.put(entry.function, entry.arguments, failure, "other-writer")
    updated = reader.lookup(entry.function, entry.arguments)
    assert [alt.response for alt in updated.alternatives] == [failure]
    assert reader.decoded.stats().stale == 1
    # a write of the same bytes by anyone keeps the remembered entry valid
    writer.put(entry.function, entry.arguments, failure, "other-writer")
    assert reader.lookup(entry.function, entry.arguments) is updated


OTHER_PROCESS = textwrap.dedent("""
    import json, sys
    from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend
    from orchestrl.plugins.cache.response_cache import ResponseCache
    from orchestrl.plugins.tools.schema import load_schemas

    cache = ResponseCache(DiskCacheBackend(sys.argv[1]), load_schemas(sys.argv[2]))
    cache.put(sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5]), "other-process")
    cache.close()
""")


def test_a_write_by_another_process_is_not_masked(tmp_path, schemas, booking_dir,
                                                   real_entries):
    import json

    from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend

    directory = str(tmp_path / "c")
    cache = ResponseCache(DiskCacheBackend(directory), schemas)
    entry = largest(real_entries)
    cache.put(entry.function, entry.arguments, entry.response, "seed")
    assert cache.lookup(entry.function, entry.arguments) is cache.lookup(entry.function,
                                                                          entry.arguments)
    newer = {"status": True, "data": {"written": "by another process"}}
    subprocess.run([sys.executable, "-c", OTHER_PROCESS, directory, str(booking_dir),
                    entry.function, json.dumps(entry.arguments), json.dumps(newer)], check=True)
    found = cache.lookup(entry.function, entry.arguments)
    assert newer in [alt.response for alt in found.responses]
    assert {p["source"] for alt in found.responses for p in alt.provenance} == {
        "seed", "other-process"}
    cache.close()


def test_the_bound_evicts_least_recently_used_and_skips_huge_entries(schemas, real_entries):
    cache = ResponseCache(MemoryBackend(), schemas, decoded_bytes=200_000)
    cache.put_many(Recording(e.function, e.arguments, e.response, {"source": "seed"})
                   for e in real_entries)
    for entry in real_entries:
        cache.get(entry.key)
    stats = cache.decoded.stats()
    assert 0 < stats.bytes <= 200_000
    assert 0 < stats.entries < len(real_entries)
    remembered = cache.decoded.keys()
    assert remembered == [e.key for e in real_entries if e.key in cache.decoded]  # LRU order
    small = min(real_entries[: len(real_entries) // 2], key=lambda e: len(str(e.response)))
    assert small.key not in cache.decoded  # evicted by later ones
    cache.get(small.key)
    assert cache.decoded.keys()[-1] == small.key
    huge = largest(real_entries)
    cache.get(huge.key)
    assert huge.key not in cache.decoded  # over a quarter of the bound
    off = ResponseCache(cache.backend, schemas, decoded_bytes=0)
    off.get(real_entries[0].key)
    assert len(off.decoded) == 0
    with pytest.raises(ValueError, match="negative"):
        DecodedLRU(-1)


def test_bulk_put_merges_with_stored_and_counts_what_changed(
    backend_factory, schemas, real_entries
):
    cache = ResponseCache(backend_factory(), schemas)
    first = list(perturbed_recordings(real_entries, 1000, tag="m"))
    assert cache.put_many(first).keys_added == 1000
    clash = [Recording(r.function, r.arguments, {"wrapped": r.response}, {"source": "second"})
             for r in first[:400]]
    fresh = list(perturbed_recordings(real_entries, 600, tag="n"))
    stats = cache.put_many(clash + fresh)
    assert (stats.keys_added, stats.responses_added, stats.unchanged) == (600, 1000, 0)
    assert len(cache) == 1600
    assert len(cache.conflicts()) == 400
    assert cache.put_many(clash + fresh).unchanged == 1000  # idempotent


def test_bulk_put_is_all_or_nothing_when_a_late_record_cannot_be_stored(schemas, real_entries):
    cache = ResponseCache(MemoryBackend(), schemas)
    good = list(perturbed_recordings(real_entries, 500, tag="a"))
    last = good[-1]
    bad = Recording(last.function, {**last.arguments, "extra": "x"}, last.response,
                    {"source": "bad", "when": {1, 2}})  # provenance is not JSON
    with pytest.raises(ValueError, match="not JSON"):
        cache.put_many([*good, bad])
    assert len(cache) == 0
