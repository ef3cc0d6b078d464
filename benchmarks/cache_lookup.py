"""Response cache benchmark: import throughput, lookup latency and throughput per backend, and
time-to-first-answer against the reference approach (one JSON file of all responses loaded
into a dict), all measured in the same run.

Entries: the real Booking responses (~450), multiplied to N entries by the documented
perturbation of :func:`orchestrl.plugins.cache.perturb.perturbed_recordings` (each copy keeps a
real response and changes one argument). Run::

    python benchmarks/cache_lookup.py --data-dir ../shared/data/booking            # 10^5
    python benchmarks/cache_lookup.py --sizes 100000 1000000 --backends diskcache  # 10^6 too

Redis is benchmarked when ``redis-server`` is on PATH (a private server on a free port).
The reference file is skipped above ``--reference-max`` entries (it needs the whole file in
memory: about 10 KB per entry).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.perturb import perturbed_recordings
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.env.schema import load_schemas

BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/booking")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--backends", nargs="+", default=["memory", "diskcache", "redis"])
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--reference-max", type=int, default=200_000)
    parser.add_argument("--workdir", default=None, help="where to build (default: a temp dir)")
    args = parser.parse_args()

    schemas = load_schemas(args.data_dir)
    seed = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(seed, args.data_dir)
    real = list(seed.entries())
    print(f"real entries: {len(real)} (from {args.data_dir})")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="orchestrl-bench-"))
    redis_proc = None
    try:
        for n in args.sizes:
            recordings = list(perturbed_recordings(real, n, tag="b"))
            rng = random.Random(0)
            queries = [recordings[rng.randrange(n)] for _ in range(args.lookups)]
            print(f"\n== {n:,} entries, {len(queries):,} random hit lookups ==")
            print(f"{'backend':<10} {'import/s':>10} {'p50 us':>9} {'p99 us':>9} "
                  f"{'lookups/s':>10} {'first answer ms':>16}")
            results: dict[str, dict[str, float]] = {}
            for kind in args.backends:
                if kind == "redis" and redis_proc is None:
                    redis_proc, url = start_redis(workdir)
                    if redis_proc is None:
                        print("redis      skipped: redis-server is not on PATH")
                        continue
                make = backend_maker(kind, workdir / f"{kind}-{n}",
                                     url if kind == "redis" else "", n)
                results[kind] = bench_backend(make, schemas, recordings, queries)
                r = results[kind]
                print(f"{kind:<10} {r['import_rate']:>10,.0f} {r['p50_us']:>9.1f} "
                      f"{r['p99_us']:>9.1f} {r['rate']:>10,.0f} {r['first_ms']:>16.1f}")
            if n <= args.reference_max:
                ref = bench_reference(workdir / f"reference-{n}.json", recordings, queries)
                results["reference"] = ref
                print(f"{'reference':<10} {'-':>10} {ref['p50_us']:>9.1f} {ref['p99_us']:>9.1f} "
                      f"{ref['rate']:>10,.0f} {ref['first_ms']:>16.1f}   "
                      f"(json file {ref['file_mb']:.0f} MB, load {ref['load_s']:.1f} s)")
                print("ratios against the reference (>1: orchestrl is faster / smaller):")
                for kind, r in results.items():
                    if kind == "reference":
                        continue
                    print(f"  {kind:<10} first answer x{ref['first_ms'] / r['first_ms']:,.1f}, "
                          f"lookup p50 x{ref['p50_us'] / r['p50_us']:.2f}, "
                          f"throughput x{r['rate'] / ref['rate']:.2f}")
            else:
                print(f"reference skipped above {args.reference_max:,} entries")
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def backend_maker(kind: str, path: Path, url: str, n: int):
    if kind == "memory":
        shared = MemoryBackend()
        return lambda: shared
    if kind == "diskcache":
        from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend

        return lambda: DiskCacheBackend(str(path))
    from orchestrl.plugins.cache.redis_backend import RedisBackend

    return lambda: RedisBackend(url, f"bench{n}")


def bench_backend(make, schemas, recordings, queries) -> dict[str, float]:
    cache = ResponseCache(make(), schemas)
    start = time.perf_counter()
    for i in range(0, len(recordings), BATCH):
        cache.put_many(recordings[i:i + BATCH])
    import_s = time.perf_counter() - start
    # time to first answer: open the store and answer one call, as a fresh process would
    first = queries[0]
    start = time.perf_counter()
    fresh = ResponseCache(make(), schemas)
    assert fresh.lookup(first.function, first.arguments) is not None
    first_ms = (time.perf_counter() - start) * 1000
    lat = []
    begin = time.perf_counter()
    for q in queries:
        t = time.perf_counter_ns()
        entry = fresh.lookup(q.function, q.arguments)
        lat.append(time.perf_counter_ns() - t)
        assert entry is not None
    total = time.perf_counter() - begin
    fresh.close()
    cache.close()
    return {"import_rate": len(recordings) / import_s, "first_ms": first_ms,
            "p50_us": statistics.median(lat) / 1000, "p99_us": percentile(lat, 99) / 1000,
            "rate": len(queries) / total}


def reference_key(function: str, arguments: dict) -> str:
    """The reference's normalisation: numeric-looking strings to numbers, keys sorted."""
    norm = {}
    for k, v in arguments.items():
        if v is None:
            continue
        if isinstance(v, str):
            with contextlib.suppress(ValueError):
                v = float(v) if "." in v else int(v)
        norm[k] = v
    return function + json.dumps(norm, sort_keys=True)


def bench_reference(path: Path, recordings, queries) -> dict[str, float]:
    with path.open("w", encoding="utf-8") as out:
        json.dump({reference_key(r.function, dict(r.arguments)): r.response
                   for r in recordings}, out)
    start = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        table = json.load(handle)
    load_s = time.perf_counter() - start
    first = queries[0]
    assert table.get(reference_key(first.function, dict(first.arguments))) is not None
    first_ms = (time.perf_counter() - start) * 1000
    lat = []
    begin = time.perf_counter()
    for q in queries:
        t = time.perf_counter_ns()
        found = table.get(reference_key(q.function, dict(q.arguments)))
        lat.append(time.perf_counter_ns() - t)
        assert found is not None
    total = time.perf_counter() - begin
    size_mb = path.stat().st_size / 2**20
    del table
    path.unlink()
    return {"first_ms": first_ms, "load_s": load_s, "p50_us": statistics.median(lat) / 1000,
            "p99_us": percentile(lat, 99) / 1000, "rate": len(queries) / total,
            "file_mb": size_mb}


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def start_redis(workdir: Path):
    binary = shutil.which("redis-server")
    if binary is None:
        return None, ""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(workdir), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    client.close()
    return proc, url


if __name__ == "__main__":
    main()
