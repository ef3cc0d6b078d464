"""Reward term ``param_names``: the right parameter names on each matched call.

Formula: ``2·Σ_pairs names_f1 / (A + N)`` with, per assigned pair, ``names_f1 =
2·|G∩P| / (|G| + |P|)`` (the F1 of predicted parameter names ``P`` against gold names ``G``:
precision penalises invented parameters, recall forgotten ones); ``A`` attempts, ``N`` gold
steps, so a missing step or an extra call lowers it too.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class ParamNames(MatchedTerm):
    """Precision and recall of parameter names on the assigned calls."""

    signature_pure = True

    def score_analysis(self, analysis: Analysis) -> float:
        return analysis.level("names_f1")


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("param_names", ParamNames)
