"""Throughput of the ComplexFuncBench protocol on the real eval items.

Plays the 80 items of ``eval_80.jsonl`` with the scripted gold policy (and with injected wrong
values) and prints items per second, against a baseline measured in the same run: answering
the same gold calls by plain canonical-key cache lookups (the least work any evaluator must do).
The ratio is the cost of the protocol itself (parsing, schema validation, staged matching,
taxonomy, message rendering).

    python benchmarks/cfb_protocol.py [--data-dir ../shared/data/booking] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from orchestrl.plugins.benchmarks.cfb.loaders import load_items
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.benchmarks.cfb.protocol import run_item
from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.policies.scripted import ScriptedPolicy
from orchestrl.plugins.tools.schema import load_schemas


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[1].parent
                                                  / "shared/data/booking"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)

    start = time.perf_counter()
    items = load_items(data_dir / "eval_80.jsonl", data_dir)
    load_s = time.perf_counter() - start
    cache = ResponseCache(MemoryBackend(), load_schemas(data_dir))
    start = time.perf_counter()
    import_booking_dir(cache, data_dir)
    seed_s = time.perf_counter() - start
    observations = GoldObservations(cache)
    calls = sum(len(t.steps) for t in items)

    def baseline() -> None:
        for task in items:
            for step in task.steps:
                cache.lookup(step.function, step.arguments)

    def protocol(**rates: float) -> None:
        policy = ScriptedPolicy(**rates)
        for task in items:
            run_item(policy, task, observations)

    base = best_of(args.repeat, baseline)
    gold = best_of(args.repeat, protocol)
    noisy = best_of(args.repeat, lambda: protocol(wrong_value=0.2, unparsable=0.1))
    print(f"items: {len(items)}  gold calls: {calls}")
    print(f"load items (turn derivation included): {load_s * 1000:.1f} ms")
    print(f"seed cache from the traces:            {seed_s * 1000:.1f} ms")
    print(f"baseline, cache lookups only:   {len(items) / base:9.1f} items/s")
    print(f"protocol, gold policy:          {len(items) / gold:9.1f} items/s  "
          f"(x{gold / base:.1f} the baseline's time)")
    print(f"protocol, injected errors:      {len(items) / noisy:9.1f} items/s  "
          f"(x{noisy / base:.1f} the baseline's time)")


if __name__ == "__main__":
    main()
