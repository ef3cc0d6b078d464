"""Reward term ``paper_orchestration``: the reference's orchestration score, by name and position.

Formula: ``matched / N`` over the ``N`` gold steps, in order. Step ``j`` is matched by the
first predicted call (in order, parsed calls only) whose name is ``j``'s function and whose
position is after the positions matched for every step ``j`` depends on (all of which must be
matched already). Calls are not consumed — one call may match several same-name steps — and
arguments and responses are ignored. 0 without gold steps.
"""

from __future__ import annotations

from orchestrl import hookimpl
from orchestrl.api import RewardTerm, Task, Trajectory
from orchestrl.registry import Registry


class PaperOrchestration(RewardTerm):
    """Share of gold steps found by function name after their dependencies."""

    def score(self, trajectory: Trajectory, task: Task) -> float:
        if not task.steps:
            return 0.0
        names = [record.call.name for record in trajectory.calls if record.call is not None]
        position_of: dict[int, int] = {}
        for step in task.steps:
            parents = [position_of.get(d) for d in step.depends_on]
            if any(p is None for p in parents):
                continue
            after = max((p for p in parents if p is not None), default=-1)
            for position in range(after + 1, len(names)):
                if names[position] == step.function:
                    position_of[step.index] = position
                    break
        return len(position_of) / len(task.steps)


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("paper_orchestration", PaperOrchestration)
