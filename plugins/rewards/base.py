"""Base of the reward terms that aggregate a shared trajectory analysis.

A :class:`MatchedTerm` only aggregates an analysis, so :class:`CombinedReward` (and the TRL
adapter) analyse each trajectory once and hand the same analysis to every such term;
``score`` alone analyses on its own, for callers holding a single term.
"""

from __future__ import annotations

import abc

from orchestrl.api import RewardTerm, Task, Trajectory
from orchestrl.plugins.rewards.analysis import Analysis, analyse


class MatchedTerm(RewardTerm):
    """A reward term computed from the assignment of predicted calls to gold steps."""

    def score(self, trajectory: Trajectory, task: Task) -> float:
        return self.score_analysis(analyse(trajectory, task))

    @abc.abstractmethod
    def score_analysis(self, analysis: Analysis) -> float:
        """This term's score of an analysed trajectory, in [0, 1]."""
