"""Bad input and faults: corrupt files, wrong types, huge and deep values, killed and concurrent
writers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestrl.errors import DataError
from orchestrl.plugins.cache.codec import CorruptEntryError
from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend
from orchestrl.plugins.cache.importers import import_booking_dir, import_file
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.perturb import perturbed_recordings
from orchestrl.plugins.cache.response_cache import ResponseCache


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("damage", ["truncated", "not_utf8", "arguments_list", "no_response"])
def test_bad_line_names_file_and_line_and_imports_nothing_of_that_file(
    damage, tmp_path, schemas, real_entries, write_plain_jsonl
):
    path = tmp_path / "plain.jsonl"
    write_plain_jsonl(path, perturbed_recordings(real_entries, 50))
    lines = lines_of(path)
    record = json.loads(lines[36])
    if damage == "truncated":
        bad = lines[36][: len(lines[36]) // 2]
    elif damage == "not_utf8":
        bad = None
    elif damage == "arguments_list":
        bad = json.dumps({**record, "arguments": list(record["arguments"].values())})
    else:
        bad = json.dumps({"function": record["function"], "arguments": record["arguments"]})
    with path.open("wb") as out:
        for number, line in enumerate(lines):
            if number == 36:
                out.write(b"\xff\xfe{}\n" if bad is None else bad.encode() + b"\n")
            else:
                out.write(line.encode() + b"\n")
    cache = ResponseCache(MemoryBackend(), schemas)
    with pytest.raises(DataError, match=r"plain\.jsonl:37: "):
        import_file(cache, path)
    assert len(cache) == 0


def test_truncated_trace_file_and_wrong_cfb_shapes(tmp_path, schemas, booking_dir):
    text = (booking_dir / "eval_80.jsonl").read_bytes()
    cut = tmp_path / "eval_80.jsonl"
    cut.write_bytes(text[: len(text) // 2])
    cache = ResponseCache(MemoryBackend(), schemas)
    with pytest.raises(DataError, match=r"eval_80\.jsonl:\d+"):
        import_file(cache, cut, "booking")
    cfb = tmp_path / "cfb.jsonl"
    cfb.write_text(json.dumps({"id": "Hotels-1", "conversations": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "function_call": [{"name": "Search_Hotel_Destination",
                                                 "arguments": {"query": "Paris"}}] * 2},
        {"role": "observation", "content": [{"dest_id": "-1456928"}]},
    ]}) + "\n")
    with pytest.raises(DataError, match=r"cfb\.jsonl:1: turn 2 has 1 responses for 2 calls"):
        import_file(cache, cfb)
    assert len(cache) == 0


def test_huge_values_round_trip_and_deep_values_are_refused(tmp_path, schemas):
    cache = ResponseCache(DiskCacheBackend(str(tmp_path / "c")), schemas)
    huge = {"status": True, "data": [{"id": i, "text": "x" * 200} for i in range(100_000)]}
    cache.put("Search_Car_Location", {"query": "huge"}, huge, "test")
    assert cache.lookup("Search_Car_Location", {"query": "huge"}).response == huge
    deep: list = []
    cursor = deep
    for _ in range(100_000):
        cursor.append([])
        cursor = cursor[0]
    with pytest.raises(ValueError, match="nested too deeply"):
        cache.put("Search_Car_Location", {"query": "deep"}, deep, "test")
    assert len(cache) == 1
    deep_file = tmp_path / "deep.jsonl"
    deep_file.write_text('{"function": "f", "arguments": {}, "response": ' + "[" * 100_000
                         + "]" * 100_000 + "}\n")
    with pytest.raises(DataError, match=r"deep\.jsonl:1: JSON nested too deeply"):
        import_file(cache, deep_file)
    assert len(cache) == 1


def test_corrupt_values_are_reported_never_unpickled(tmp_path, schemas, booking_dir):
    import diskcache

    directory = tmp_path / "c"
    cache = ResponseCache(DiskCacheBackend(str(directory)), schemas)
    import_booking_dir(cache, booking_dir)
    entry = next(cache.entries("Search_Car_Location"))
    raw = cache.backend.get(entry.key)
    cache.backend.set(entry.key, raw[: len(raw) // 2])
    with pytest.raises(CorruptEntryError, match="truncated"):
        cache.get(entry.key)
    assert cache.stats().corrupt == [entry.key]
    # a row pickled by someone else's diskcache is refused, not unpickled
    marker = tmp_path / "unpickled"
    foreign = diskcache.Cache(str(directory))
    foreign.set("Get_Packages {}", Exploit(str(marker)))
    foreign.close()
    with pytest.raises(DataError, match="pickled"):
        cache.backend.get("Get_Packages {}")
    assert not marker.exists()
    cache.close()


class Exploit:
    """Unpickling this creates a file: proof that a pickle was executed."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_corrupt_database_file_is_a_data_error(tmp_path):
    directory = tmp_path / "c"
    DiskCacheBackend(str(directory)).close()
    (directory / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(DataError, match="cache directory"):
        DiskCacheBackend(str(directory))


KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend
    from orchestrl.plugins.cache.importers import import_file
    from orchestrl.plugins.cache.response_cache import ResponseCache
    from orchestrl.plugins.tools.schema import load_schemas

    backend = DiskCacheBackend(sys.argv[1])
    real_set = backend._cache.set
    calls = [0]
    def slow_set(key, value, **kw):
        calls[0] += 1
        if calls[0] == int(sys.argv[4]):
            print("HALF", flush=True)
            time.sleep(60)
        return real_set(key, value, **kw)
    backend._cache.set = slow_set
    import_file(ResponseCache(backend, load_schemas(sys.argv[2])), sys.argv[3])
    print("DONE", flush=True)
""")


def test_import_killed_mid_write_loses_nothing_and_leaves_no_half_entry(
    tmp_path, schemas, booking_dir, real_entries, write_plain_jsonl
):
    directory = str(tmp_path / "c")
    seeded = ResponseCache(DiskCacheBackend(directory), schemas)
    import_booking_dir(seeded, booking_dir)
    before = {e.key: e.digest for e in seeded.entries()}
    seeded.close()
    big = tmp_path / "big.jsonl"
    count = write_plain_jsonl(big, perturbed_recordings(real_entries, 2000))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, directory, str(booking_dir),
                             str(big), str(count // 2)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "HALF"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    after = ResponseCache(DiskCacheBackend(directory), schemas)
    assert {e.key: e.digest for e in after.entries()} == before
    import_file(after, big)  # the interrupted import can simply be run again
    assert len(after) == len(before) + count
    after.close()


CONCURRENT_IMPORT = textwrap.dedent("""
    import sys
    from orchestrl.build import build
    from orchestrl.plugins.cache.importers import import_file
    from orchestrl.plugins.cache.response_cache import ResponseCache
    from orchestrl.plugins.tools.schema import load_schemas
    from orchestrl.plugins.cache.{module} import {cls}

    cache = ResponseCache({cls}(*sys.argv[3:]), load_schemas(sys.argv[1]))
    for _ in range(3):
        import_file(cache, sys.argv[2])
""")


@pytest.mark.parametrize("kind", ["diskcache", "redis"])
def test_two_processes_writing_at_once_lose_nothing(
    kind, request, tmp_path, schemas, booking_dir, real_entries, write_plain_jsonl
):
    if kind == "diskcache":
        module, cls, args = "diskcache_backend", "DiskCacheBackend", [str(tmp_path / "c")]
    else:
        module, cls = "redis_backend", "RedisBackend"
        args = [request.getfixturevalue("redis_url"), "concurrent"]
    shared = list(perturbed_recordings(real_entries, 300, tag="shared"))
    files = []
    for name in ("a", "b"):
        own = list(perturbed_recordings(real_entries, 700, tag=name))
        # the same 300 calls in both files, with a response that differs per file
        clashing = [type(r)(r.function, r.arguments, {"writer": name, "data": r.response},
                            r.provenance) for r in shared]
        path = tmp_path / f"{name}.jsonl"
        write_plain_jsonl(path, own + clashing)
        files.append(path)
    script = CONCURRENT_IMPORT.format(module=module, cls=cls)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(booking_dir), str(f), *args])
             for f in files]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    backend = (DiskCacheBackend(args[0]) if kind == "diskcache"
               else __import__("orchestrl.plugins.cache.redis_backend", fromlist=["x"]
                               ).RedisBackend(*args))
    cache = ResponseCache(backend, schemas)
    assert len(cache) == 700 * 2 + 300
    conflicts = cache.conflicts()
    assert len(conflicts) == 300
    assert all({alt.response["writer"] for alt in e.responses} == {"a", "b"} for e in conflicts)
    cache.close()


KILLED_REDIS_WRITER = textwrap.dedent("""
    import sys, time
    from orchestrl.plugins.cache.redis_backend import RedisBackend

    backend = RedisBackend(sys.argv[1], sys.argv[2], lock_lease_s=float(sys.argv[3]))
    with backend.transaction():
        print("LOCKED", flush=True)
        time.sleep(600)
""")


def test_redis_writer_killed_holding_the_lock_blocks_the_next_one_one_lease_and_says_who(
    redis_url, tmp_path, schemas
):
    from orchestrl.plugins.cache.redis_backend import RedisBackend

    lease = 2.0
    proc = subprocess.Popen([sys.executable, "-c", KILLED_REDIS_WRITER, redis_url, "killed",
                             str(lease)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "LOCKED"
        time.sleep(2 * lease)  # the heartbeat keeps the lock past its lease while the writer lives
        waiting = RedisBackend(redis_url, "killed", lock_timeout_s=lease / 4, lock_lease_s=lease)
        with (pytest.raises(DataError, match=rf"held by \S+ pid {proc.pid} \(since"),
              waiting.transaction()):
            pass
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        proc.kill()
        proc.stdout.close()
    lines: list[str] = []
    backend = RedisBackend(redis_url, "killed", lock_timeout_s=30.0, lock_lease_s=lease)
    backend.on_wait = lines.append
    cache = ResponseCache(backend, schemas)
    start = time.monotonic()
    cache.put("Search_Car_Location", {"query": "after the kill"}, {"data": []}, "test")
    waited = time.monotonic() - start
    assert waited < lease + 1.0  # one lease at most, not the old 120 s
    assert len(cache) == 1
    assert len(lines) == 1 and f"pid {proc.pid}" in lines[0] and "lease until" in lines[0]
    cache.close()


def test_diskcache_import_killed_leaves_orphan_files_that_verify_finds_and_repair_removes(
    tmp_path, schemas, booking_dir, run_cli, plugin_host, monkeypatch
):
    import random
    import string

    directory = tmp_path / "c"
    big = tmp_path / "big.jsonl"
    rng = random.Random(0)
    with big.open("w") as out:
        for i in range(6):  # incompressible 1.5 MB responses: each one a value file
            text = "".join(rng.choices(string.ascii_letters, k=1_500_000))
            out.write(json.dumps({"function": "Search_Car_Location",
                                  "arguments": {"query": f"big {i}"},
                                  "response": {"data": text}}) + "\n")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(directory),
                             str(booking_dir), str(big), "5"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "HALF"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    backend = DiskCacheBackend(str(directory))
    assert len(backend) == 0 and len(backend.orphan_files()) == 4
    backend.close()
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    monkeypatch.setenv("ORCHESTRL_CACHE_DIR", str(directory))
    verify = run_cli("cache", "verify")
    assert verify.exit_code == 1 and "4 value files" in verify.stdout
    repair = run_cli("cache", "verify", "--repair")
    assert repair.exit_code == 0 and "4 orphan files" in repair.stdout
    assert run_cli("cache", "verify").exit_code == 0
    assert not list(directory.glob("*/*/*.val"))
