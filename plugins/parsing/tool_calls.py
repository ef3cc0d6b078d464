"""Tool calls from what a model emitted: tagged text, bare JSON, or structured ``tool_calls``.

Every attempt becomes a :class:`~orchestrl.api.CallRecord`; an attempt that does not parse is
kept with ``call=None`` and a ``parse_error``, never dropped. Accepted shapes:

* text with ``<tool_call>{...}</tool_call>`` blocks (Qwen/Hermes); a block may hold one call
  object or a list of them; an unclosed final ``<tool_call>`` is an attempt too;
* text without tags holding bare JSON call objects or lists of them (also inside code fences);
  a ``{`` that does not decode counts as an attempt only when a ``"name"`` key follows it;
* structured ``tool_calls`` in the OpenAI/TRL shape
  ``{"type": "function", "function": {"name": ..., "arguments": dict | JSON string}}``
  (a flat ``{"name", "arguments"}`` is accepted too).

A call object is ``{"name": str, "arguments": object}`` (``parameters`` is accepted for
``arguments``, a missing one means ``{}``), or the OpenAI shape above.

Work is bounded for adversarial input: the text is scanned with linear regular expressions, at
most ``max_calls`` attempts are decoded per text (later ones are kept as attempts with an
error), each decode is bounded by :class:`~orchestrl.plugins.parsing.json_bounded.JsonLimits`,
the bare-JSON scan gives up after ``max_bare_tries`` failed decodes, and a text yields at most
``max_records`` records (the rest is summarised in one final unparsed record, so nothing is
dropped silently).

:func:`openai_tool_call` writes a :class:`~orchestrl.api.ToolCall` back in the structured shape
(the one place that shape is built: rollouts' assistant messages, gold trajectories).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrl.api import CallRecord, ToolCall
from orchestrl.plugins.parsing.exact_key import exact_bytes
from orchestrl.plugins.parsing.json_bounded import JsonLimits, check_value, loads_bounded

_OPEN = "<tool_call>"
_CLOSE = "</tool_call>"
_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|(?=<tool_call>)|\Z)", re.DOTALL)
_NAME_KEY = re.compile(r'"name"\s*:')
_BARE_START = re.compile(r"[{\[]")
_FLAT_PART = r'(?:[^{}\[\]"]|"[^"\\{}\[\]]*")*+'
_FLAT_RUN = re.compile(rf"(?:[^{{\[]++|\{{{_FLAT_PART}\}}|\[{_FLAT_PART}\])*+")
"""A run of text and of flat values (no nested brackets, strings without escapes or brackets).
The bare scan passes over such a run the same way whether its values decode or not (each one
ends at its closing bracket), so it is skipped in one match."""
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class ParseLimits:
    """Bounds on the work spent parsing one text or one message."""

    max_calls: int = 256
    """Attempts decoded per text; later attempts are kept unparsed."""
    max_bare_tries: int = 512
    """Failed decodes tried when scanning for bare JSON; later ``{`` are only counted."""
    max_records: int = 1_024
    """Records per text; what remains after that is one record saying how much was left."""
    max_raw_chars: int = 2_048
    """Longest ``raw`` kept per record (the rest is elided)."""
    json: JsonLimits = field(default_factory=JsonLimits)


DEFAULT_PARSE_LIMITS = ParseLimits()


def openai_tool_call(call: ToolCall, default_id: str) -> dict[str, Any]:
    """``call`` as an OpenAI/TRL ``tool_calls`` entry (arguments as an object; the call's own
    ``id``, else ``default_id``)."""
    return {
        "id": call.id or default_id,
        "type": "function",
        "function": {"name": call.name, "arguments": dict(call.arguments)},
    }


def parse_text(
    text: str, *, turn: int = 0, limits: ParseLimits = DEFAULT_PARSE_LIMITS
) -> list[CallRecord]:
    """Every tool-call attempt in ``text``: tagged blocks if any, else bare JSON calls."""
    if not isinstance(text, str) or not text:
        return []
    if _OPEN in text:
        return _parse_tagged(text, turn, limits)
    return _parse_bare(text, turn, limits)


def parse_tool_calls(
    tool_calls: Iterable[Any], *, turn: int = 0, limits: ParseLimits = DEFAULT_PARSE_LIMITS
) -> list[CallRecord]:
    """Records for structured ``tool_calls`` (OpenAI/TRL shape), one per entry.

    With the default limits, records of entries in the common shape (:func:`_entry_key`) are
    memoised by content (the turn and the entry's exact bytes,
    :func:`~orchestrl.plugins.parsing.exact_key.exact_bytes`; at most :data:`MEMO_ENTRIES`;
    only entries that :func:`_entry_key` accepts, all plain JSON, are stored): GRPO scores many
    completions that make the same calls, and TRL hands each batch over as new objects. A
    memoised record, and its call's ``arguments``, are shared between callers: treat them as
    read-only. The memo is a plain dict (safe to share between threads under the GIL: at worst
    an entry is lost).
    """
    records = []
    memo = _STRUCTURED if limits is DEFAULT_PARSE_LIMITS else None
    for position, entry in enumerate(tool_calls):
        key = None
        if memo is not None and position < limits.max_calls:
            exact = exact_bytes(entry)
            if exact is not None:
                key = (turn, exact)
                hit = memo.get(key)
                if hit is not None:
                    records.append(hit)
                    continue
        text = _raw_text(entry)
        raw = _clip(text, limits)
        if position >= limits.max_calls:
            records.append(_failed(turn, raw, f"more than {limits.max_calls} calls in one turn"))
            continue
        try:
            record = CallRecord(turn=turn, raw=raw, call=_call_from_object(entry, limits))
        except ValueError as exc:
            record = _failed(turn, raw, str(exc))
        records.append(record)
        if key is not None and len(text) <= MEMO_RAW_CHARS and _entry_key(entry, turn):
            if len(memo) >= MEMO_ENTRIES:  # type: ignore[arg-type]
                memo.clear()  # type: ignore[union-attr]
            memo[key] = record  # type: ignore[index]
    return records


MEMO_ENTRIES = 4_096
"""Structured calls whose records :func:`parse_tool_calls` keeps (emptied when full)."""
MEMO_RAW_CHARS = 2_048
"""Longest call (as JSON text) that is memoised: the memo holds at most
``MEMO_ENTRIES * MEMO_RAW_CHARS`` characters."""
_STRUCTURED: dict[tuple[int, bytes], CallRecord] = {}


def clear_memo() -> None:
    """Forget the structured calls :func:`parse_tool_calls` memoised (a cold start)."""
    _STRUCTURED.clear()


def parse_message(
    message: Mapping[str, Any], *, turn: int = 0, limits: ParseLimits = DEFAULT_PARSE_LIMITS
) -> list[CallRecord]:
    """Call attempts of one assistant message: its ``tool_calls`` if present, else its text.

    When a message carries structured ``tool_calls`` its text is not scanned again (the chat
    template's parser already took the calls out of it).
    """
    structured = message.get("tool_calls")
    if structured:
        if not isinstance(structured, list):
            return [_failed(turn, _raw_of(structured, limits), "tool_calls is not a list")]
        return parse_tool_calls(structured, turn=turn, limits=limits)
    return parse_text(_text_of(message.get("content")), turn=turn, limits=limits)


def parse_messages(
    messages: Iterable[Mapping[str, Any]], *, limits: ParseLimits = DEFAULT_PARSE_LIMITS
) -> list[CallRecord]:
    """Call attempts of every assistant message, ``turn`` counting assistant messages from 0."""
    records: list[CallRecord] = []
    turn = 0
    for message in messages:
        if isinstance(message, Mapping) and message.get("role") == "assistant":
            records.extend(parse_message(message, turn=turn, limits=limits))
            turn += 1
    return records


# --------------------------------------------------------------------------- internals


def _parse_tagged(text: str, turn: int, limits: ParseLimits) -> list[CallRecord]:
    close = len(text) - len(_CLOSE)
    if (close >= len(_OPEN) and text.startswith(_OPEN) and text.find(_CLOSE) == close
            and text.find(_OPEN, 1) < 0 and limits.max_records > 0 and limits.max_calls > 0):
        # exactly one closed block (as a rollout text's blocks are read one by one): what
        # _scan_tagged yields for it, without the scan
        return _decode_payload(text[len(_OPEN) : close].strip(), _clip(text, limits), turn, limits)
    return _scan_tagged(text, turn, limits)


def _scan_tagged(text: str, turn: int, limits: ParseLimits) -> list[CallRecord]:
    records: list[CallRecord] = []
    for match in _BLOCK.finditer(text):
        if len(records) >= limits.max_records:
            rest = text.count(_OPEN, match.start())
            reason = f"{rest} more <tool_call> blocks not parsed"
            records.append(_failed(turn, _clip(text[match.start() :], limits), reason))
            break
        raw = _clip(match.group(0), limits)
        if len(records) >= limits.max_calls:
            records.append(_failed(turn, raw, f"more than {limits.max_calls} calls in one text"))
        elif not match.group(0).endswith(_CLOSE):
            records.append(_failed(turn, raw, "unclosed <tool_call> block"))
        else:
            records.extend(_decode_payload(match.group(1).strip(), raw, turn, limits))
    return records


def _parse_bare(text: str, turn: int, limits: ParseLimits) -> list[CallRecord]:
    """Bare JSON calls, scanned left to right in one pass over ``text``.

    The scan never copies the text ahead of a value: values decode in place
    (``raw_decode(text, begin)``), runs of flat values before the next ``"name":`` key are
    skipped by one linear regular expression (:data:`_FLAT_RUN`; they cannot hold a call), and
    the scan stops as soon as no ``"name":`` key is left. Only a value longer than
    ``limits.json.max_chars`` makes the values nested in it decode from a bounded window.
    """
    records: list[CallRecord] = []
    pos, failures, windowed_until = 0, 0, -1
    max_chars = limits.json.max_chars
    while len(records) < limits.max_records:
        name_key = _NAME_KEY.search(text, pos)
        if name_key is None:
            return records  # no call can follow: values without a "name" key yield nothing
        pos = _FLAT_RUN.match(text, pos, name_key.start()).end()
        start = _BARE_START.search(text, pos)
        if start is None:
            return records
        begin = start.start()
        if failures >= limits.max_bare_tries:
            break
        end = _json_end(text, begin, max_chars, windowed=begin < windowed_until)
        if end is not None and end - begin > max_chars:
            windowed_until, end = end, None  # too long to be one call: decode inside it bounded
        if end is None:
            failures += 1
            close = text.find("}", begin, begin + max_chars)
            region_end = close + 1 if close >= 0 else min(len(text), begin + max_chars)
            if text[begin] == "{" and _NAME_KEY.search(text, begin, region_end):
                window = text[begin:region_end]
                records.append(_failed(turn, _clip(window, limits), "invalid json call object"))
                pos = region_end
            else:
                pos = begin + 1
            continue
        if _NAME_KEY.search(text, begin, end):
            chunk = text[begin:end]
            if len(records) >= limits.max_calls:
                records.append(_failed(turn, _clip(chunk, limits), "too many calls in one text"))
            else:
                records.extend(_decode_payload(chunk, _clip(chunk, limits), turn, limits))
        pos = end
    rest = len(_NAME_KEY.findall(text, pos))
    if rest:
        records.append(
            _failed(turn, _clip(text[pos:], limits), f"{rest} more call-like fragments not parsed")
        )
    return records


def _json_end(text: str, begin: int, max_chars: int, *, windowed: bool = False) -> int | None:
    """End of the JSON value starting at ``begin``, or None when none decodes there.

    Decodes in place; ``windowed`` decodes a copy of at most ``max_chars`` characters instead
    (inside a value already known to be too long, so that its nested values cost at most that).
    """
    try:
        if windowed:
            _, end = _DECODER.raw_decode(text[begin : begin + max_chars])
            return begin + end
        _, end = _DECODER.raw_decode(text, begin)
    except (json.JSONDecodeError, RecursionError, ValueError):
        return None
    return end


def _decode_payload(payload: str, raw: str, turn: int, limits: ParseLimits) -> list[CallRecord]:
    try:
        value = loads_bounded(payload, limits.json)
    except ValueError as exc:
        return [_failed(turn, raw, str(exc))]
    items = value if isinstance(value, list) else [value]
    if not items:
        return [_failed(turn, raw, "empty list of calls")]
    records = []
    for item in items[: limits.max_calls]:
        try:
            records.append(CallRecord(turn=turn, raw=raw, call=_call_from_object(item, limits)))
        except ValueError as exc:
            records.append(_failed(turn, raw, str(exc)))
    return records


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # dict first: the ABC check is slow


def _call_from_object(obj: Any, limits: ParseLimits) -> ToolCall:
    if not _is_mapping(obj):
        raise ValueError(f"a call must be an object, not {type(obj).__name__}")
    call_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    if _is_mapping(obj.get("function")):
        obj = obj["function"]
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a call needs a non-empty string 'name'")
    if len(name) > 256:
        raise ValueError("function name longer than 256 characters")
    arguments = obj.get("arguments", obj.get("parameters", {}))
    if arguments is None:
        arguments = {}
    if isinstance(arguments, str):
        arguments = loads_bounded(arguments, limits.json) if arguments.strip() else {}
    if not _is_mapping(arguments):
        raise ValueError(f"arguments of '{name[:64]}' are not an object")
    arguments = dict(arguments)
    check_value(arguments, limits.json)
    return ToolCall(name=name.strip(), arguments=arguments, id=call_id)


def _failed(turn: int, raw: str, reason: str) -> CallRecord:
    return CallRecord(turn=turn, raw=raw, call=None, parse_error=reason)


def _clip(text: str, limits: ParseLimits) -> str:
    if len(text) <= limits.max_raw_chars:
        return text
    return text[: limits.max_raw_chars] + f"...[{len(text) - limits.max_raw_chars} more]"


_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False, default=repr)


def _raw_of(entry: Any, limits: ParseLimits) -> str:
    return _clip(_raw_text(entry), limits)


def _raw_text(entry: Any) -> str:
    try:
        return _RAW_ENCODER.encode(entry)
    except (ValueError, TypeError, RecursionError):
        return repr(type(entry))


_PLAIN = frozenset({str, int, float, bool, type(None)})
_TEXT = frozenset({str})


def _entry_key(entry: Any, turn: int) -> tuple[Any, ...] | None:
    """A key equal for two structured calls (and turns) exactly when their JSON is equal
    value for value, type for type and in key order, so that both parse to the same record
    and the same ``raw``; None outside the common shape, ``{..., "function": {..., "arguments":
    object of scalars | text}}`` of plain ``dict``, ``str``, ``int``, ``float``, ``bool`` and
    None (a float zero has no key: ``-0.0 == 0.0``, but their JSON differs)."""
    if type(entry) is not dict:
        return None
    function = entry.get("function")
    if type(function) is not dict:
        return None
    arguments = function.get("arguments")
    values = [v for k, v in entry.items() if k != "function"]
    values += [v for k, v in function.items() if k != "arguments"]
    if type(arguments) is dict:
        keys = (*entry, *function, *arguments)
        values += arguments.values()
    else:
        keys = (*entry, *function)
        values.append(arguments)
    types = tuple(map(type, values))
    if not _PLAIN.issuperset(types):  # nested arguments (lists, objects): keyed recursively
        if not _PLAIN_OR_NESTED.issuperset(types):
            return None
        values = [v if type(v) in _PLAIN else _nested_key(v, 0) for v in values]
        if any(v is _NO_KEY for v in values):
            return None
    if not _TEXT.issuperset(map(type, keys)) or (float in types and 0.0 in values):
        return None
    return (turn, len(entry), len(function), keys, tuple(values), types)


_NO_KEY = object()
_PLAIN_OR_NESTED = _PLAIN | {list, dict}


def _nested_key(value: Any, depth: int) -> Any:
    """An exact, typed key of a JSON value (see :func:`_entry_key`), or :data:`_NO_KEY`."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is float:
        return _NO_KEY if value == 0.0 else (kind, value)
    if depth >= 8:
        return _NO_KEY
    if kind is list:
        items = [_nested_key(item, depth + 1) for item in value]
    elif kind is dict:
        items = []
        for k, v in value.items():
            if type(k) is not str:
                return _NO_KEY
            items.append(k)
            items.append(_nested_key(v, depth + 1))
        items.append(len(value))
    else:
        return _NO_KEY
    if any(item is _NO_KEY for item in items):
        return _NO_KEY
    return (kind, *items)


def _text_of(content: Any) -> str:
    """Text of a message ``content``: a string, or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, Mapping)]
        return "".join(p for p in parts if isinstance(p, str))
    return ""
