"""Call records from one completion string that may carry its tool responses inline.

The reference's rollouts and verl's multi-turn text show each assistant turn's
``<tool_call>{json}</tool_call>`` blocks followed by the environment's
``<tool_response>...</tool_response>`` blocks (Qwen/Hermes chat format). :func:`records_from_text`
reads both, in text order:

* a *turn* is a run of call blocks and the response blocks that follow them (a call block after
  a response block starts the next turn);
* within a turn, responses go to the calls in order; when the turn has fewer responses than
  calls but exactly one per parsed call, they go to the parsed calls (an environment that
  ignores unparsable calls); a call left without a response was not executed (``result``
  None); surplus responses are ignored;
* a response's result: ``ok`` when its text is JSON that is not an error payload (an object
  with an ``error`` key, ``status`` false, or ``{}``); text that is not JSON is a failure.

A string without ``<tool_response>`` is parsed as before (every attempt, none executed). The
reading is bounded (the tool-call parser's limits, responses up to 8 MB of JSON) and only
``json`` touches the text.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from typing import Any

from orchestrl.api import CallRecord, ToolResult
from orchestrl.plugins.parsing.json_bounded import JsonLimits, loads_bounded
from orchestrl.plugins.parsing.tool_calls import parse_text

RESPONSE_OPEN = "<tool_response>"
_BLOCKS = re.compile(
    r"<tool_call>.*?(?:</tool_call>|(?=<tool_call>|<tool_response>)|\Z)"
    r"|<tool_response>(.*?)(?:</tool_response>|\Z)",
    re.DOTALL,
)
_TOOL_OUTPUT_LIMITS = JsonLimits(max_chars=8_000_000, max_depth=128, max_int_digits=400)


def records_from_text(text: str) -> list[CallRecord]:
    """The call records of ``text``, each with its inline response (see the module docstring)."""
    if RESPONSE_OPEN not in text:
        return parse_text(text)
    records: list[CallRecord] = []
    turn, calls, responses = 0, [], []
    for match in _BLOCKS.finditer(text):
        if match.group(1) is None:  # a call block
            if responses:
                records.extend(_answered(calls, responses))
                turn, calls, responses = turn + 1, [], []
            calls.extend(parse_text(match.group(0), turn=turn))
        else:
            responses.append(match.group(1))
    records.extend(_answered(calls, responses))
    return records


def result_from_text(content: Any) -> ToolResult:
    """The result that a tool's output text stands for (see the module docstring).

    Memoised by text (least recently used first out, at most :data:`RESULT_MEMO_CHARS`
    characters of text in all): a task's rollouts receive the same responses again and again.
    The memo is looked up by a fingerprint of the text (its length, head and tail: hashing a
    new 8,000-character text costs more than the lookup) and a hit is confirmed by comparing
    the whole text, so a result is only ever reused for an equal text.
    The returned result and its ``content`` are shared between callers: treat them as read-only.
    """
    if not isinstance(content, str):
        return ToolResult(
            ok=False,
            content=None,
            error_kind="api_error",
            message="tool message content is not text",
        )
    key = _fingerprint(content)
    hit = _RESULTS.get(key)
    if hit is not None and hit[0] == content:
        _RESULTS.move_to_end(key)
        return hit[1]
    result = _parse_result(content)
    _RESULTS.remember(key, content, result)
    return result


_EDGE = 96
"""Characters of each end of a text in its fingerprint."""


def _fingerprint(text: str) -> str | tuple[int, str, str]:
    """The text itself when short, else its length, head and tail (equal texts: equal
    fingerprints; a fingerprint may stand for several texts, each checked in full)."""
    if len(text) <= 4 * _EDGE:
        return text
    return (len(text), text[:_EDGE], text[-_EDGE:])


def _parse_result(content: str) -> ToolResult:
    try:
        value = loads_bounded(content, _TOOL_OUTPUT_LIMITS)
    except ValueError:
        return ToolResult(
            ok=False, content=content, error_kind="api_error", message="tool output is not JSON"
        )
    failed = isinstance(value, dict) and (
        not value or "error" in value or value.get("status") is False
    )
    return ToolResult(ok=not failed, content=value, error_kind="api_error" if failed else None)


RESULT_MEMO_CHARS = 32_000_000
"""Characters of tool output whose parsed results :func:`result_from_text` keeps."""


class _TextMemo(OrderedDict[Any, tuple[str, ToolResult]]):
    """An LRU map from a text's fingerprint to the text and its result (one text per
    fingerprint, the last one parsed), bounded by the total length of the texts held."""

    chars = 0

    def remember(self, key: Any, text: str, result: ToolResult) -> None:
        if len(text) > RESULT_MEMO_CHARS // 8:
            return
        replaced = self.pop(key, None)
        if replaced is not None:
            self.chars -= len(replaced[0])
        self[key] = (text, result)
        self.chars += len(text)
        while self.chars > RESULT_MEMO_CHARS:
            _, (evicted, _) = self.popitem(last=False)
            self.chars -= len(evicted)

    def clear(self) -> None:
        super().clear()
        self.chars = 0


_RESULTS = _TextMemo()


def clear_result_memo() -> None:
    """Forget the results :func:`result_from_text` memoised (a cold start)."""
    _RESULTS.clear()


def _answered(calls: list[CallRecord], responses: list[str]) -> list[CallRecord]:
    targets = list(range(len(calls)))
    if len(responses) < len(calls):
        parsed = [i for i, record in enumerate(calls) if record.call is not None]
        if len(parsed) == len(responses):
            targets = parsed
    answered = list(calls)
    for position, text in zip(targets, responses, strict=False):
        answered[position] = dataclasses.replace(
            calls[position], result=result_from_text(text.strip())
        )
    return answered
