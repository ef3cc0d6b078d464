"""The cached environment on the real Booking data: replay, validation, miss policies, counters."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from orchestrl.api import ErrorKind, ToolEnvironment
from orchestrl.errors import CacheMissError
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.env.environment import CachedEnvironment
from orchestrl.plugins.tools.schema import load_schemas
from orchestrl.plugins.worlds.booking.data import load_tasks


def same(a, b) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_replaying_every_gold_trace_returns_its_own_real_responses(seeded, booking_dir):
    schemas, cache = seeded
    env = CachedEnvironment(schemas, cache)
    assert isinstance(env, ToolEnvironment)
    tasks = [t for name in ("train_101.jsonl", "eval_80.jsonl")
             for t in load_tasks(booking_dir / name, {})]
    answered = 0
    for task in tasks:
        env.reset(task)
        for step in task.steps:
            result = env.call(step.function, step.arguments)
            if step.response is None:
                continue
            answered += 1
            assert result.cache_hit and same(result.content, step.response), step
    run = env.counters.run
    unknown = sum(s.response is None for t in tasks for s in t.steps)
    assert run.calls == sum(len(t.steps) for t in tasks)
    assert run.misses <= unknown and run.hits + run.misses == run.calls
    assert env.counters.episodes == len(tasks)
    assert env.counters.episode.calls == len(tasks[-1].steps)
    assert answered > 500


def test_without_the_task_conflicts_get_the_deterministic_choice(seeded):
    schemas, cache = seeded
    entry = next(e for e in cache.conflicts() if not e.state)
    env = CachedEnvironment(schemas, cache)
    env.reset()
    assert same(env.call(entry.function, entry.arguments).content, entry.response)


def test_validation_errors_are_results_with_kinds_and_counted(seeded):
    schemas, cache = seeded
    env = CachedEnvironment(schemas, cache)
    env.reset()
    cases = {
        ErrorKind.UNKNOWN_TOOL: ("Search_Hotel", {"dest_id": "1"}),
        ErrorKind.MISSING_REQUIRED: ("Search_Car_Location", {}),
        ErrorKind.UNKNOWN_PARAMETER: ("Search_Car_Location", {"query": "Bern", "city": "Bern"}),
        ErrorKind.WRONG_TYPE: ("Search_Car_Location", {"query": ["Bern"]}),
        ErrorKind.INVALID_VALUE: ("Search_Car_Location", {"query": "x" * 100_000}),
    }
    for kind, (name, arguments) in cases.items():
        result = env.call(name, arguments)
        assert (result.ok, result.error_kind) == (False, kind), result
        assert result.content == {"error": result.message} and result.message
    assert "Search_Hotels" in env.call("Search_Hotel", {}).message  # suggests the real name
    assert env.call(None, "nonsense").error_kind == ErrorKind.UNKNOWN_TOOL  # type: ignore[arg-type]
    assert env.counters.episode.validation_errors == len(cases) + 2
    assert env.counters.episode.hits == 0


def test_numbers_given_as_strings_hit_the_cache(seeded):
    schemas, cache = seeded
    entry = next(e for e in cache.entries()
                 if any(schemas[e.function].param_type(k) == "number" for k in e.arguments))
    as_strings = {k: str(v) if schemas[e.function].param_type(k) == "number" else v
                  for k, v in entry.arguments.items()} if (e := entry) else {}
    assert as_strings != entry.arguments
    assert CachedEnvironment(schemas, cache).call(entry.function, as_strings).cache_hit


def test_cached_failure_is_an_api_error(seeded):
    schemas, _ = seeded
    cache = ResponseCache(MemoryBackend(), schemas)
    failure = {"status": False, "message": "Invalid slug"}
    cache.put("Get_Attraction_Details", {"slug": "nope"}, failure, "test")
    result = CachedEnvironment(schemas, cache).call("Get_Attraction_Details", {"slug": "nope"})
    assert (result.ok, result.error_kind, result.cache_hit) == (False, ErrorKind.API_ERROR, True)
    assert "Invalid slug" in result.message


def test_error_and_strict_miss_policies(seeded):
    schemas, cache = seeded
    call = ("Search_Car_Location", {"query": "Nowhere at all"})
    first = CachedEnvironment(schemas, cache, "error").call(*call)
    again = CachedEnvironment(schemas, cache, "error").call(*call)
    assert first == again and first.error_kind == ErrorKind.NOT_FOUND and not first.ok
    strict = CachedEnvironment(schemas, cache, "strict")
    with pytest.raises(CacheMissError, match="Nowhere at all"):
        strict.call(*call)


class FakeBooking(BaseHTTPRequestHandler):
    """A local HTTP API: answers /api/v1/cars/searchDestination, slowly for 'slow'."""

    requests: ClassVar[list[tuple[float, str]]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        FakeBooking.requests.append((time.monotonic(), self.path))
        query = parse_qs(url.query).get("query", [""])[0]
        if query == "slow":
            time.sleep(1.5)
        if url.path != "/api/v1/cars/searchDestination" or query == "broken":
            self.send_response(500)
            self.end_headers()
            return
        body = json.dumps({"status": True, "message": "Success",
                           "data": [{"name": query, "key": self.headers.get("X-Key")}]})
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout case)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def live_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBooking)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeBooking.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_live_policy_fetches_records_with_provenance_rate_limits_and_times_out(
    live_server, booking_dir
):
    schemas = load_schemas(booking_dir)
    assert schemas["Search_Car_Location"].endpoint == "/api/v1/cars/searchDestination"
    cache = ResponseCache(MemoryBackend(), schemas)
    env = CachedEnvironment(schemas, cache, "live", live={
        "base_url": live_server, "headers": {"X-Key": "secret"}, "timeout_s": 0.5,
        "min_interval_s": 0.2})
    first = env.call("Search_Car_Location", {"query": "Bern"})
    assert first.ok and first.content["data"] == [{"name": "Bern", "key": "secret"}]
    entry = cache.lookup("Search_Car_Location", {"query": "Bern"})
    assert entry.provenance[0]["source"].startswith(live_server + "/api/v1/cars/")
    assert entry.provenance[0]["format"] == "live" and entry.provenance[0]["time"]
    again = env.call("Search_Car_Location", {"query": "Bern"})
    assert again.cache_hit and len(FakeBooking.requests) == 1  # recorded, not refetched
    env.call("Search_Car_Location", {"query": "Basel"})
    gap = FakeBooking.requests[1][0] - FakeBooking.requests[0][0]
    assert gap >= 0.19  # rate limited
    slow = env.call("Search_Car_Location", {"query": "slow"})
    assert (slow.ok, slow.error_kind) == (False, ErrorKind.API_ERROR)
    assert "within 0.5 s" in slow.message
    broken = env.call("Search_Car_Location", {"query": "broken"})
    assert "HTTP 500" in broken.message
    assert cache.lookup("Search_Car_Location", {"query": "broken"}) is None
    assert env.counters.run.live_fetches == 2 and env.counters.run.misses == 4
