"""Replaying a synthesized trace through the environment before it is emitted.

Each gold call is sent to the environment in order (after ``reset(task)``). The trace is
valid when every call is answered from the cache (``cache_hit``) with a successful result, and
every dependency edge holds on the responses the environment actually returned: with the
``strict`` miss policy a miss raises :class:`~orchestrl.errors.CacheMissError`, which counts
as a failure here. On success the gold steps' responses are replaced by the replayed ones (a
task may come with responses left None, to be filled by the replay).

The environment is deterministic, so a :class:`Replayer` remembers the answers of the last
``memo_size`` distinct calls (keyed by function and canonical arguments; the least recently
used is forgotten first, so memory stays bounded on caches of 10^5+ entries) and sends only
calls it does not remember; a trace whose calls were all answered before is checked without
touching the environment. Pass ``memo=False`` to replay every call of every trace.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from orchestrl.api import JSON, Task, ToolEnvironment
from orchestrl.errors import CacheMissError
from orchestrl.plugins.synthesis.checking import argument_value, reproduces

MEMO_SIZE = 16_384
"""Distinct calls whose answers a :class:`Replayer` remembers. The samplers keep every emitted
task, whose responses are the same objects, so the memo adds little memory of its own; on a
10^5-entry cache it answers 29% of the gold calls of a 5,000-trace run itself (4,096: 15%),
which saves their decoding (``benchmarks/synthesis_efficiency.py``)."""


class Replayer:
    """Replays traces through one environment, remembering answers (see the module docstring)."""

    def __init__(self, env: ToolEnvironment, *, memo: bool = True,
                 memo_size: int = MEMO_SIZE) -> None:
        self.env = env
        self.memo = memo
        self.memo_size = memo_size
        self.answers: OrderedDict[str, tuple[bool, JSON, str]] = OrderedDict()
        self.calls_sent = 0

    def replay(self, task: Task) -> str | None:
        """Replay ``task``; return None when valid, else why not (one line)."""
        self._forget_oldest()
        keys = [_call_key(s.function, s.arguments) for s in task.steps]
        if not self.memo or any(k not in self.answers for k in keys):
            self.env.reset(task)
            for step, key in zip(task.steps, keys, strict=True):
                if self.memo and key in self.answers:
                    continue
                self.calls_sent += 1
                try:
                    result = self.env.call(step.function, dict(step.arguments))
                except CacheMissError as exc:
                    self.answers[key] = (False, None, f"missed the cache: {exc}")
                    continue
                good = result.ok and result.cache_hit
                why = "" if good else f"was not answered from the cache ({result.error_kind})"
                self.answers[key] = (good, result.content, why)
        responses = []
        for step, key in zip(task.steps, keys, strict=True):
            good, content, why = self.answers[key]
            if not self.memo:
                del self.answers[key]
            else:
                self.answers.move_to_end(key)
            if not good:
                return f"step {step.index} {why}"
            responses.append(content)
            for argument, ref in step.dependency_args.items():
                value = argument_value(step.arguments, argument)
                if not reproduces(responses[ref.from_step], ref.from_field, value):
                    return f"step {step.index} argument '{argument}' does not reproduce on replay"
        for step, response in zip(task.steps, responses, strict=True):
            step.response = response
        return None

    def _forget_oldest(self) -> None:
        while len(self.answers) > self.memo_size:
            self.answers.popitem(last=False)


def replay(task: Task, env: ToolEnvironment) -> str | None:
    """Replay every call of ``task`` through ``env`` (no memory); None when valid."""
    return Replayer(env, memo=False).replay(task)


_KEY_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # json.dumps's, built once


def _call_key(function: str, arguments: dict[str, JSON]) -> str:
    return function + " " + _KEY_ENCODER.encode(arguments)
