"""orchestrl's parts of a TRL ``GRPOTrainer``, for training with TRL directly.

:func:`grpo_parts` composes orchestrl's config (any overrides: world, reward preset, cache, ...)
and returns what ``GRPOTrainer`` takes from orchestrl: the dataset (``prompt``, ``task``,
``task_id``, ``environment`` columns), the reward functions with their weights (one per reward
term, each seeing the completion's calls merged with the environment's records), and the
``environment_factory`` (tools generated from the tasks' schemas, answered by the world's
environment). ``orchestrl train trainer=grpo`` builds its trainer from the same parts;
``examples/grpo_with_trl.py`` shows them handed to TRL by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from orchestrl.api import Task
from orchestrl.config import compose
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.trl_adapter import trl_reward_functions
from orchestrl.plugins.rollout.engine import RolloutLimits
from orchestrl.plugins.rollout.prompt import initial_messages
from orchestrl.plugins.training import data
from orchestrl.plugins.training.trl_env import (
    MergedCalls,
    environment_factories,
    merged_calls,
    toolset_name,
)


@dataclass
class GrpoParts:
    """What a ``GRPOTrainer`` needs from orchestrl (see the module docstring)."""

    dataset: Any
    """A ``datasets.Dataset`` of the training tasks."""
    reward_funcs: list[Callable[..., list[float]]]
    reward_weights: list[float]
    """``GRPOConfig.reward_weights``, in the order of ``reward_funcs``."""
    environment_factory: Callable[..., Any]
    split: data.TaskSplit
    """The training tasks (``split.train``, the dataset's rows) and the held-out ones."""
    limits: RolloutLimits


def grpo_parts(cfg: DictConfig | Sequence[str] = ()) -> GrpoParts:
    """The parts for a composed config, or for overrides of the shipped config."""

    if not isinstance(cfg, DictConfig):
        cfg = compose(["trainer=grpo", *cfg])
    split = data.load_split(cfg)
    limits = data.rollout_limits(cfg)
    functions, weights = trl_reward_functions(CombinedReward.from_config(cfg.reward))
    return GrpoParts(
        dataset=grpo_dataset(split.train, limits),
        reward_funcs=[with_merged_calls(f) for f in functions],
        reward_weights=list(weights),
        environment_factory=environment_factories(split.train, data.env_factory(cfg), limits),
        split=split,
        limits=limits,
    )


def with_merged_calls(function: Callable[..., list[float]]) -> Callable[..., list[float]]:
    """A TRL reward function that sees merged call records instead of raw environments.

    The merge (:func:`~orchestrl.plugins.training.trl_env.merged_calls`) is done once per
    batch and shared by every function wrapped here (:data:`BATCH_MERGE`), however many reward
    functions TRL calls on that batch.
    """

    def reward(prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float]:
        environments = kwargs.get("environments")
        if environments:
            kwargs["environments"] = BATCH_MERGE(completions, environments)
        return function(prompts=prompts, completions=completions, **kwargs)

    reward.__name__ = function.__name__
    return reward


class BatchMerge:
    """The merged calls of the last batch scored, computed once for all its reward functions.

    A batch is recognised by its ``completions`` and ``environments`` list objects, as TRL
    hands them to every reward function of one step (it builds new lists for every batch).
    Both lists, and the episodes behind them, are treated as final once scored; the last batch
    is held until the next one arrives.
    """

    def __init__(self) -> None:
        self._batch: tuple[Sequence[Any], Sequence[Any]] | None = None
        self._merged: list[MergedCalls] = []

    def __call__(
        self, completions: Sequence[Any], environments: Sequence[Any]
    ) -> list[MergedCalls]:
        """One :class:`MergedCalls` per completion, the same list for the same batch."""
        batch = self._batch
        if batch is None or batch[0] is not completions or batch[1] is not environments:
            self._merged = [
                MergedCalls(merged_calls(c if isinstance(c, list) else [], e))
                for c, e in zip(completions, environments, strict=True)
            ]
            self._batch = (completions, environments)
        return self._merged


BATCH_MERGE = BatchMerge()
"""The merge shared by every :func:`with_merged_calls` wrapper."""


def grpo_dataset(tasks: Sequence[Task], limits: RolloutLimits) -> Any:
    """The GRPO training dataset (see the module docstring for its columns)."""
    from datasets import Dataset

    return Dataset.from_list([
        {
            "prompt": initial_messages(task, limits.system_prompt),
            "task": task_to_json(task),
            "task_id": task.id,
            "environment": toolset_name(task),
        }
        for task in tasks
    ])
