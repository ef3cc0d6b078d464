"""Policy ``bfcl_gold``: replays a BFCL task's ground truth, user turn by user turn.

BFCL conversations have several user turns, each answered by any number of assistant steps.
The policy reads where it is from the messages: the BFCL turn is the number of user messages
so far minus one, the step the number of assistant messages since the last user message. At
step 0 it emits the turn's gold calls as ``<tool_call>`` JSON blocks; afterwards (or for a
turn without gold calls) it answers in text, which ends the turn. With it, the ``bfcl``
benchmark must score every ground truth valid: a check of the whole evaluation loop.

It is ``parallel_safe``: the gold calls of the episode being played are kept per thread
(:meth:`begin_episode` and the episode's :meth:`act` calls run in one thread, as the rollout
driver plays an episode), so several episodes can be in flight in a benchmark's threads.
"""

from __future__ import annotations

import json
import threading

from orchestrl import hookimpl
from orchestrl.api import JSON, Policy, PolicyOutput, Task
from orchestrl.registry import Registry

TURN_DONE = "Done."


class BfclGoldPolicy(Policy):
    """Emits each BFCL turn's gold calls in one assistant step, then ends the turn."""

    parallel_safe = True

    def __init__(self) -> None:
        self._episode = threading.local()

    def begin_episode(self, task: Task) -> None:
        """Group the task's gold steps by BFCL turn, for the episodes of this thread."""
        self._episode.turns = gold_turns(task)

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        """The gold calls of the current turn at its first step, else the end of the turn."""
        turns = self.turns
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        turn = len(users) - 1
        last_user = users[-1] if users else -1
        step = sum(1 for m in messages[last_user + 1 :] if m.get("role") == "assistant")
        if step == 0 and 0 <= turn < len(turns) and turns[turn]:
            return PolicyOutput(text="\n".join(turns[turn]))
        return PolicyOutput(text=TURN_DONE)

    @property
    def turns(self) -> list[list[str]]:
        """The ``<tool_call>`` blocks of each turn of this thread's episode."""
        turns = getattr(self._episode, "turns", None)
        if turns is None:
            raise RuntimeError("the bfcl_gold policy acted before begin_episode(task) in "
                               "this thread")
        return turns


def gold_turns(task: Task) -> list[list[str]]:
    """The task's gold calls as ``<tool_call>`` blocks, grouped by BFCL turn (a step without a
    turn, or past the last one, goes to the last turn)."""
    count = len(task.metadata.get("turns", [])) or 1
    turns: list[list[str]] = [[] for _ in range(count)]
    for step in task.steps:
        turn = step.turn if step.turn is not None and step.turn < count else count - 1
        call = json.dumps({"name": step.function, "arguments": step.arguments})
        turns[turn].append(f"<tool_call>\n{call}\n</tool_call>")
    return turns


@hookimpl
def orchestrl_register_policy(registry: Registry) -> None:
    registry.add("bfcl_gold", BfclGoldPolicy)
