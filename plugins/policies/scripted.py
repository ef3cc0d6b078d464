"""Policy ``scripted``: replays a task's gold calls, optionally with injected errors.

The ground truth for testing rewards and evaluators: with every rate at 0 it emits exactly
the gold calls (one assistant turn per gold turn, or per step when steps have no ``turn``) as
``<tool_call>`` text, then a final answer. Injected errors, each drawn independently with its
rate from a generator seeded by ``seed`` and the task id (so a rollout is reproducible):

* ``wrong_value`` (per call): one argument gets a different value of the same type;
* ``wrong_order`` (per task): two adjacent turns are swapped;
* ``missing_step`` (per call): the call is left out;
* ``unparsable`` (per call): the call's JSON is cut off mid-object (it stays an attempt).

:attr:`ScriptedPolicy.injected` lists what was injected in the current episode.
"""

from __future__ import annotations

import json
import random
import zlib

from orchestrl import hookimpl
from orchestrl.api import JSON, GoldStep, Policy, PolicyOutput, Task
from orchestrl.errors import ConfigError
from orchestrl.registry import Registry

FINAL_ANSWER = "All requested information has been retrieved."


class ScriptedPolicy(Policy):
    """Emits the gold calls of the task given to :meth:`begin_episode`, turn by turn."""

    parallel_safe = False

    def __init__(
        self,
        wrong_value: float = 0.0,
        wrong_order: float = 0.0,
        missing_step: float = 0.0,
        unparsable: float = 0.0,
        seed: int = 0,
    ) -> None:
        rates = {"wrong_value": wrong_value, "wrong_order": wrong_order,
                 "missing_step": missing_step, "unparsable": unparsable}
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(f"scripted policy rate {name}={rate} is not in [0, 1]")
        self.rates = rates
        self.seed = seed
        self.injected: list[tuple[str, int]] = []
        self._turns: list[str] = []

    def identity(self) -> dict[str, JSON]:
        """The class, its error rates and its seed."""
        return {**super().identity(), "rates": dict(self.rates), "seed": self.seed}

    def begin_episode(self, task: Task) -> None:
        """Plan the episode's turns (with injections) from the task's gold steps."""
        rng = random.Random(self.seed * 1_000_003 + zlib.crc32(task.id.encode()))
        self.injected = []
        groups = _group_by_turn(task.steps)
        if len(groups) > 1 and rng.random() < self.rates["wrong_order"]:
            i = rng.randrange(len(groups) - 1)
            groups[i], groups[i + 1] = groups[i + 1], groups[i]
            self.injected.append(("wrong_order", groups[i][0].index))
        turns = []
        for group in groups:
            blocks = []
            for step in group:
                if rng.random() < self.rates["missing_step"]:
                    self.injected.append(("missing_step", step.index))
                    continue
                arguments = dict(step.arguments)
                if arguments and rng.random() < self.rates["wrong_value"]:
                    key = rng.choice(sorted(arguments))
                    arguments[key] = _perturb(arguments[key], rng)
                    self.injected.append(("wrong_value", step.index))
                text = json.dumps({"name": step.function, "arguments": arguments})
                if rng.random() < self.rates["unparsable"]:
                    text = text[: max(1, len(text) // 2)]
                    self.injected.append(("unparsable", step.index))
                blocks.append(f"<tool_call>\n{text}\n</tool_call>")
            if blocks:
                turns.append("\n".join(blocks))
        self._turns = turns

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        """The next planned turn, or the final answer once the plan is used up."""
        done = sum(1 for message in messages if message.get("role") == "assistant")
        if done < len(self._turns):
            return PolicyOutput(text=self._turns[done])
        return PolicyOutput(text=FINAL_ANSWER)


def _group_by_turn(steps: list[GoldStep]) -> list[list[GoldStep]]:
    groups: dict[object, list[GoldStep]] = {}
    for step in steps:
        key = step.turn if step.turn is not None else ("step", step.index)
        groups.setdefault(key, []).append(step)
    return list(groups.values())


def _perturb(value: JSON, rng: random.Random) -> JSON:
    """A different value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.randint(1, 9)
    if isinstance(value, float):
        return round(value + rng.uniform(0.5, 5.0), 4)
    if isinstance(value, str):
        return value + "_x" if value else "x"
    if isinstance(value, list):
        return [*value, value[-1]] if value else ["x"]
    return {"unexpected": True}


@hookimpl
def orchestrl_register_policy(registry: Registry) -> None:
    registry.add("scripted", ScriptedPolicy)
