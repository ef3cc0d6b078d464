"""Cache replay versus live execution of BFCL's multi-turn backends.

For each category, the ground truth of every entry is executed three times in one run:
live (fresh backends, no cache), recording (live, each response written to the cache) and
replay (``miss_policy=strict``: every answer from the cache, no backend built). The script
checks that replay is byte-identical to live (the rendered tool message of every call) and
prints the wall-clock seconds and the ratio live / replay, for the in-memory and the
diskcache backends.

    python benchmarks/bfcl_replay.py [--categories multi_turn_base,...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from orchestrl.api import Task, ToolResult
from orchestrl.plugins.cache.diskcache_backend import DiskCacheBackend
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.env.render import render_response
from orchestrl.plugins.worlds.bfcl.entries import CATEGORIES, load_entries
from orchestrl.plugins.worlds.bfcl.environment import BfclEnvironment
from orchestrl.plugins.worlds.bfcl.tasks import entry_to_task


def run(env: BfclEnvironment, tasks: list[Task]) -> tuple[float, list[list[ToolResult]]]:
    start = time.perf_counter()
    out = []
    for task in tasks:
        env.reset(task)
        out.append([env.call(step.function, dict(step.arguments)) for step in task.steps])
    return time.perf_counter() - start, out


def rendered(results: list[list[ToolResult]]) -> list[str]:
    return [render_response(r.content, None) for episode in results for r in episode]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--categories", default=",".join(CATEGORIES))
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is kept")
    args = parser.parse_args()
    print(f"{'category':26} {'backend':9} {'calls':>6} {'live s':>8} {'record s':>9} "
          f"{'replay s':>9} {'live/replay':>12} identical")
    for category in args.categories.split(","):
        tasks = [entry_to_task(entry) for entry in load_entries(category)]
        live_s, live = min((run(BfclEnvironment(None), tasks) for _ in range(args.repeat)),
                           key=lambda r: r[0])
        with tempfile.TemporaryDirectory() as tmp:
            for label, backend in (("memory", MemoryBackend()),
                                   ("diskcache", DiskCacheBackend(directory=tmp))):
                cache = ResponseCache(backend)
                record_s, _ = run(BfclEnvironment(cache), tasks)
                replayer = BfclEnvironment(cache, miss_policy="strict")
                replay_s, replayed = min((run(replayer, tasks) for _ in range(args.repeat)),
                                         key=lambda r: r[0])
                same = rendered(live) == rendered(replayed)
                calls = sum(len(t.steps) for t in tasks)
                print(f"{category:26} {label:9} {calls:6d} {live_s:8.3f} {record_s:9.3f} "
                      f"{replay_s:9.3f} {live_s / replay_s:12.2f} {same}")
                backend.close()


if __name__ == "__main__":
    main()
