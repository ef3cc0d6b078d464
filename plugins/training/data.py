"""Training inputs: the task split, the environment factory and the rollout limits, from config.

Tasks are read from ``trainer.data.tasks_file`` when it is set (a task JSONL written by
``orchestrl synth``, any world), else from ``data_dir/<trainer.data.train_file>`` (Booking traces
with their real responses). A seeded shuffle holds out ``trainer.data.holdout`` tasks for
evaluation; the rest (at most ``trainer.data.limit`` when set) are trained on. The
environment is the cached environment over the configured response cache, seeded from the data
directory's traces when the cache is empty (so a fresh ``cache=memory`` run needs no separate
import step).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from orchestrl.api import Task, ToolEnvironment
from orchestrl.errors import ConfigError
from orchestrl.plugins.rollout.engine import RolloutLimits


@dataclass
class TaskSplit:
    """Tasks to train on and held-out tasks to evaluate on."""

    train: list[Task]
    holdout: list[Task]
    source: Path


def load_split(cfg: DictConfig) -> TaskSplit:
    """The train/holdout split the trainer config describes."""
    data = cfg.trainer.data
    if data.get("tasks_file"):
        from orchestrl.plugins.synthesis.output import read_tasks

        source = Path(str(data.tasks_file))
        tasks = read_tasks(source)
    else:
        from orchestrl.plugins.booking.data import load_tasks, load_templates, load_tools

        data_dir = Path(str(cfg.data_dir))
        source = data_dir / str(data.train_file)
        tools = load_tools(data_dir)
        has_templates = (data_dir / "workflow_templates.json").is_file()
        tasks = load_tasks(source, tools, load_templates(data_dir) if has_templates else {})
    if not tasks:
        raise ConfigError(f"no training tasks in '{source}'")
    order = list(range(len(tasks)))
    random.Random(int(cfg.seed)).shuffle(order)
    holdout_n = int(data.holdout)
    if not 0 <= holdout_n < len(tasks):
        raise ConfigError(f"trainer.data.holdout={holdout_n} must be in [0, {len(tasks)})")
    holdout = [tasks[i] for i in order[:holdout_n]]
    train = [tasks[i] for i in order[holdout_n:]]
    if data.get("limit"):
        train = train[: int(data.limit)]
    return TaskSplit(train=train, holdout=holdout, source=source)


def env_factory(cfg: DictConfig) -> Callable[[], ToolEnvironment]:
    """A factory of environments over one shared response cache (seeded when empty).

    ``world.name=bfcl`` gives BFCL's stateful environment (real backends, recorded into the
    cache); otherwise the Booking environment over the cache of real responses.
    """
    from orchestrl.plugins.cache.factory import open_cache
    from orchestrl.plugins.cache.importers import import_booking_dir
    from orchestrl.plugins.env.environment import build_environment

    cache = open_cache(cfg)
    if str((cfg.get("world") or {}).get("name", "booking")) == "bfcl":
        from orchestrl.plugins.bfcl.environment import BfclEnvironment, bfcl_cache

        shared = bfcl_cache(cache)
        return lambda: BfclEnvironment(shared, miss_policy="live")
    if len(cache.backend) == 0:
        import_booking_dir(cache, Path(str(cfg.data_dir)), progress=True)

    def make() -> ToolEnvironment:
        return build_environment(cfg, cache)

    return make


def rollout_limits(cfg: DictConfig) -> RolloutLimits:
    """Rollout limits from ``trainer.rollout``; tool messages default to env.max_response_chars."""
    node: dict[str, Any] = dict(cfg.trainer.get("rollout") or {})
    env_budget = (cfg.get("env") or {}).get("max_response_chars")
    if env_budget is not None:
        node.setdefault("response_chars", int(env_budget))
    try:
        return RolloutLimits(**node)
    except TypeError as exc:
        raise ConfigError(f"trainer.rollout: {exc}") from None
