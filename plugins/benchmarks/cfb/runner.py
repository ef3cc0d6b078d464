"""Running the protocol over many items: resumable, with a progress bar, parallel when allowed.

Results go to ``<output_dir>/cfb_items.jsonl``, one
:class:`~orchestrl.plugins.benchmarks.cfb.results.ItemResult` per line, appended and flushed as each
item finishes, by the shared resumable runner (:mod:`orchestrl.plugins.benchmarks.resume`): a
rerun into the same directory plays only the items not in the file, drops a line cut short by
an interruption, and refuses a file written under other settings (the protocol's limits,
missing-gold mode, judge, reward and the policy's identity). Items run in threads
(``workers``) only when the policy is ``parallel_safe``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from orchestrl.api import JSON, Policy, Task
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.benchmarks.cfb.protocol import ProtocolLimits, run_item
from orchestrl.plugins.benchmarks.cfb.results import ItemResult
from orchestrl.plugins.benchmarks.resume import ResultFile, class_name, run_resumable

ITEMS_FILE = "cfb_items.jsonl"


def results_file(path: Path) -> ResultFile[ItemResult]:
    """The per-item results file at ``path``."""
    return ResultFile(path, ItemResult.to_json, ItemResult.from_json)


def read_results(path: Path) -> dict[str, ItemResult]:
    """Results already written to ``path`` by id; drops (and rewrites away) damaged lines."""
    return results_file(path).read()


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
    settings: dict[str, JSON] | None = None,
) -> list[ItemResult]:
    """Play every item not yet in ``cfb_items.jsonl``; return the results of ``items``, in order.

    ``settings``: what else the caller's results depend on (e.g. the items file), added to the
    settings the file is checked against."""
    limits = limits or ProtocolLimits()
    judged = getattr(judge, "policy", None)
    checked: dict[str, JSON] = {
        **(settings or {}), **asdict(limits), "missing_gold": missing_mode,
        **policy.identity(),
        "judge": judged.identity() if isinstance(judged, Policy) else class_name(judge),
        "reward": class_name(reward),
    }

    def one(task: Task) -> ItemResult:
        return run_item(policy, task, observations, limits=limits, judge=judge,
                        missing_mode=missing_mode, reward=reward)

    return run_resumable(items, one, results_file(Path(output_dir) / ITEMS_FILE), checked,
                         workers=workers, parallel=policy.parallel_safe,
                         desc="complexfuncbench", progress=progress)

