"""Running the protocol over many items: resumable, with a progress bar, parallel when allowed.

Results go to ``<output_dir>/cfb_items.jsonl``, one
:class:`~orchestrl.plugins.benchmarks.cfb.results.ItemResult` per line, appended and flushed as each
item finishes. On start the file is read back: items already in it are not played again (resume
after an interruption), a line cut short by the interruption is dropped (the file is rewritten
without it), and for an id written twice the last record wins. Items run in threads
(``workers``) only when the policy is ``parallel_safe``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from orchestrl.api import Policy, Task
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.benchmarks.cfb.protocol import ProtocolLimits, run_item
from orchestrl.plugins.benchmarks.cfb.results import ItemResult

ITEMS_FILE = "cfb_items.jsonl"


def read_results(path: Path) -> dict[str, ItemResult]:
    """Results already written to ``path`` by id; drops (and rewrites away) damaged lines."""
    if not path.is_file():
        return {}
    found: dict[str, ItemResult] = {}
    kept: list[str] = []
    damaged = False
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                result = ItemResult.from_json(record)
            except (json.JSONDecodeError, TypeError, AttributeError):
                damaged = damaged or bool(line.strip())
                continue
            if not line.endswith("\n"):
                line += "\n"
            kept.append(line)
            found[result.id] = result
    if damaged:
        tmp = path.with_name(path.name + ".part")
        tmp.write_text("".join(kept), encoding="utf-8")
        os.replace(tmp, path)
    return found


def evaluate_items(
    policy: Policy,
    items: Sequence[Task],
    observations: GoldObservations,
    *,
    output_dir: Path,
    limits: ProtocolLimits | None = None,
    judge: object = None,
    missing_mode: str = "truncate",
    workers: int = 1,
    progress: bool = True,
    reward: object = None,
) -> list[ItemResult]:
    """Play every item not yet in ``cfb_items.jsonl``; return the results of ``items``, in order."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / ITEMS_FILE
    results = read_results(path)
    todo = [task for task in items if task.id not in results]
    lock = threading.Lock()
    bar = tqdm(total=len(items), initial=len(items) - len(todo), desc="complexfuncbench",
               unit="item", disable=not progress)

    def one(task: Task) -> ItemResult:
        result = run_item(policy, task, observations, limits=limits, judge=judge,
                          missing_mode=missing_mode, reward=reward)
        line = json.dumps(result.to_json(), ensure_ascii=False) + "\n"
        with lock:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
            results[task.id] = result
            bar.update()
        return result

    try:
        if workers > 1 and policy.parallel_safe and len(todo) > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(one, todo))
        else:
            for task in todo:
                one(task)
    finally:
        bar.close()
    return [results[task.id] for task in items]
