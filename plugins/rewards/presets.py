"""The shipped reward presets (``conf/reward/<name>.yaml``) as scorers, outside a run's config.

Benchmarks score their episodes with one preset (``graduated`` by default), and the study
trains one GRPO arm per preset; both compose the preset's node the way ``reward=<name>`` does.
"""

from __future__ import annotations

from omegaconf import DictConfig

from orchestrl.config import compose
from orchestrl.plugins.rewards.combined import CombinedReward


def preset_node(name: str) -> DictConfig:
    """The ``reward`` node of preset ``name``; ConfigError (one line) for an unknown one."""

    node = compose([f"reward={name}"]).reward
    assert isinstance(node, DictConfig)
    return node


def preset_reward(name: str):  # -> CombinedReward (import kept lazy: it loads every term)
    """The :class:`~orchestrl.plugins.rewards.combined.CombinedReward` of preset ``name``."""

    return CombinedReward.from_config(preset_node(name))
