"""World ``bfcl``: BFCL v4 multi-turn, from the ``bfcl-eval`` package (nothing to download).

Calls are keyed in the response cache by their exact JSON and a digest of the backend state
(:mod:`orchestrl.plugins.worlds.bfcl.environment`), so the cache has no schemas and the world
needs no data directory. Training tasks are verified turn prefixes of the training scenarios
drawn by the configured sampler (``bfcl``, ``synth.n`` tasks for ``seed``); training rollouts
use BFCL's system turn, the one its benchmark evaluates with. The environment runs the package's
real backends behind the shared cache under ``env.miss_policy``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.api import Task, ToolEnvironment, World
from orchestrl.build import build
from orchestrl.errors import ConfigError
from orchestrl.plugins.synthesis.output import print_headline, write_tasks
from orchestrl.plugins.worlds.bfcl.environment import BfclEnvironment, bfcl_cache
from orchestrl.plugins.worlds.bfcl.prompt import SYSTEM_PROMPT
from orchestrl.registry import Registry


class BfclWorld(World):
    """BFCL's multi-turn world (see the module docstring)."""

    name = "bfcl"
    system_prompt = SYSTEM_PROMPT

    def tool_schemas(self, cfg: DictConfig) -> None:
        return None

    def data_version(self, cfg: DictConfig) -> str:
        return f"bfcl-eval=={version('bfcl-eval')}"

    def training_tasks(self, cfg: DictConfig) -> tuple[list[Task], None]:
        n = int((cfg.get("synth") or {}).get("n", 100))
        return list(build(cfg.sampler).sample(n, seed=int(cfg.seed))), None

    def env_factory(self, cfg: DictConfig, cache: Any) -> Callable[[], ToolEnvironment]:
        shared = bfcl_cache(cache)
        miss_policy = str((cfg.get("env") or {}).get("miss_policy", "live"))
        return lambda: BfclEnvironment(shared, miss_policy=miss_policy)

    def synthesize(self, cfg: DictConfig, n: int, out: Path) -> dict[str, Any]:
        path = out / str((cfg.get("synth") or {}).get("output", "tasks.jsonl"))
        sampler = build(cfg.sampler)
        if not hasattr(sampler, "stats"):
            raise ConfigError("the bfcl world synthesizes with sampler=bfcl")
        started = time.perf_counter()
        tasks = list(sampler.sample(n, seed=int(cfg.seed)))
        elapsed = time.perf_counter() - started
        if not tasks:
            raise ConfigError("the bfcl sampler produced no task within its bounds")
        write_tasks(tasks, path)
        stats = dict(sampler.stats)
        summary = {"sampler": "bfcl", "attempts": stats.get("candidates", 0), "valid": len(tasks),
                   "valid_per_attempt": len(tasks) / max(1, stats.get("candidates", 0)),
                   "valid_per_second": len(tasks) / elapsed if elapsed > 0 else None,
                   "counts": stats, "output": str(path)}
        (path.parent / "summary.json").write_text(json.dumps(summary, indent=2) + "\n",
                                                  encoding="utf-8")
        print_headline(summary)
        return summary


@hookimpl
def orchestrl_register_world(registry: Registry) -> None:
    registry.add("bfcl", BfclWorld)
