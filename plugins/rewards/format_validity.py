"""Reward term ``format``: the share of attempted tool calls that parse.

Formula: ``parsed / attempted`` over the trajectory's call records, where an attempt is any
text that looked like a call (the rollout keeps unparsable attempts, with their error).
A trajectory with no attempt scores 0 when the task expects calls and 1 when it expects none.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class FormatValidity(MatchedTerm):
    """Share of attempted calls that parse into a name and an argument object."""

    signature_pure = True

    def score_analysis(self, analysis: Analysis) -> float:
        if not analysis.n_attempts:
            return 0.0 if analysis.n_gold else 1.0
        return analysis.n_parsed / analysis.n_attempts


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("format", FormatValidity)
