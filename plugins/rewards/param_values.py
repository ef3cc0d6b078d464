"""Reward term ``param_values``: the right argument values on each matched call.

Formula: ``2·Σ_pairs value_share / (A + N)`` with, per assigned pair,
``value_share = |{k ∈ G∩P : pred[k] ≈ gold[k]}| / |G∪P|`` where ``≈`` is equality after
normalisation by the schema's declared type (:mod:`orchestrl.plugins.rewards.prepared`): case
and whitespace, date and time formats, list order when the schema marks the list
``uniqueItems``; a ``string`` parameter compares as text, never numerically (``"382161796"``
never equals ``"382161797"``); the relative numeric tolerance 1e-6 only for ``number``
parameters and never between integral values; a dependent argument exactly. Extra and missing
arguments both lower it.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class ParamValues(MatchedTerm):
    """Share of argument values equal to gold after normalisation, on the assigned calls."""

    signature_pure = True

    def score_analysis(self, analysis: Analysis) -> float:
        return analysis.level("value_share")


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("param_values", ParamValues)
