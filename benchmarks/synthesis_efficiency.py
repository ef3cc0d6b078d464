"""Synthesis efficiency: constrained vs unconstrained sampling, on the real seed cache and on an
enlarged cache of 10^5+ entries, measured in one run.

For each cache and sampler: valid traces per second of sampling, with the one-time setup
(indexing the cache; for the constrained sampler also narrowing every template's domains)
reported separately and folded into an end-to-end rate; valid traces per attempt; then the
ratio constrained / unconstrained.
Every emitted trace went through the same replay through the environment (strict miss policy),
the deterministic renderer and the derivability check.

The enlarged cache ("clone worlds"). The seed cache holds ~450 real entries. Let A be the set of
argument values of the seed cache that are identifiers or text (every argument leaf whose
evidence strength is not WEAK: ids, tokens, names, coordinates; dates, times, counts and enum
words are left alone). Clone world k (k = 1..K) is a copy of every seed entry in which each
occurrence of a value of A -- in the arguments *and* anywhere in the response -- is replaced by
its k-th variant: strings get the suffix ``~k``, integers ``+ k * 1_000_000_007``, floats
``+ k * 1e-7`` (numeric strings likewise, written back as strings). The map is applied to
values, not to positions, so every dependency that holds in the real data holds inside each
clone world, and no value crosses worlds. Responses stay real apart from those values. K is
chosen so that the cache holds at least ``--size`` entries (default 100,000).

    python benchmarks/synthesis_efficiency.py --data-dir ../shared/data/booking
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import CacheEntry, Recording, ResponseCache
from orchestrl.plugins.samplers.constrained import ConstrainedSampler
from orchestrl.plugins.samplers.unconstrained import UnconstrainedSampler
from orchestrl.plugins.synthesis.mining import leaves
from orchestrl.plugins.synthesis.values import WEAK, canonical, strength
from orchestrl.plugins.tools.schema import load_schemas

BATCH = 5000


def _vocabulary(entries: list[CacheEntry]) -> set[str]:
    vocabulary = set()
    for entry in entries:
        for _, value in leaves(entry.arguments):
            key = canonical(value)
            if key is not None and strength(value) != WEAK:
                vocabulary.add(key)
    return vocabulary


def _variant(value: Any, k: int) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value + k * 1_000_000_007
    if isinstance(value, float):
        return value + k * 1e-7
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return f"{text}~{k}"
    if "." in text or "e" in text.lower():
        return repr(number + k * 1e-7)
    return str(int(text) + k * 1_000_000_007)


def clone_recordings(entries: list[CacheEntry], size: int) -> tuple[list[Recording], int]:
    """Recordings of the clone worlds (module docstring), and the number of worlds."""
    vocabulary = _vocabulary(entries)
    plans = []
    for entry in entries:
        arg_targets = [(p, v) for p, v in leaves(entry.arguments) if canonical(v) in vocabulary]
        resp_targets = [(p, v) for p, v in leaves(entry.response) if canonical(v) in vocabulary]
        plans.append((entry, arg_targets, resp_targets))
    per_world = sum(1 for _, targets, _ in plans if targets)
    worlds = math.ceil(max(size - len(entries), 0) / max(per_world, 1))
    recordings = []
    for k in range(1, worlds + 1):
        for entry, arg_targets, resp_targets in plans:
            if not arg_targets:
                continue  # would collide with its seed key
            recordings.append(Recording(
                entry.function, _with_variants(entry.arguments, arg_targets, k),
                _with_variants(entry.response, resp_targets, k),
                {"source": f"clone-world:{k}", "time": "2026-01-01T00:00:00+00:00"}))
    return recordings, worlds


def _with_variants(value: Any, targets: list[tuple[tuple, Any]], k: int) -> Any:
    """``value`` with each target leaf varied; containers are copied along the target paths
    only, so untouched subtrees stay shared with the seed response."""
    if not targets:
        return value
    copied: set[int] = set()

    def fresh(node: Any) -> Any:
        clone = dict(node) if isinstance(node, dict) else list(node)
        copied.add(id(clone))
        return clone

    out = fresh(value)
    for path, _ in targets:
        node = out
        for token in path[:-1]:
            child = node[token]
            if id(child) not in copied:
                child = fresh(child)
                node[token] = child
            node = child
        node[path[-1]] = _variant(node[path[-1]], k)
    return out


def make_cache(data_dir: Path, size: int) -> tuple[ResponseCache, ResponseCache, dict]:
    schemas = load_schemas(data_dir)
    seed = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(seed, data_dir)
    big = ResponseCache(MemoryBackend(), schemas)
    import_booking_dir(big, data_dir)
    start = time.perf_counter()
    recordings, worlds = clone_recordings(list(seed.entries()), size)
    for i in range(0, len(recordings), BATCH):
        big.put_many(recordings[i:i + BATCH])
    return seed, big, {"worlds": worlds, "build_s": time.perf_counter() - start}


def run(sampler_cls: type, data_dir: Path, cache: ResponseCache, n: int, seed: int,
        **options: Any) -> dict[str, Any]:
    start = time.perf_counter()
    sampler = sampler_cls(data_dir=str(data_dir), cache=cache, progress=False, **options)
    _ = sampler.index
    if hasattr(sampler, "prepare"):
        sampler.prepare()
    setup = time.perf_counter() - start
    tasks = list(sampler.sample(n, seed=seed))
    summary = sampler.summary
    total = setup + summary.seconds
    return {"setup_s": setup, "seconds": summary.seconds, "valid": len(tasks),
            "attempts": summary.attempts,
            "per_second": len(tasks) / summary.seconds if summary.seconds else 0.0,
            "end_to_end": len(tasks) / total if total else 0.0,
            "per_attempt": len(tasks) / summary.attempts if summary.attempts else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data/booking"))
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=5000, help="constrained traces to draw")
    parser.add_argument("--baseline-attempts", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    seed_cache, big_cache, built = make_cache(args.data_dir, args.size)
    print(f"seed cache: {len(seed_cache)} entries; enlarged cache: {len(big_cache)} entries "
          f"({built['worlds']} clone worlds, built in {built['build_s']:.1f} s)")
    header = (f"{'cache':<10} {'sampler':<14} {'setup s':>8} {'sample s':>9} {'valid':>6} "
              f"{'attempts':>9} {'valid/s':>9} {'incl setup':>11} {'valid/attempt':>14}")
    print(header)
    for name, cache in (("seed", seed_cache), ("enlarged", big_cache)):
        results = {
            "constrained": run(ConstrainedSampler, args.data_dir, cache, args.n, args.seed),
            "unconstrained": run(UnconstrainedSampler, args.data_dir, cache, args.n, args.seed,
                                 max_attempts=args.baseline_attempts),
        }
        for sampler, r in results.items():
            print(f"{name:<10} {sampler:<14} {r['setup_s']:>8.2f} {r['seconds']:>9.2f} "
                  f"{r['valid']:>6} {r['attempts']:>9} {r['per_second']:>9.1f} "
                  f"{r['end_to_end']:>11.1f} {r['per_attempt']:>14.5f}")
        c, u = results["constrained"], results["unconstrained"]
        if u["valid"]:
            print(f"{name:<10} ratio constrained/unconstrained: valid/s "
                  f"{c['per_second'] / u['per_second']:.0f}x, valid/attempt "
                  f"{c['per_attempt'] / u['per_attempt']:.0f}x")
        else:
            bound = 1 / u["seconds"] if u["seconds"] else float("inf")
            print(f"{name:<10} unconstrained found no valid trace in {u['attempts']} attempts "
                  f"({u['seconds']:.1f} s); ratio valid/s > {c['per_second'] / bound:.0f}x "
                  f"(counting one trace for the baseline)")


if __name__ == "__main__":
    main()
