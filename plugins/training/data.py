"""Training inputs: the task split, the environment factory and the rollout limits, from config.

Tasks are read from ``trainer.data.tasks_file`` when it is set (a task JSONL written by
``orchestrl synth``, any world); otherwise the BFCL world (``world.name=bfcl``) draws ``synth.n``
tasks from its sampler (verified prefixes of the training scenarios, for ``seed``), and the
Booking world reads ``data_dir/<trainer.data.train_file>`` (traces with their real responses).
A seeded shuffle holds out ``trainer.data.holdout`` tasks for evaluation; the rest (at most
``trainer.data.limit`` when set) are trained on. The Booking environment is the cached
environment over the configured response cache, seeded from the data directory's traces when
the cache is empty (so a fresh ``cache=memory`` run needs no separate import step); the BFCL
environment runs the package's backends behind the same cache.
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
from orchestrl.nodes import given
from orchestrl.plugins.rollout.engine import RolloutLimits
from orchestrl.plugins.worlds import is_bfcl


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
    elif is_bfcl(cfg):
        from orchestrl.build import build

        source = Path("bfcl-eval")
        n = int((cfg.get("synth") or {}).get("n", 100))
        tasks = list(build(cfg.sampler).sample(n, seed=int(cfg.seed)))
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


def data_files(cfg: DictConfig, split: TaskSplit) -> list[Path]:
    """The files a training run read, for its run record: the task source, plus the Booking
    world's tool schemas (the BFCL world's schemas ship inside ``bfcl-eval``)."""
    if not is_bfcl(cfg):
        return [split.source, Path(str(cfg.data_dir)) / "tools.jsonl"]
    return [split.source] if cfg.trainer.data.get("tasks_file") else []  # else: the package's


def env_factory(cfg: DictConfig) -> Callable[[], ToolEnvironment]:
    """A factory of environments over one shared response cache (seeded when empty).

    ``world.name=bfcl`` gives BFCL's stateful environment (real backends, recorded into the
    cache); otherwise the Booking environment over the cache of real responses.
    """
    from orchestrl.plugins.cache.factory import open_cache
    from orchestrl.plugins.cache.importers import import_booking_dir
    from orchestrl.plugins.env.environment import build_environment

    cache = open_cache(cfg)
    if is_bfcl(cfg):
        from orchestrl.plugins.bfcl.environment import BfclEnvironment, bfcl_cache

        shared = bfcl_cache(cache)
        return lambda: BfclEnvironment(shared, miss_policy="live")
    if len(cache.backend) == 0:
        import_booking_dir(cache, Path(str(cfg.data_dir)), progress=True)

    def make() -> ToolEnvironment:
        return build_environment(cfg, cache)

    return make


def rollout_limits(cfg: DictConfig) -> RolloutLimits:
    """Rollout limits from ``trainer.rollout``; tool messages default to env.max_response_chars,
    and the BFCL world's system turn to the one its benchmark evaluates with, so training and
    evaluation prompts agree."""
    node: dict[str, Any] = given(cfg.trainer.get("rollout"))  # unset: the engine's defaults
    if is_bfcl(cfg) and "system_prompt" not in node:
        from orchestrl.plugins.benchmarks.bfcl import SYSTEM_PROMPT

        node["system_prompt"] = SYSTEM_PROMPT
    env_budget = (cfg.get("env") or {}).get("max_response_chars")
    if env_budget is not None:
        node.setdefault("response_chars", int(env_budget))
    try:
        return RolloutLimits(**node)
    except TypeError as exc:
        raise ConfigError(f"trainer.rollout: {exc}") from None


def _is_bfcl(cfg: DictConfig) -> bool:
    return str((cfg.get("world") or {}).get("name", "booking")) == "bfcl"
