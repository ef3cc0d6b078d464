"""The response cache on the real Booking responses, over every backend."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from orchestrl.plugins.cache.codec import response_digest
from orchestrl.plugins.cache.importers import import_booking_dir, import_file
from orchestrl.plugins.cache.response_cache import Recording, ResponseCache
from orchestrl.plugins.tools.failure import response_failed


def raw_triples(booking_dir: Path, names: tuple[str, ...] = ("train_101.jsonl", "eval_80.jsonl")
                ) -> list[tuple[str, dict, object]]:
    """(function, arguments, response) of every trace step with a known response, read raw."""
    triples = []
    for name in names:
        for line in (booking_dir / name).read_text(encoding="utf-8").splitlines():
            for step in json.loads(line)["steps"]:
                response = step["execution_result"]["execution_result"]
                if response not in ("", None):
                    truth = step["ground_truth"]
                    triples.append((truth["function"], truth["arguments"], response))
    return triples


def test_seeded_cache_answers_every_real_call_with_its_real_responses(
    backend_factory, schemas, booking_dir
):
    cache = ResponseCache(backend_factory(), schemas)
    import_booking_dir(cache, booking_dir)
    expected: dict[str, set[str]] = defaultdict(set)
    for function, arguments, response in raw_triples(booking_dir):
        entry = cache.lookup(function, arguments)
        assert entry is not None, (function, arguments)
        assert response_digest(response) in {alt.digest for alt in entry.responses}
        expected[entry.key].add(response_digest(response))
    assert len(cache) == len(expected)
    assert 400 <= len(cache) <= 500  # "about 450 distinct pairs" (README)
    conflicted = {key for key, digests in expected.items() if len(digests) > 1}
    assert {entry.key for entry in cache.conflicts()} == conflicted
    for entry in cache.conflicts():
        assert len(entry.alternatives) + 1 == len(expected[entry.key])
    assert sorted(cache.functions()) == cache.functions()
    assert set(cache.functions()) <= set(schemas)


def test_reimport_is_idempotent_and_choice_ignores_import_order(backend_factory, schemas,
                                                               booking_dir):
    from orchestrl.plugins.cache.memory_backend import MemoryBackend

    forward = ResponseCache(backend_factory(), schemas)
    import_booking_dir(forward, booking_dir)
    again = import_booking_dir(forward, booking_dir)
    assert all(r.keys_added == 0 and r.responses_added == 0 for r in again)
    backward = ResponseCache(MemoryBackend(), schemas)
    import_file(backward, booking_dir / "eval_80.jsonl")
    import_file(backward, booking_dir / "train_101.jsonl")
    chosen = {e.key: e.digest for e in forward.entries()}
    assert chosen == {e.key: e.digest for e in backward.entries()}


def test_choice_prefers_success_then_more_sources(schemas):
    from orchestrl.plugins.cache.memory_backend import MemoryBackend

    cache = ResponseCache(MemoryBackend(), schemas)
    call = ("Search_Car_Location", {"query": "Zurich Airport"})
    failure = {"status": False, "message": "Something went wrong"}
    one = {"status": True, "message": "Success", "data": [{"name": "one"}]}
    two = {"status": True, "message": "Success", "data": [{"name": "two"}]}
    cache.put(*call, failure, "a.jsonl:1")
    cache.put(*call, failure, "a.jsonl:2")
    cache.put(*call, failure, "a.jsonl:3")
    cache.put(*call, one, "b.jsonl:1")
    assert cache.lookup(*call).response == one
    cache.put(*call, two, "c.jsonl:1")
    cache.put(*call, two, "c.jsonl:2")
    entry = cache.lookup(*call)
    assert entry.response == two
    assert [source["source"] for source in entry.provenance] == ["c.jsonl:1", "c.jsonl:2"]
    assert [alt.response for alt in entry.alternatives] == [one, failure]
    assert response_failed(failure) and not response_failed(two)


def test_put_many_rejects_non_json_before_writing_anything(schemas):
    from orchestrl.plugins.cache.memory_backend import MemoryBackend

    cache = ResponseCache(MemoryBackend(), schemas)
    good = Recording("Search_Car_Location", {"query": "Geneva"}, {"data": []}, {"source": "t"})
    bad = Recording("Search_Car_Location", {"query": "Bern"}, {"data": {1, 2}}, {"source": "t"})
    with pytest.raises(ValueError, match="not JSON"):
        cache.put_many([good, bad])
    assert len(cache) == 0


def test_state_component_separates_entries(schemas):
    from orchestrl.plugins.cache.memory_backend import MemoryBackend

    cache = ResponseCache(MemoryBackend(), schemas)
    args = {"query": "Geneva"}
    cache.put("Search_Car_Location", args, {"data": ["before"]}, "s", state={"booked": False})
    cache.put("Search_Car_Location", args, {"data": ["after"]}, "s", state={"booked": True})
    assert cache.lookup("Search_Car_Location", args) is None
    assert cache.lookup("Search_Car_Location", args, {"booked": True}).response == {
        "data": ["after"]}
    assert len(cache) == 2


def test_stats_counts_entries_conflicts_bytes_and_sources(schemas, booking_dir):
    from orchestrl.plugins.cache.memory_backend import MemoryBackend

    cache = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(cache, booking_dir)
    stats = cache.stats()
    assert stats.entries == len(cache)
    assert stats.conflicts == len(cache.conflicts())
    assert sum(row["entries"] for row in stats.by_function.values()) == stats.entries
    for name in ("train_101.jsonl", "eval_80.jsonl"):
        assert stats.sources[name] == len(raw_triples(booking_dir, (name,)))
    raw_bytes = sum(len(json.dumps(r)) for _, _, r in raw_triples(booking_dir))
    assert stats.stored_bytes < raw_bytes / 3  # compressed JSON
