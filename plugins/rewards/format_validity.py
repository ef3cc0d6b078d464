"""Reward term ``format``: the share of attempted tool calls that parse.

Formula: ``parsed / attempted`` over the trajectory's call records, where an attempt is any
text that looked like a call (the rollout keeps unparsable attempts, with their error).
A trajectory with no attempt scores 0 when the task expects calls and 1 when it expects none.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.api import RewardTerm, Task, Trajectory
from orchestrl.registry import Registry


class FormatValidity(RewardTerm):
    """Share of attempted calls that parse into a name and an argument object."""

    def score(self, trajectory: Trajectory, task: Task) -> float:
        attempts = trajectory.calls
        if not attempts:
            return 0.0 if task.steps else 1.0
        parsed = sum(1 for record in attempts if record.call is not None)
        return parsed / len(attempts)


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("format", FormatValidity)
