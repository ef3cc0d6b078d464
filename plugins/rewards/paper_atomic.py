"""Reward term ``paper_atomic``: the reference implementation's atomic score, defects included.

Formula (per parsed call ``c``; unparsable attempts are dropped, as the reference does):
find the *first* gold step whose function is ``c``'s name (a repeated function is compared with
its first occurrence — a defect reproduced on purpose); none: the call scores 0. Otherwise

``ast = 0.33 + 0.33·overlap·type_acc + 0.34·values_ok`` with ``overlap = |P∩G| / |G|``,
``type_acc`` the share of shared keys whose types are compatible, the middle term being
``0.33·[P = ∅]`` when ``G = ∅``, and ``values_ok`` the all-or-nothing BFCL check;
``exec`` = 1 when the call's response, serialised and cut at ``response_chars``, still parses
and does not report a failure (see :mod:`~orchestrl.plugins.rewards.paper_checks`).
The term is the mean of ``(ast + exec) / 2`` over parsed calls, 0 with no parsed call.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrl import hookimpl
from orchestrl.api import CallRecord, GoldStep, RewardTerm, Task, Trajectory
from orchestrl.errors import ConfigError
from orchestrl.plugins.rewards.paper_checks import (
    reference_exec_ok,
    reference_types_compatible,
    reference_values_ok,
)
from orchestrl.registry import Registry, RewardTermConfig


@dataclass
class PaperAtomicConfig(RewardTermConfig):
    """``response_chars``: the rollout's tool-response cut (0: no cut)."""

    response_chars: int = 8192


class PaperAtomic(RewardTerm):
    """Mean of (ast + exec) / 2 over parsed calls, as the reference computes it."""

    def __init__(self, response_chars: int = 8192) -> None:
        if response_chars < 0:
            raise ConfigError(f"response_chars must be non-negative, not {response_chars}")
        self.response_chars = response_chars

    def score(self, trajectory: Trajectory, task: Task) -> float:
        calls = [record for record in trajectory.calls if record.call is not None]
        if not calls:
            return 0.0
        first: dict[str, GoldStep] = {}
        for step in task.steps:
            first.setdefault(step.function, step)
        total = sum(self._call_score(record, first.get(record.call.name)) for record in calls)
        return total / len(calls)

    def _call_score(self, record: CallRecord, gold: GoldStep | None) -> float:
        if gold is None or record.call is None:
            return 0.0
        predicted, expected = record.call.arguments, gold.arguments
        if expected:
            shared = [k for k in expected if k in predicted]
            overlap = len(shared) / len(expected)
            type_acc = (
                sum(reference_types_compatible(predicted[k], expected[k]) for k in shared)
                / len(shared)
                if shared
                else 0.0
            )
            structure = 0.33 * overlap * type_acc
        else:
            structure = 0.33 if not predicted else 0.0
        ast = 0.33 + structure + 0.34 * reference_values_ok(predicted, expected)
        executed = reference_exec_ok(record.result, self.response_chars)
        return (ast + executed) / 2


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("paper_atomic", PaperAtomic, config=PaperAtomicConfig)
