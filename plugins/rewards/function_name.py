"""Reward term ``function_name``: right functions, as many times as the task needs them.

Formula: ``2·M / (A + N)`` where ``M`` is the number of gold steps assigned a predicted call of
the same function (order-aware one-to-one, see :mod:`~orchestrl.plugins.rewards.matching`),
``A`` the number of attempted calls (unparsable ones included) and ``N`` the number of gold
steps: an F1 of call names. 1.0 when there are neither attempts nor gold steps.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class FunctionName(MatchedTerm):
    """F1 of predicted function names against the gold steps."""

    signature_pure = True

    def score_analysis(self, analysis: Analysis) -> float:
        denominator = analysis.n_attempts + analysis.n_gold
        if denominator == 0:
            return 1.0
        return 2.0 * len(analysis.record_of) / denominator


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("function_name", FunctionName)
