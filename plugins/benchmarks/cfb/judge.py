"""An optional judge: any policy asked whether two calls request the same thing.

Used only for pairs the rules could not decide (same function, exact keys equal, other values
different, no cached response to compare). The policy gets a system prompt and one user message
holding the tools' description, the query and both calls, and must answer with a JSON object
``{"equivalent": true|false}`` (a bare ``yes``/``no`` is accepted too). Anything else, or a
policy error, counts as "not equivalent". Judge decisions are counted separately in the summary.
"""

from __future__ import annotations

import json
import re
import threading

from orchestrl.api import GoldStep, Policy, ToolCall
from orchestrl.errors import OrchestrlError

SYSTEM_PROMPT = (
    "You compare two calls of the same API function. Answer with a JSON object "
    '{"equivalent": true} when both calls would return the same information for the user\'s '
    'request, and {"equivalent": false} otherwise. Answer with nothing else.'
)
_VERDICT = re.compile(r'"equivalent"\s*:\s*(true|false)', re.IGNORECASE)
_WORD = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)


class PolicyJudge:
    """Calls ``policy`` (serialised unless it is ``parallel_safe``) to decide equivalence."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._lock = None if policy.parallel_safe else threading.Lock()

    def __call__(self, call: ToolCall, step: GoldStep) -> bool:
        question = json.dumps({
            "function": step.function,
            "call_1": call.arguments,
            "call_2": step.arguments,
        }, ensure_ascii=False, default=str)
        messages = [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": question}]
        try:
            if self._lock is None:
                output = self.policy.act(messages, [])
            else:
                with self._lock:
                    output = self.policy.act(messages, [])
        except OrchestrlError:
            return False
        return parse_verdict(output.text or "")


def parse_verdict(text: str) -> bool:
    """True only for an explicit ``"equivalent": true`` or a leading ``yes``."""
    found = _VERDICT.search(text)
    if found is not None:
        return found.group(1).lower() == "true"
    word = _WORD.match(text.strip())
    return word is not None and word.group(1).lower() == "yes"
