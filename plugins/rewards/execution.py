"""Reward term ``execution``: the matched calls ran without an error in the environment.

Formula: ``2·Σ_pairs executed / (A + N)`` where ``executed`` is ``record.result.ok`` as the
environment reported it (validation passed and a real, non-failing response answered); it is
read from the environment's metadata, never from re-parsed response text. A call that was not
executed (``result`` None) scores 0.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class Execution(MatchedTerm):
    """Share of assigned calls the environment answered successfully."""

    signature_pure = True

    def score_analysis(self, analysis: Analysis) -> float:
        return analysis.level("executed")


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("execution", Execution)
