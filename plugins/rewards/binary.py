"""Reward term ``binary``: the success baseline, 1 only when every gold step is matched exactly.

Formula: ``1`` if every gold step is assigned a predicted call with exactly the gold parameter
names and every value equal after normalisation, and (unless ``allow_extra_calls``) no other
call was attempted; else ``0``. Without the second condition, repeating the gold calls a
thousand times would count as success. A task without gold steps scores 1 only when no call
was attempted.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.registry import Registry


class Binary(MatchedTerm):
    """All-or-nothing success: every gold step matched exactly."""

    signature_pure = True

    def __init__(self, allow_extra_calls: bool = False) -> None:
        """``allow_extra_calls``: succeed even when calls beyond the gold steps were attempted."""
        self.allow_extra_calls = allow_extra_calls

    def score_analysis(self, analysis: Analysis) -> float:
        if analysis.n_gold == 0:
            return 1.0 if analysis.n_attempts == 0 else 0.0
        if not self.allow_extra_calls and analysis.n_attempts != analysis.n_gold:
            return 0.0
        return 1.0 if analysis.totals["exact"] == analysis.n_gold else 0.0  # pairs exact


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("binary", Binary)
