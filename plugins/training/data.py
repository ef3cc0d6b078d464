"""Training inputs: the task split, the environment factory and the rollout limits, from config.

Tasks are read from ``trainer.data.tasks_file`` when it is set (a task JSONL written by
``orchestrl synth``, any world); otherwise the configured world gives them
(:meth:`~orchestrl.api.World.training_tasks`: Booking's training traces with their real
responses, BFCL's verified prefixes of its training scenarios). A seeded shuffle holds out
``trainer.data.holdout`` tasks for evaluation; the rest (at most ``trainer.data.limit`` when
set) are trained on. Environments come from the world's factory over the configured response
cache; rollouts use the world's system turn unless ``trainer.rollout.system_prompt`` is set.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from orchestrl.api import Task, ToolEnvironment
from orchestrl.build import build_world
from orchestrl.errors import ConfigError
from orchestrl.nodes import given
from orchestrl.plugins.cache.factory import open_cache
from orchestrl.plugins.rollout.engine import RolloutLimits
from orchestrl.plugins.synthesis.output import read_tasks


@dataclass
class TaskSplit:
    """Tasks to train on and held-out tasks to evaluate on."""

    train: list[Task]
    holdout: list[Task]
    source: Path | None
    """The task file, or None when the world generated the tasks."""


def load_split(cfg: DictConfig) -> TaskSplit:
    """The train/holdout split the trainer config describes."""
    data = cfg.trainer.data
    if data.get("tasks_file"):
        source = Path(str(data.tasks_file))
        tasks = read_tasks(source)
    else:
        tasks, source = build_world(cfg).training_tasks(cfg)
    if not tasks:
        raise ConfigError(f"no training tasks in '{source or build_world(cfg).name}'")
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


def data_files(cfg: DictConfig, split: TaskSplit) -> list[Path]:
    """The files a training run read, for its run record: the task file (when there is one)
    and the world's data files."""
    return ([split.source] if split.source is not None else []) + build_world(cfg).data_files(cfg)


def env_factory(cfg: DictConfig) -> Callable[[], ToolEnvironment]:
    """A factory of the world's environments over one shared response cache."""
    return build_world(cfg).env_factory(cfg, open_cache(cfg))


def rollout_limits(cfg: DictConfig) -> RolloutLimits:
    """Rollout limits from ``trainer.rollout``; tool messages default to env.max_response_chars,
    and the system turn to the world's (BFCL's is the one its benchmark evaluates with), so
    training and evaluation prompts agree."""
    node: dict[str, Any] = given(cfg.trainer.get("rollout"))  # unset: the engine's defaults
    system_prompt = build_world(cfg).system_prompt
    if system_prompt is not None and "system_prompt" not in node:
        node["system_prompt"] = system_prompt
    env_budget = (cfg.get("env") or {}).get("max_response_chars")
    if env_budget is not None:
        node.setdefault("response_chars", int(env_budget))
    try:
        return RolloutLimits(**node)
    except TypeError as exc:
        raise ConfigError(f"trainer.rollout: {exc}") from None
