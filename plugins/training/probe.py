"""A quick probe of whether a model has learned the tool-call format.

Each task gets one assistant turn through the rollout engine; the probe reports the share of
tasks whose turn holds at least one call that parses, and the share whose first parsed call
names one of the task's gold functions. It is the before/after figure of the SFT warm start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from orchestrl.api import Policy, Task, ToolEnvironment
from orchestrl.plugins.rollout.driver import rollout
from orchestrl.plugins.rollout.engine import RolloutLimits


def first_turn_rates(
    policy: Policy,
    tasks: Sequence[Task],
    make_env: Callable[[], ToolEnvironment],
    limits: RolloutLimits | None = None,
) -> dict[str, float]:
    """``{"parseable": share, "gold_function": share}`` over ``tasks`` (one turn each)."""
    limits = replace(limits or RolloutLimits(), max_turns=1)
    parsed = named = 0
    for task in tasks:
        trajectory = rollout(policy, make_env(), task, limits)
        calls = [r.call for r in trajectory.calls if r.call is not None]
        if calls:
            parsed += 1
            named += calls[0].name in {step.function for step in task.steps}
    total = max(1, len(tasks))
    return {"parseable": parsed / total, "gold_function": named / total}
