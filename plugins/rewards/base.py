"""Base of the reward terms that aggregate a shared trajectory analysis.

A :class:`MatchedTerm` only aggregates an analysis, so :class:`CombinedReward` (and the TRL
adapter) analyse each trajectory once and hand the same analysis to every such term;
``score`` alone analyses on its own, for callers holding a single term.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from orchestrl.api import RewardTerm, Task, Trajectory
from orchestrl.plugins.rewards.analysis import Analysis, analyse


class MatchedTerm(RewardTerm):
    """A reward term computed from the assignment of predicted calls to gold steps."""

    signature_pure: ClassVar[bool] = False
    """True when :meth:`score_analysis` reads only the analysis' counts, pairs, assignment,
    predicted values and the trajectory's call records (turns, calls, ``result.ok`` and
    ``result.content``), never its messages or final answer, and the term's own settings:
    then two trajectories with equal signatures
    (:attr:`~orchestrl.plugins.rewards.analysis.Measured.key`) score the same, and
    :class:`~orchestrl.plugins.rewards.combined.CombinedReward` memoises a breakdown made of
    such terms only. False (the default) for a term that reads anything else."""

    def score(self, trajectory: Trajectory, task: Task) -> float:
        return self.score_analysis(analyse(trajectory, task))

    @abc.abstractmethod
    def score_analysis(self, analysis: Analysis) -> float:
        """This term's score of an analysed trajectory, in [0, 1]."""
