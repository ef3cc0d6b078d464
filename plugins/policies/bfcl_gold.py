"""Policy ``bfcl_gold``: replays a BFCL task's ground truth, user turn by user turn.

BFCL conversations have several user turns, each answered by any number of assistant steps.
The policy reads where it is from the messages: the BFCL turn is the number of user messages
so far minus one, the step the number of assistant messages since the last user message. At
step 0 it emits the turn's gold calls as ``<tool_call>`` JSON blocks; afterwards (or for a
turn without gold calls) it answers in text, which ends the turn. With it, the ``bfcl``
benchmark must score every ground truth valid: a check of the whole evaluation loop.
"""

from __future__ import annotations

import json

from orchestrl import hookimpl
from orchestrl.api import JSON, Policy, PolicyOutput, Task
from orchestrl.registry import Registry

TURN_DONE = "Done."


class BfclGoldPolicy(Policy):
    """Emits each BFCL turn's gold calls in one assistant step, then ends the turn."""

    def __init__(self) -> None:
        self._turns: list[list[str]] = []

    def begin_episode(self, task: Task) -> None:
        """Group the task's gold steps by BFCL turn."""
        count = len(task.metadata.get("turns", [])) or 1
        turns: list[list[str]] = [[] for _ in range(count)]
        for step in task.steps:
            turn = step.turn if step.turn is not None and step.turn < count else count - 1
            call = json.dumps({"name": step.function, "arguments": step.arguments})
            turns[turn].append(f"<tool_call>\n{call}\n</tool_call>")
        self._turns = turns

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        """The gold calls of the current turn at its first step, else the end of the turn."""
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        turn = len(users) - 1
        last_user = users[-1] if users else -1
        step = sum(1 for m in messages[last_user + 1 :] if m.get("role") == "assistant")
        if step == 0 and 0 <= turn < len(self._turns) and self._turns[turn]:
            return PolicyOutput(text="\n".join(self._turns[turn]))
        return PolicyOutput(text=TURN_DONE)


@hookimpl
def orchestrl_register_policy(registry: Registry) -> None:
    registry.add("bfcl_gold", BfclGoldPolicy)
