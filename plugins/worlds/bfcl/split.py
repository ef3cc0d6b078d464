"""The train/eval split of the BFCL world, by scenario.

A *scenario* is the number ``n`` ending an entry id: ``multi_turn_base_n``,
``multi_turn_miss_func_n``, ``multi_turn_miss_param_n`` and ``multi_turn_long_context_n`` tell
the same story, so they always fall on the same side. Scenarios whose initial configuration
is identical in ``multi_turn_base`` are grouped too (a few stories share one file system or
one account), so no evaluation state is ever trained on. A group goes to ``eval`` when

    int(sha256("bfcl-split:<seed>:<smallest scenario of the group>"), 16) / 2**256 < eval_fraction

which is stable across machines, Python versions and package updates that append entries.
Training data (tasks, mined templates, synthesized tasks) must come from ``train`` scenarios
only; the ``bfcl`` benchmark can be restricted to ``eval`` scenarios.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from orchestrl.errors import ConfigError
from orchestrl.plugins.worlds.bfcl.entries import BfclEntry, load_entries

SPLITS = ("all", "train", "eval")
DEFAULT_EVAL_FRACTION = 0.3
DEFAULT_SEED = 0


@cache
def scenario_groups() -> dict[int, int]:
    """Scenario -> the smallest scenario sharing its initial configuration in the base set."""
    by_config: dict[str, int] = {}
    group: dict[int, int] = {}
    for entry in load_entries("multi_turn_base"):
        text = json.dumps(entry.initial_config, sort_keys=True)
        first = by_config.setdefault(text, entry.scenario)
        group[entry.scenario] = min(first, entry.scenario)
    return group


def split_of(
    scenario: int, *, eval_fraction: float = DEFAULT_EVAL_FRACTION, seed: int = DEFAULT_SEED
) -> str:
    """``"train"`` or ``"eval"`` for a scenario number (see the module doc for the rule)."""
    if not 0.0 <= eval_fraction <= 1.0:
        raise ConfigError(f"bfcl eval_fraction {eval_fraction} is not in [0, 1]")
    anchor = scenario_groups().get(scenario, scenario)
    digest = hashlib.sha256(f"bfcl-split:{seed}:{anchor}".encode()).hexdigest()
    return "eval" if int(digest, 16) / 2**256 < eval_fraction else "train"


def select(
    entries: list[BfclEntry],
    split: str,
    *,
    eval_fraction: float = DEFAULT_EVAL_FRACTION,
    seed: int = DEFAULT_SEED,
) -> list[BfclEntry]:
    """The entries of ``split`` (``all``, ``train`` or ``eval``), in order."""
    if split not in SPLITS:
        raise ConfigError(f"bfcl split '{split}' is not one of {', '.join(SPLITS)}")
    if split == "all":
        return list(entries)
    return [
        e for e in entries
        if split_of(e.scenario, eval_fraction=eval_fraction, seed=seed) == split
    ]
