"""Reward term ``param_values``: the right argument values on each matched call.

Formula: ``2·Σ_pairs value_share / (A + N)`` with, per assigned pair,
``value_share = |{k ∈ G∩P : pred[k] ≈ gold[k]}| / |G∪P|`` where ``≈`` is equality after
:func:`orchestrl.plugins.rewards.normalize.normalize_value` (relative numeric tolerance 1e-6,
case and whitespace, date and time formats, list order when the schema marks the list
``uniqueItems``). Extra and missing arguments both lower it.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry, RewardTermConfig


@dataclass
class ParamValuesConfig(RewardTermConfig):
    """No options beyond the weight."""


class ParamValues(MatchedTerm):
    """Share of argument values equal to gold after normalisation, on the assigned calls."""

    def score_analysis(self, analysis: Analysis) -> float:
        return analysis.level("value_share")


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("param_values", ParamValues, config=ParamValuesConfig)
