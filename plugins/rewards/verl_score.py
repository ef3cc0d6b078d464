"""The reward as a verl custom reward function: ``compute_score(data_source, solution_str,
ground_truth, extra_info=None)``.

verl's per-sample reward managers call the function named by ``custom_reward_function.name``
in the file ``custom_reward_function.path`` once per sample,
with the decoded response text as ``solution_str`` and the dataset row's
``reward_model.ground_truth`` as ``ground_truth``; keyword arguments from
``custom_reward_function.reward_kwargs`` are passed through (here: ``preset``)::

    custom_reward_function.path=<site-packages>/orchestrl/plugins/rewards/verl_score.py
    custom_reward_function.name=compute_score
    +custom_reward_function.reward_kwargs.preset=graduated   # or paper, atomic_only, ...

``solution_str`` is read as the reference and verl render a multi-turn rollout (Qwen/Hermes
chat text): every ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` block, each with
the ``<tool_response>...</tool_response>`` block that follows its turn
(:mod:`~orchestrl.plugins.rewards.text_trajectory`). ``ground_truth`` is the task as JSON text,
exactly what :func:`~orchestrl.plugins.rewards.task_codec.task_to_json` writes (best with
``with_responses=False``) and what ``orchestrl synth`` writes in the ``ground_truth`` column of
``tasks.jsonl``; in verl's parquet it goes to ``reward_model: {"style": "rule",
"ground_truth": <that text>}``. A ``ground_truth`` that is not such a task is a
:class:`~orchestrl.errors.DataError`; ``data_source`` and ``extra_info`` are not used.

The score is the preset's total in [0, 1] (``graduated`` by default, the shipped reward
presets by name); presets are composed once per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from orchestrl.api import Trajectory
from orchestrl.config import compose
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.task_codec import task_from_json
from orchestrl.plugins.rewards.text_trajectory import records_from_text

DEFAULT_PRESET = "graduated"


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: str,
    extra_info: dict[str, Any] | None = None,
    *,
    preset: str = DEFAULT_PRESET,
) -> float:
    """The reward of one verl rollout text against its task (see the module docstring)."""
    task = task_from_json(ground_truth)
    text = solution_str if isinstance(solution_str, str) else ""
    trajectory = Trajectory(
        task_id=task.id,
        messages=[{"role": "assistant", "content": text}],
        calls=records_from_text(text),
    )
    return reward_preset(preset).score(trajectory, task)


@lru_cache(maxsize=16)
def reward_preset(name: str) -> CombinedReward:
    """The shipped reward preset ``name``, built once (ConfigError on an unknown name)."""

    return CombinedReward.from_config(compose([f"reward={name}"]).reward)
