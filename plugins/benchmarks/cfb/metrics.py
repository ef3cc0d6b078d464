"""Metrics over item results: the paper's turn accuracy, success rate and call accuracy.

Over the played items (every status but ``skipped``), micro-averaged as ComplexFuncBench does:

* ``turn_accuracy = Σ turns_completed / Σ scored_turns`` (the paper's headline);
* ``call_accuracy = Σ calls_correct / Σ scored_calls``;
* ``reward``: the mean of the items' reward (the benchmark's preset), where they were scored;
* ``success_rate = successes / fully scored items``, where an item is fully scored when all
  its turns are played (no gold observation is missing before its last turn); a truncated item
  cannot show a final answer, so it is left out of this denominator (and listed under
  ``missing_gold``).

The same three are given per domain and per number of gold steps. The taxonomy counts every
error event (``errors``) and, per failed item, the error that made it fail (``failures``).
An empty denominator gives None.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from orchestrl.plugins.benchmarks.cfb import results as R
from orchestrl.plugins.benchmarks.cfb.taxonomy import KINDS

HEADLINE = ("turn_accuracy", "success_rate", "call_accuracy")


def accuracy(items: Sequence[R.ItemResult]) -> dict[str, Any]:
    """The three metrics (and their counts) of ``items``, skipped items ignored."""
    played = [r for r in items if r.status != R.SKIPPED]
    complete = [r for r in played if r.scored_turns == r.n_turns]
    successes = sum(1 for r in complete if r.status == R.SUCCESS)
    return {
        "items": len(played),
        "turn_accuracy": _ratio(sum(r.turns_completed for r in played),
                                sum(r.scored_turns for r in played)),
        "call_accuracy": _ratio(sum(r.calls_correct for r in played),
                                sum(r.scored_calls for r in played)),
        "success_rate": _ratio(successes, len(complete)),
        "successes": successes,
        "complete_items": len(complete),
    }


def item_counts(items: Iterable[R.ItemResult]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per played item, the ``(numerator, denominator)`` of each headline metric, so that
    :func:`accuracy`'s micro-averages are sums of these (``success_rate``'s denominator is 1
    only for fully scored items)."""
    counts = {}
    for r in items:
        if r.status == R.SKIPPED:
            continue
        complete = r.scored_turns == r.n_turns
        counts[r.id] = {
            "turn_accuracy": (float(r.turns_completed), float(r.scored_turns)),
            "success_rate": (float(complete and r.status == R.SUCCESS), float(complete)),
            "call_accuracy": (float(r.calls_correct), float(r.scored_calls)),
        }
        if r.reward is not None:
            counts[r.id]["reward"] = (float(r.reward), 1.0)
    return counts


def summarize(items: Iterable[R.ItemResult], *, judge: bool = False) -> dict[str, Any]:
    """The whole summary: headline metrics, breakdowns, taxonomy, matching and missing gold."""
    items = sorted(items, key=lambda r: r.id)
    overall = accuracy(items)
    errors = Counter(str(e["kind"]) for r in items for e in r.errors)
    failures = Counter(r.failure for r in items if r.status == R.FAILED and r.failure)
    stages = Counter()
    for r in items:
        stages.update(r.matched_by)
    missing = [r for r in items if r.missing_gold]
    rewards = [r.reward for r in items if r.status != R.SKIPPED and r.reward is not None]
    metrics = {name: overall[name] for name in HEADLINE}
    if rewards:
        metrics["reward"] = sum(rewards) / len(rewards)
    return {
        "metrics": metrics,
        "counts": {
            "items": len(items),
            "played": overall["items"],
            "complete_items": overall["complete_items"],
            "successes": overall["successes"],
            "status": dict(sorted(Counter(r.status for r in items).items())),
        },
        "by_domain": _breakdown(items, lambda r: r.domain or "unknown"),
        "by_steps": _breakdown(items, lambda r: r.n_steps),
        "errors": {kind: errors.get(kind, 0) for kind in KINDS},
        "failures": {kind: failures.get(kind, 0) for kind in KINDS},
        "matched_by": dict(sorted(stages.items())),
        "judge": {
            "enabled": judge,
            "matches": stages.get("judge", 0),
            "items": sorted(r.id for r in items if r.matched_by.get("judge")),
        },
        "missing_gold": {
            "items": len(missing),
            "steps": sum(len(r.missing_gold) for r in missing),
            "truncated": sorted(r.id for r in missing
                                if r.status != R.SKIPPED and r.scored_turns < r.n_turns),
            "skipped": sorted(r.id for r in missing if r.status == R.SKIPPED),
            "by_item": {r.id: r.missing_gold for r in missing},
        },
    }


def _breakdown(items: Sequence[R.ItemResult], key) -> dict[str, dict[str, Any]]:
    groups: dict[Any, list[R.ItemResult]] = {}
    for r in items:
        groups.setdefault(key(r), []).append(r)
    return {str(k): accuracy(groups[k]) for k in sorted(groups)}


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
