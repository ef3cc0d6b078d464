"""Reward term ``efficiency``: penalises calls beyond what the task needs.

Formula: ``min(1, (N + slack) / A)`` with ``N`` gold steps and ``A`` attempted calls
(unparsable ones included); with no attempt it is 1 when the task needs no call, else 0 (doing
nothing is not efficient). ``slack`` allows that many extra calls for free (a retry after an
error, say).
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.errors import ConfigError
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class Efficiency(MatchedTerm):
    """Needed calls over attempted calls, capped at 1."""

    signature_pure = True

    def __init__(self, slack: int = 0) -> None:
        """``slack``: extra calls allowed before the score drops."""
        if slack < 0:
            raise ConfigError(f"efficiency slack must be non-negative, not {slack}")
        self.slack = slack

    def score_analysis(self, analysis: Analysis) -> float:
        if analysis.n_attempts == 0:
            return 1.0 if analysis.n_gold == 0 else 0.0
        return min(1.0, (analysis.n_gold + self.slack) / analysis.n_attempts)


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("efficiency", Efficiency)
