"""Sampler ``bfcl``: tasks of controlled complexity from the BFCL world's training scenarios.

Candidates are the *turn prefixes* of the training entries (scenarios of the ``train`` side of
:mod:`orchestrl.plugins.worlds.bfcl.split`, in the configured categories): the first *k* user turns
of a conversation with their ground truth, on the entry's initial configuration. A prefix is
a coherent conversation of its own (no later turn is referred to), so no new text has to be
written. A candidate is kept when

* its complexity is within bounds: ``min_turns <= k <= max_turns`` and
  ``min_calls <= calls <= max_calls``, and its last turn has ground-truth calls;
* it replays cleanly: BFCL's checker accepts its ground truth, and no ground-truth call of the
  prefix answers ``Error during execution``.

The tools a task offers are every function of the scenario's classes (``tools="involved"``, as
BFCL's evaluation offers them) or only those of the classes its ground truth calls
(``tools="used"``: fewer distractors and about 30% shorter prompts for a small CPU budget). The
scenario's backends are the same either way.

Sampling is stratified by mined template (:mod:`orchestrl.plugins.worlds.bfcl.templates`, the
prefix's per-turn function names): templates are visited round-robin in an order shuffled by
``seed``, each yielding its candidates in a seeded order, so frequent shapes do not crowd out
rare ones. ``stats`` counts candidates, accepted tasks and rejections by reason
(efficiency = accepted / candidates).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator

from orchestrl import hookimpl
from orchestrl.api import Sampler, Task
from orchestrl.errors import ConfigError
from orchestrl.plugins.worlds.bfcl.checker import check_entry, ground_truth_calls
from orchestrl.plugins.worlds.bfcl.entries import BfclEntry, function_docs, load_entries
from orchestrl.plugins.worlds.bfcl.executor import ERROR_PREFIX
from orchestrl.plugins.worlds.bfcl.split import DEFAULT_EVAL_FRACTION, DEFAULT_SEED, select
from orchestrl.plugins.worlds.bfcl.tasks import entry_to_task
from orchestrl.plugins.worlds.bfcl.templates import pattern_of
from orchestrl.registry import Registry

TOOL_CHOICES = ("involved", "used")


def prefix(entry: BfclEntry, turns: int) -> BfclEntry:
    """The entry cut to its first ``turns`` user turns (id ``<id>:turns<k>``)."""
    return BfclEntry(
        id=f"{entry.id}:turns{turns}" if turns < len(entry.turns) else entry.id,
        category=entry.category,
        turns=entry.turns[:turns],
        ground_truth=entry.ground_truth[:turns],
        initial_config=entry.initial_config,
        involved_classes=entry.involved_classes,
        missed_function={t: n for t, n in entry.missed_function.items() if t < turns},
    )


class BfclSampler(Sampler):
    """Verified turn prefixes of training scenarios, stratified by template (module doc)."""

    def __init__(
        self,
        categories: list[str] | None = None,
        min_turns: int = 1,
        max_turns: int = 8,
        min_calls: int = 1,
        max_calls: int = 64,
        eval_fraction: float = DEFAULT_EVAL_FRACTION,
        split_seed: int = DEFAULT_SEED,
        tools: str = "involved",
        **_: object,
    ) -> None:
        if not 1 <= min_turns <= max_turns or not 0 <= min_calls <= max_calls:
            raise ConfigError(
                f"bfcl sampler bounds are inconsistent: turns {min_turns}..{max_turns}, "
                f"calls {min_calls}..{max_calls}"
            )
        if tools not in TOOL_CHOICES:
            raise ConfigError(f"bfcl sampler tools '{tools}' is not one of "
                              f"{', '.join(TOOL_CHOICES)}")
        self.tools = tools
        self.categories = list(categories or ["multi_turn_base"])
        self.bounds = (min_turns, max_turns, min_calls, max_calls)
        self.eval_fraction = eval_fraction
        self.split_seed = split_seed
        self.stats: Counter[str] = Counter()

    def candidates(self) -> list[BfclEntry]:
        """Every prefix of a training entry within the complexity bounds, in data order."""
        min_turns, max_turns, min_calls, max_calls = self.bounds
        out = []
        for category in self.categories:
            entries = select(load_entries(category), "train", eval_fraction=self.eval_fraction,
                             seed=self.split_seed)
            for entry in entries:
                for k in range(min_turns, min(max_turns, len(entry.turns)) + 1):
                    calls = sum(len(turn) for turn in entry.ground_truth[:k])
                    if entry.ground_truth[k - 1] and min_calls <= calls <= max_calls:
                        out.append(prefix(entry, k))
        return out

    def verify(self, candidate: BfclEntry) -> str | None:
        """Why ``candidate`` does not replay cleanly, or None when it does."""
        verdict = check_entry(candidate, [[t] if t else [] for t in ground_truth_calls(candidate)])
        if not verdict.valid:
            return verdict.error_type
        if any(r.startswith(ERROR_PREFIX) for turn in verdict.ground_truth_responses for r in turn):
            return "ground_truth_execution_error"
        return None

    def sample(self, n: int, *, seed: int) -> Iterator[Task]:
        """Up to ``n`` distinct verified tasks, deterministically for ``seed``."""
        rng = random.Random(seed)
        strata: dict[tuple, list[BfclEntry]] = {}
        for candidate in self.candidates():
            strata.setdefault(pattern_of(candidate), []).append(candidate)
        order = sorted(strata)
        rng.shuffle(order)
        queues = []
        for pattern in order:
            members = list(strata[pattern])
            rng.shuffle(members)
            queues.append(members)
        self.stats = Counter()
        produced = 0
        while produced < n and any(queues):
            for queue in queues:
                if produced >= n or not queue:
                    continue
                candidate = queue.pop()
                self.stats["candidates"] += 1
                reason = self.verify(candidate)
                if reason is not None:
                    self.stats[f"rejected:{reason}"] += 1
                    continue
                self.stats["accepted"] += 1
                produced += 1
                task = entry_to_task(candidate)
                if self.tools == "used":
                    task.tools = used_tools(task)
                task.metadata["template"] = [list(turn) for turn in pattern_of(candidate)]
                yield task


def used_tools(task: Task) -> list[dict]:
    """The tool docs of the scenario's classes that the task's gold steps call, in BFCL order."""
    called = {step.function for step in task.steps}
    classes = [cls for cls in task.metadata["involved_classes"]
               if called & {doc["name"] for doc in function_docs([cls])}]
    return function_docs(classes)


@hookimpl
def orchestrl_register_sampler(registry: Registry) -> None:
    registry.add("bfcl", BfclSampler)
