"""Response cache benchmark: import throughput, lookup latency and throughput per backend, and
time-to-first-answer against the reference approach (one JSON file of all responses loaded
into a dict), all measured in the same run.

Entries: the real Booking responses (~450), multiplied to N entries by the documented
perturbation of :func:`orchestrl.plugins.cache.perturb.perturbed_recordings` (each copy keeps a
real response and changes one argument), made lazily so that 10^6 entries fit in memory.
Two lookup workloads, each ``--lookups`` hit lookups on a freshly opened cache:

* ``cold``: keys drawn uniformly from all N (almost every lookup reads a key for the first
  time, so the decoded-entry LRU rarely helps: this is the decoding cost);
* ``hot``: keys drawn from a working set of ``--hot-keys`` keys (the repeats an RL run's
  environment makes: the same training tasks' calls again and again).

Run::

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
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.perturb import perturbation_base, perturbed_recording
from orchestrl.plugins.cache.response_cache import Recording, ResponseCache
from orchestrl.plugins.tools.schema import load_schemas

BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/booking")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--backends", nargs="+", default=["memory", "diskcache", "redis"])
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--hot-keys", type=int, default=1_000)
    parser.add_argument("--reference-max", type=int, default=200_000)
    parser.add_argument("--workdir", default=None, help="where to build (default: a temp dir)")
    args = parser.parse_args()

    schemas = load_schemas(args.data_dir)
    seed = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(seed, args.data_dir)
    ordered = perturbation_base(list(seed.entries()))
    print(f"real entries: {len(ordered)} (from {args.data_dir})")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="orchestrl-bench-"))
    redis_proc = None
    try:
        for n in args.sizes:
            rng = random.Random(0)
            cold = [perturbed_recording(ordered, rng.randrange(n), tag="b")
                    for _ in range(args.lookups)]
            working = [perturbed_recording(ordered, rng.randrange(n), tag="b")
                       for _ in range(args.hot_keys)]
            hot = [working[rng.randrange(len(working))] for _ in range(args.lookups)]

            def recordings(n: int = n) -> Iterator[Recording]:
                return (perturbed_recording(ordered, i, tag="b") for i in range(n))

            print(f"\n== {n:,} entries; {len(cold):,} cold lookups (uniform over all keys), "
                  f"{len(hot):,} hot lookups (over {len(working):,} keys) ==")
            print(f"{'backend':<10} {'import/s':>9} {'first ms':>9} | {'cold p50':>8} "
                  f"{'p99 us':>8} {'/s':>8} {'lru hit':>7} | {'hot p50':>8} {'p99 us':>8} "
                  f"{'/s':>8} {'lru hit':>7}")
            results: dict[str, dict[str, float]] = {}
            for kind in args.backends:
                if kind == "redis" and redis_proc is None:
                    redis_proc, url = start_redis(workdir)
                    if redis_proc is None:
                        print("redis      skipped: redis-server is not on PATH")
                        continue
                make = backend_maker(kind, workdir / f"{kind}-{n}",
                                     url if kind == "redis" else "", n)
                results[kind] = r = bench_backend(make, schemas, n, recordings(), cold, hot)
                print(row(kind, r), flush=True)
            if n <= args.reference_max:
                ref = bench_reference(workdir / f"reference-{n}.json", recordings(), cold, hot)
                results["reference"] = ref
                print(row("reference", ref) + f"   (json file {ref['file_mb']:.0f} MB, load "
                      f"{ref['load_s']:.1f} s)")
                print("ratios against the reference (>1: orchestrl is faster):")
                for kind, r in results.items():
                    if kind == "reference":
                        continue
                    print(f"  {kind:<10} first answer x{ref['first_ms'] / r['first_ms']:,.1f}, "
                          f"cold p50 x{ref['cold_p50'] / r['cold_p50']:.3f}, "
                          f"hot p50 x{ref['hot_p50'] / r['hot_p50']:.3f}, "
                          f"hot throughput x{r['hot_rate'] / ref['hot_rate']:.3f}")
            else:
                print(f"reference skipped above {args.reference_max:,} entries")
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def row(kind: str, r: dict[str, float]) -> str:
    imported = f"{r['import_rate']:>9,.0f}" if "import_rate" in r else f"{'-':>9}"
    return (f"{kind:<10} {imported} {r['first_ms']:>9.1f} | {r['cold_p50']:>8.1f} "
            f"{r['cold_p99']:>8.1f} {r['cold_rate']:>8,.0f} {r.get('cold_hits', 0):>7.0%} | "
            f"{r['hot_p50']:>8.1f} {r['hot_p99']:>8.1f} {r['hot_rate']:>8,.0f} "
            f"{r.get('hot_hits', 0):>7.0%}")


def backend_maker(kind: str, path: Path, url: str, n: int):
    if kind == "memory":
        shared = MemoryBackend()
        return lambda: shared
    if kind == "diskcache":
        from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend

        return lambda: DiskCacheBackend(str(path))
    from orchestrl.plugins.cache.redis_backend import RedisBackend

    return lambda: RedisBackend(url, f"bench{n}")


def bench_backend(make, schemas, n: int, recordings: Iterator[Recording], cold, hot
                  ) -> dict[str, float]:
    cache = ResponseCache(make(), schemas)
    start = time.perf_counter()
    with tqdm(total=n, desc="importing", unit=" entries", leave=False, file=sys.stderr) as bar:
        while batch := list(islice(recordings, BATCH)):
            cache.put_many(batch)
            bar.update(len(batch))
    import_s = time.perf_counter() - start
    assert len(cache) == n
    # time to first answer: open the store and answer one call, as a fresh process would
    first = cold[0]
    start = time.perf_counter()
    fresh = ResponseCache(make(), schemas)
    assert fresh.lookup(first.function, first.arguments) is not None
    first_ms = (time.perf_counter() - start) * 1000
    result = {"import_rate": n / import_s, "first_ms": first_ms}
    for name, queries in (("cold", cold), ("hot", hot)):
        before = fresh.decoded.stats()
        result.update(timed(name, queries, lambda q: fresh.lookup(q.function, q.arguments)))
        after = fresh.decoded.stats()
        result[f"{name}_hits"] = (after.hits - before.hits) / len(queries)
    fresh.close()
    cache.close()
    return result


def timed(name: str, queries, lookup: Callable) -> dict[str, float]:
    lat = []
    begin = time.perf_counter()
    for q in queries:
        t = time.perf_counter_ns()
        found = lookup(q)
        lat.append(time.perf_counter_ns() - t)
        assert found is not None
    total = time.perf_counter() - begin
    return {f"{name}_p50": statistics.median(lat) / 1000,
            f"{name}_p99": percentile(lat, 99) / 1000, f"{name}_rate": len(queries) / total}


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


def bench_reference(path: Path, recordings: Iterator[Recording], cold, hot
                    ) -> dict[str, float]:
    with path.open("w", encoding="utf-8") as out:
        json.dump({reference_key(r.function, dict(r.arguments)): r.response
                   for r in recordings}, out)
    start = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        table = json.load(handle)
    load_s = time.perf_counter() - start
    first = cold[0]
    assert table.get(reference_key(first.function, dict(first.arguments))) is not None
    first_ms = (time.perf_counter() - start) * 1000
    result = {"first_ms": first_ms, "load_s": load_s, "file_mb": path.stat().st_size / 2**20}
    for name, queries in (("cold", cold), ("hot", hot)):
        result.update(timed(name, queries,
                            lambda q: table.get(reference_key(q.function, dict(q.arguments)))))
    table.clear()
    path.unlink()
    return result


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
