"""Reward term ``paper_atomic``: the reference implementation's atomic score, defects included.

Formula (per parsed call ``c``; unparsable attempts are dropped, as the reference does):
find the *first* gold step whose function is ``c``'s name (a repeated function is compared with
its first occurrence — a defect reproduced on purpose); none: the call scores 0. Otherwise

``ast = 0.33 + 0.33·overlap·type_acc + 0.34·values_ok`` with ``overlap = |P∩G| / |G|``,
``type_acc`` the share of shared keys whose types are compatible, the middle term being
``0.33·[P = ∅]`` when ``G = ∅``, and ``values_ok`` the all-or-nothing BFCL check;
``exec`` = 1 when the response the reference pairs with the call (erratum 3, see
:mod:`~orchestrl.plugins.rewards.paper_pairing`), shown as the rollout showed it (serialised,
cut in the middle when longer than ``response_chars``), still parses and does not report a
failure (see :mod:`~orchestrl.plugins.rewards.paper_checks`).
The term is the mean of ``(ast + exec) / 2`` over parsed calls, 0 with no parsed call.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.api import RESPONSE_CHARS, GoldStep, RewardTerm, Task, ToolCall, Trajectory
from orchestrl.errors import ConfigError
from orchestrl.plugins.rewards.paper_checks import (
    reference_types_compatible,
    reference_values_ok,
)
from orchestrl.plugins.rewards.paper_pairing import reference_exec
from orchestrl.registry import Registry


class PaperAtomic(RewardTerm):
    """Mean of (ast + exec) / 2 over parsed calls, as the reference computes it."""

    def __init__(self, response_chars: int = RESPONSE_CHARS) -> None:
        """``response_chars``: the rollout's tool-response cut (0: no cut)."""
        if response_chars < 0:
            raise ConfigError(f"response_chars must be non-negative, not {response_chars}")
        self.response_chars = response_chars

    def score(self, trajectory: Trajectory, task: Task) -> float:
        calls = [record.call for record in trajectory.calls if record.call is not None]
        if not calls:
            return 0.0
        first: dict[str, GoldStep] = {}
        for step in task.steps:
            first.setdefault(step.function, step)
        executed = reference_exec(trajectory.calls, self.response_chars)
        total = 0.0
        for call, ran in zip(calls, executed, strict=True):
            gold = first.get(call.name)
            if gold is not None:  # no gold step of that name: ast = exec = 0
                total += (_ast(call, gold) + ran) / 2
        return total / len(calls)


def _ast(call: ToolCall, gold: GoldStep) -> float:
    """The reference's ast score of one parsed call against its first same-name gold step."""
    predicted, expected = call.arguments, gold.arguments
    if expected:
        shared = [k for k in expected if k in predicted]
        overlap = len(shared) / len(expected)
        type_acc = (
            sum(reference_types_compatible(predicted[k], expected[k]) for k in shared) / len(shared)
            if shared
            else 0.0
        )
        structure = 0.33 * overlap * type_acc
    else:
        structure = 0.33 if not predicted else 0.0
    return 0.33 + structure + 0.34 * reference_values_ok(predicted, expected)


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("paper_atomic", PaperAtomic)
