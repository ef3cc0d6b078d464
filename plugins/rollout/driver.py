"""The rollout driver: the one multi-turn loop of orchestrl, for training and every benchmark.

:func:`drive` asks the policy for a turn, appends it to the :class:`~orchestrl.plugins.rollout.
engine.Episode` (parsing its calls and answering them), and repeats until the episode's
:class:`Rules` stop it. Benchmark-specific behaviour is a small :class:`Rules` object, never a
copy of the loop:

* :class:`PlainRules`, the rollout of training and of :func:`rollout`: calls are executed on the
  environment; the episode ends with the first turn without a call (``answer``), after
  ``max_turns`` turns or over the token budget;
* ComplexFuncBench's turn protocol (:mod:`orchestrl.plugins.benchmarks.cfb.protocol`) answers calls
  with gold observations and stops on unmatched turns and format-retry limits;
* BFCL's user turns (:mod:`orchestrl.plugins.benchmarks.bfcl`) append the next user message
  when a step makes no call and force-quit a turn after its step limit.

A policy that cannot hold the conversation (:class:`~orchestrl.errors.ContextBudgetExceeded`)
ends the episode with ``token_budget``, any other policy failure
(:class:`~orchestrl.errors.OrchestrlError`) with ``error``; nothing the model emits raises.
"""

from __future__ import annotations

import json
import logging

from orchestrl.api import JSON, CallRecord, Policy, PolicyOutput, Task, ToolEnvironment, Trajectory
from orchestrl.errors import ContextBudgetExceeded, OrchestrlError
from orchestrl.plugins.rollout.engine import Answer, Episode, RolloutLimits

log = logging.getLogger(__name__)


class Rules:
    """What a benchmark decides in the loop; the defaults offer the episode's tools, execute
    every call on the environment and never stop (subclasses say when)."""

    answer: Answer | None = None
    """How a turn's call attempts are answered; None executes them on the environment."""

    def tools(self, episode: Episode) -> list[dict[str, JSON]]:
        """The tool schemas offered for the next turn."""
        return episode.limits.tools(episode.task)

    def before_turn(self, episode: Episode) -> str | None:
        """A stop reason to end the episode before the policy acts again, or None."""
        return None

    def after_turn(
        self, episode: Episode, output: PolicyOutput, records: list[CallRecord]
    ) -> str | None:
        """A stop reason after the turn ``output`` (its call attempts ``records``), or None."""
        return None


class PlainRules(Rules):
    """Execute calls until a turn without one (``answer``), ``max_turns`` or the token budget."""

    def __init__(self) -> None:
        self.final_answer: str | None = None

    def before_turn(self, episode: Episode) -> str | None:
        return "max_turns" if episode.turns >= episode.limits.max_turns else None

    def after_turn(
        self, episode: Episode, output: PolicyOutput, records: list[CallRecord]
    ) -> str | None:
        if not records:
            self.final_answer = (output.text or "").strip()
            return "answer"
        return "token_budget" if episode.tokens >= episode.limits.token_budget else None


def drive(policy: Policy, episode: Episode, rules: Rules) -> str:
    """Play ``episode`` with ``policy`` under ``rules``; return the stop reason."""
    policy.begin_episode(episode.task)
    count = getattr(policy, "count_tokens", None) or estimate_tokens
    while True:
        stop = rules.before_turn(episode)
        if stop is not None:
            return stop
        try:
            output = policy.act(episode.messages, rules.tools(episode))
        except ContextBudgetExceeded:
            return "token_budget"
        except OrchestrlError as exc:
            log.warning("policy failed on task %s: %s", episode.task.id, exc)
            return "error"
        episode.tokens += count(output.text or "") + structured_tokens(output)
        records = episode.add_turn(output, rules.answer)
        stop = rules.after_turn(episode, output, records)
        if stop is not None:
            return stop


def rollout(
    policy: Policy, env: ToolEnvironment, task: Task, limits: RolloutLimits | None = None
) -> Trajectory:
    """Run ``policy`` on ``task`` against ``env`` until an answer or a limit (the plain rules);
    never raises for anything the policy emits."""
    episode = Episode(task, env, limits or RolloutLimits())
    rules = PlainRules()
    stop = drive(policy, episode, rules)
    return episode.trajectory(stop, final_answer=rules.final_answer)


def estimate_tokens(text: str) -> int:
    """A policy's generated tokens when it cannot count them (about 4 characters a token)."""
    return len(text) // 4 + 1


def structured_tokens(output: PolicyOutput) -> int:
    """Estimated tokens of a turn's structured ``tool_calls``."""
    if not output.tool_calls:
        return 0
    return estimate_tokens(json.dumps(output.tool_calls, default=str))
