"""Reward term ``param_types``: argument values of the type the tool schema declares.

Formula: ``2·Σ_pairs type_share / (A + N)`` with, per assigned pair, ``type_share`` = share of
the predicted arguments whose value has the declared type after the environment's lossless
coercion (:func:`orchestrl.plugins.tools.schema.validate_call`: ``"47.45"`` is a number, ``true``
is not a string); a parameter the schema does not declare counts as wrongly typed; a call with
no argument scores 1 if the gold step has none, else 0.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class ParamTypes(MatchedTerm):
    """Share of arguments typed as the schema declares, on the assigned calls."""

    signature_pure = True

    def score_analysis(self, analysis: Analysis) -> float:
        return analysis.level("type_share")


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("param_types", ParamTypes)
