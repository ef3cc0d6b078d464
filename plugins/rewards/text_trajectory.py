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

from collections.abc import Iterator
from typing import Any

from orchestrl.api import CallRecord, ToolResult
from orchestrl.plugins.parsing.json_bounded import SYNTAX_ERROR, JsonLimits, loads_bounded
from orchestrl.plugins.parsing.tool_calls import parse_text
from orchestrl.plugins.rewards.text_memo import TextMemo

RESPONSE_OPEN = "<tool_response>"
RESPONSE_CLOSE = "</tool_response>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
_TOOL_OUTPUT_LIMITS = JsonLimits(max_chars=8_000_000, max_depth=128, max_int_digits=400)


def records_from_text(text: str) -> list[CallRecord]:
    """The call records of ``text``, each with its inline response (see the module docstring)."""
    if RESPONSE_OPEN not in text:
        return parse_text(text)
    records: list[CallRecord] = []
    turn, calls, responses = 0, [], []
    for block, response in blocks(text):
        if response is None:  # a call block
            if responses:
                records.extend(_answered(calls, responses))
                turn, calls, responses = turn + 1, [], []
            calls.extend(_parsed_block(block, turn))
        else:
            responses.append(response)
    records.extend(_answered(calls, responses))
    return records


def blocks(text: str) -> Iterator[tuple[str, str | None]]:
    """``(block, None)`` for each call block and ``(block, body)`` for each response block of
    ``text``, in text order. A call block runs from ``<tool_call>`` to its ``</tool_call>``
    (included), else up to the next ``<tool_call>`` or ``<tool_response>``, else to the end; a
    response's body runs to its ``</tool_response>``, else to the end. Found with ``str.find``
    (no per-character work in Python), each search bounded by the next response tag, so that
    the text is scanned about once (a response's body by its closing tag's search only)."""
    end, position = len(text), 0
    response = text.find(RESPONSE_OPEN)
    while True:
        limit = end if response < 0 else response
        call = text.find(CALL_OPEN, position, limit)
        if call >= 0:  # a call block comes first
            body = call + len(CALL_OPEN)
            close = text.find(CALL_CLOSE, body, limit)
            following = text.find(CALL_OPEN, body, limit if close < 0 else close)
            if following >= 0:
                position = following
            else:
                position = limit if close < 0 else close + len(CALL_CLOSE)
            yield text[call:position], None
        elif response >= 0:
            body = response + len(RESPONSE_OPEN)
            close = text.find(RESPONSE_CLOSE, body)
            position = end if close < 0 else close + len(RESPONSE_CLOSE)
            yield text[response:position], text[body:end if close < 0 else close]
            response = text.find(RESPONSE_OPEN, position)
        else:
            return


def _parsed_block(block: str, turn: int) -> list[CallRecord]:
    """:func:`parse_text` of one call block, memoised by block and turn (a task's rollouts
    repeat their calls); the records are shared between callers: treat them as read-only."""
    key = (turn, block)
    records = _BLOCK_RECORDS.get(key)
    if records is None:
        records = parse_text(block, turn=turn)
        if len(block) <= BLOCK_MEMO_CHARS:
            if len(_BLOCK_RECORDS) >= BLOCK_MEMO_ENTRIES:
                _BLOCK_RECORDS.clear()
            _BLOCK_RECORDS[key] = records
    return records


BLOCK_MEMO_ENTRIES = 65_536
"""Call blocks whose parsed records :func:`records_from_text` keeps (then it starts afresh)."""
BLOCK_MEMO_CHARS = 4_096
"""Longest call block it keeps."""
_BLOCK_RECORDS: dict[tuple[int, str], list[CallRecord]] = {}


def result_from_text(content: Any) -> ToolResult:
    """The result that a tool's output text stands for (see the module docstring).

    Memoised by text (least recently used first out, at most :data:`RESULT_MEMO_CHARS`
    characters of text in all): a task's rollouts receive the same responses again and again.
    The memo (:class:`~orchestrl.plugins.rewards.text_memo.TextMemo`) is looked up by a
    fingerprint of the text and a hit is confirmed by comparing the whole text, so a result is
    only ever reused for an equal text.
    The returned result and its ``content`` are shared between callers: treat them as read-only.
    """
    if not isinstance(content, str):
        return ToolResult(
            ok=False,
            content=None,
            error_kind="api_error",
            message="tool message content is not text",
        )
    hit = _RESULTS.get(content)
    if hit is not None:
        return hit
    result = _parse_result(content)
    _RESULTS.put(content, result)
    return result


def _parse_result(content: str) -> ToolResult:
    try:
        value = loads_bounded(content, _TOOL_OUTPUT_LIMITS)
    except ValueError as exc:
        return ToolResult(ok=False, content=content, error_kind="api_error",
                          message=f"{NOT_JSON}: {exc}", text=content)
    failed = isinstance(value, dict) and (
        not value or "error" in value or value.get("status") is False
    )
    return ToolResult(ok=not failed, content=value, error_kind="api_error" if failed else None,
                      text=content)


NOT_JSON = "tool output is not JSON"
"""How the message of a result whose text is not JSON starts (then ``: `` and the reason)."""


def breaks_json_syntax(result: ToolResult) -> bool:
    """Whether ``result`` was read from a text that is not JSON by syntax, so that plain
    ``json.loads`` fails on that text too (other refusals of the bounded reader, such as a
    too long integer or ``NaN``, are not syntax: ``json.loads`` may still read the text)."""
    return result.text is not None and result.message.startswith(
        f"{NOT_JSON}: {SYNTAX_ERROR}")


RESULT_MEMO_CHARS = 32_000_000
"""Characters of tool output whose parsed results :func:`result_from_text` keeps."""


_RESULTS: TextMemo[ToolResult] = TextMemo(RESULT_MEMO_CHARS)


def clear_result_memo() -> None:
    """Forget the results :func:`result_from_text` and the call blocks
    :func:`records_from_text` memoised (a cold start)."""
    _RESULTS.clear()
    _BLOCK_RECORDS.clear()


def _answered(calls: list[CallRecord], responses: list[str]) -> list[CallRecord]:
    targets = list(range(len(calls)))
    if len(responses) < len(calls):
        parsed = [i for i, record in enumerate(calls) if record.call is not None]
        if len(parsed) == len(responses):
            targets = parsed
    answered = list(calls)
    for position, text in zip(targets, responses, strict=False):
        record = calls[position]
        answered[position] = CallRecord(record.turn, record.raw, record.call,
                                        record.parse_error, result_from_text(text.strip()))
    return answered
