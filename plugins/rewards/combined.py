"""The combined reward: weighted terms, with the per-term breakdown.

``total = Σ_i w_i · s_i`` (summed with ``math.fsum``) over the configured terms. Weights are
not renormalised, exactly as TRL combines reward functions with ``GRPOConfig.reward_weights``;
the shipped presets' weights sum to 1, so their totals lie in [0, 1]. Terms built on the
shared analysis (:class:`~orchestrl.plugins.rewards.base.MatchedTerm`) receive one analysis
per trajectory.

When every term is :attr:`~orchestrl.plugins.rewards.base.MatchedTerm.signature_pure` (every
shipped preset but ``paper``), breakdowns are memoised per task by the trajectory's signature
(:func:`~orchestrl.plugins.rewards.analysis.measure`): GRPO scores many rollouts of a task and
most are alike, so an alike trajectory costs one pass over its records. The memo
(:func:`~orchestrl.plugins.rewards.prepared.remember_scores`, bounded, emptied by
``clear_caches``) is keyed by this reward object's serial number (never reused), the prepared
task and the signature; terms' settings are read as fixed once the reward is built.

Build it from config with ``CombinedReward.from_config(cfg.reward)`` (which uses
:func:`orchestrl.build.build_reward_terms`).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Mapping
from typing import NamedTuple

from omegaconf import DictConfig

from orchestrl.api import RewardTerm, Task, Trajectory
from orchestrl.build import build_reward_terms
from orchestrl.errors import ConfigError, PluginError
from orchestrl.plugins.rewards.analysis import Analysis, analyse, measure
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.plugins.rewards.prepared import prepare, remember_scores, scores_of

_SERIALS = itertools.count()


class RewardBreakdown(NamedTuple):
    """A trajectory's total reward and each term's unweighted score, in config order
    (immutable; a named tuple, which is cheaper to build than a frozen dataclass)."""

    total: float
    terms: dict[str, float]


class CombinedReward:
    """Weighted sum of reward terms, with a per-term breakdown."""

    def __init__(self, terms: Mapping[str, tuple[RewardTerm, float]]) -> None:
        if not terms:
            raise ConfigError("the reward config has no terms")
        self.terms = dict(terms)
        for name, (term, weight) in self.terms.items():
            if not isinstance(term, RewardTerm):
                raise ConfigError(f"reward term '{name}' is not a RewardTerm but {term!r}")
            if not (math.isfinite(weight) and weight >= 0):
                raise ConfigError(f"reward term '{name}' has invalid weight {weight}")
        self._plan = [  # each term's scoring method, bound once
            (name, term.score_analysis if isinstance(term, MatchedTerm) else term.score,
             isinstance(term, MatchedTerm))
            for name, (term, _) in self.terms.items()
        ]
        self._names = tuple(self.terms)
        self._analysed = (  # every term reads the analysis alone: one call each, no branches
            tuple(method for _, method, _ in self._plan)
            if all(matched for _, _, matched in self._plan) else None
        )
        self._weights = tuple(weight for _, weight in self.terms.values())
        self._memoised = all(
            isinstance(term, MatchedTerm) and term.signature_pure for term, _ in self.terms.values()
        )
        self._serial = next(_SERIALS)

    @classmethod
    def from_config(cls, reward: DictConfig) -> CombinedReward:
        """Build from a composed ``reward`` node (``reward.terms.<name>`` with weights)."""

        return cls(build_reward_terms(reward))

    @property
    def names(self) -> list[str]:
        """Term names in config order."""
        return list(self.terms)

    @property
    def weights(self) -> list[float]:
        """Term weights in config order (what ``GRPOConfig.reward_weights`` takes)."""
        return list(self._weights)

    def breakdown(
        self, trajectory: Trajectory, task: Task, analysis: Analysis | None = None
    ) -> RewardBreakdown:
        """The total and every term's score; ``analysis`` may be passed when already computed."""
        total, values = self.scored(trajectory, task, analysis)
        return RewardBreakdown(total, dict(zip(self._names, values, strict=False)))  # one each

    def scored(
        self, trajectory: Trajectory, task: Task, analysis: Analysis | None = None
    ) -> tuple[float, tuple[float, ...]]:
        """The total and every term's score in config order (:meth:`breakdown` without the
        names, for callers that collect columns)."""
        key = None
        if analysis is None and self._memoised:
            prepared = prepare(task)
            measured = measure(prepared, trajectory.calls)
            key = (self._serial, id(prepared), measured.key)
            hit = scores_of(key)
            if hit is not None:
                return hit[0], hit[1]
            analysis = analyse(trajectory, task, measured, prepared)
        values = self._values(trajectory, task, analysis)
        total = math.fsum(map(operator.mul, self._weights, values))
        if key is not None:
            remember_scores(key, (total, values, prepared, measured.keep))
        return total, values

    def _values(
        self, trajectory: Trajectory, task: Task, analysis: Analysis | None
    ) -> tuple[float, ...]:
        """Every term's score, in config order (each checked to lie in [0, 1])."""
        if analysis is not None and self._analysed is not None:
            values = [method(analysis) for method in self._analysed]
            for value in values:
                if type(value) is not float or not 0.0 <= value <= 1.0:
                    values = [checked(n, v) for n, v in zip(self._names, values, strict=True)]
                    break
            return tuple(values)
        values = []
        for name, method, matched in self._plan:
            if matched:
                if analysis is None:
                    analysis = analyse(trajectory, task)
                value = method(analysis)
            else:
                value = method(trajectory, task)
            if type(value) is not float or not 0.0 <= value <= 1.0:
                value = checked(name, value)
            values.append(value)
        return tuple(values)

    def score(self, trajectory: Trajectory, task: Task) -> float:
        """The total reward of ``trajectory``."""
        return self.breakdown(trajectory, task).total


def checked(name: str, value: float) -> float:
    """``value`` as a float, or PluginError when a term broke its [0, 1] contract."""
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise PluginError(f"reward term '{name}' returned {value}, outside [0, 1]")
    return value
