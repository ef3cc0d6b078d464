"""Tool-call parsing: real gold calls round-trip through every accepted shape; bad input is kept."""

from __future__ import annotations

import enum
import json
import time
from pathlib import Path

import pytest

from orchestrl.api import ToolCall
from orchestrl.plugins.parsing import tool_calls
from orchestrl.plugins.parsing.tool_calls import (
    ParseLimits,
    parse_message,
    parse_messages,
    parse_text,
    parse_tool_calls,
)
from orchestrl.plugins.worlds.booking.data import load_tasks, load_tools


@pytest.fixture(scope="module")
def gold_by_task(booking_dir: Path) -> list[list[ToolCall]]:
    tasks = load_tasks(booking_dir / "eval_80.jsonl", load_tools(booking_dir))
    return [[ToolCall(s.function, s.arguments) for s in t.steps] for t in tasks]


@pytest.fixture(scope="module")
def gold_calls(gold_by_task: list[list[ToolCall]]) -> list[ToolCall]:
    return [call for calls in gold_by_task for call in calls]


def _obj(call: ToolCall) -> dict:
    return {"name": call.name, "arguments": call.arguments}


def test_tagged_blocks_round_trip_every_gold_call(gold_by_task: list[list[ToolCall]]) -> None:
    for calls in gold_by_task:
        text = "I will search.\n" + "\n".join(
            f"<tool_call>\n{json.dumps(_obj(c), ensure_ascii=False)}\n</tool_call>" for c in calls
        )
        records = parse_text(text, turn=3)
        assert [r.call for r in records] == calls
        assert all(
            r.turn == 3 and r.parse_error is None and "<tool_call>" in r.raw for r in records
        )


def test_bare_json_objects_lists_and_fences(gold_calls: list[ToolCall]) -> None:
    first, second, third = gold_calls[:3]
    text = (
        f"Plan: {json.dumps(_obj(first))}\n```json\n"
        f"{json.dumps([_obj(second), _obj(third)])}\n```\nDone {{not json}}."
    )
    assert [r.call for r in parse_text(text)] == [first, second, third]


def test_prose_json_without_a_name_is_not_an_attempt() -> None:
    assert parse_text('the answer is {"price": 12} and [1, 2]') == []


def test_structured_tool_calls_with_dict_or_string_arguments(gold_calls: list[ToolCall]) -> None:
    entries = []
    for i, call in enumerate(gold_calls[:6]):
        args = call.arguments if i % 2 else json.dumps(call.arguments)
        entries.append(
            {"type": "function", "id": f"c{i}", "function": {"name": call.name, "arguments": args}}
        )
    records = parse_tool_calls(entries, turn=1)
    assert [(r.call.name, r.call.arguments) for r in records] == [
        (c.name, c.arguments) for c in gold_calls[:6]
    ]
    assert [r.call.id for r in records] == [f"c{i}" for i in range(6)]


def test_unparsable_attempts_are_kept_with_a_reason() -> None:
    text = (
        '<tool_call>{"name": "Search_Hotels", "arguments": {"dest_id": "-2092174"}}</tool_call>'
        "<tool_call>{'name': 'Search_Hotels'}</tool_call>"
        '<tool_call>{"arguments": {}}</tool_call>'
        '<tool_call>{"name": "f", "arguments": [1]}</tool_call>'
        '<tool_call>{"name": "f", "arguments": {"a": 1}'
    )
    records = parse_text(text)
    assert [r.call is not None for r in records] == [True, False, False, False, False]
    reasons = [r.parse_error for r in records[1:]]
    assert "invalid json" in reasons[0]
    assert "name" in reasons[1]
    assert "not an object" in reasons[2]
    assert "unclosed" in reasons[3]
    assert records[4].raw.startswith("<tool_call>")


def test_broken_bare_call_is_counted() -> None:
    records = parse_text('ok {"name": "Search_Hotels", "arguments": {"dest_id": 1')
    assert len(records) == 1
    assert records[0].call is None
    assert records[0].parse_error


@pytest.mark.parametrize(
    "arguments",
    [
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": 1e999}',
        '{"a": ' + "9" * 100 + "}",
    ],
)
def test_non_finite_and_huge_numbers_do_not_parse(arguments: str) -> None:
    records = parse_text(f'<tool_call>{{"name": "f", "arguments": {arguments}}}</tool_call>')
    assert len(records) == 1
    assert records[0].call is None


def test_structured_non_finite_or_non_json_values_are_rejected() -> None:
    entries = [
        {"type": "function", "function": {"name": "f", "arguments": {"a": float("nan")}}},
        {"type": "function", "function": {"name": "f", "arguments": {"a": 10**400}}},
        {"type": "function", "function": {"name": "f", "arguments": {"a": object()}}},
        {"type": "function", "function": {"name": "", "arguments": {}}},
        "not a call",
    ]
    records = parse_tool_calls(entries)
    assert len(records) == len(entries)
    assert all(r.call is None and r.parse_error for r in records)


def test_message_prefers_structured_calls_over_its_text() -> None:
    message = {
        "role": "assistant",
        "content": '<tool_call>{"name": "g", "arguments": {}}</tool_call>',
        "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {}}}],
    }
    assert [r.call.name for r in parse_message(message)] == ["f"]
    message = {"role": "assistant", "content": [{"type": "text", "text": message["content"]}]}
    assert [r.call.name for r in parse_message(message)] == ["g"]


def test_messages_number_assistant_turns() -> None:
    call = '<tool_call>{"name": "f", "arguments": {}}</tool_call>'
    messages = [
        {"role": "user", "content": call},
        {"role": "assistant", "content": call + call},
        {"role": "tool", "content": call},
        {"role": "assistant", "content": call},
    ]
    assert [r.turn for r in parse_messages(messages)] == [0, 0, 1]


ADVERSARIAL = {
    "garbage": ('{<tool_call>["name": }' * 40_000)[:1_000_000],
    "deep_list": "[" * 500_000 + "]" * 500_000,
    "deep_call": "<tool_call>" + '{"name": "f", "arguments": ' * 50_000 + "</tool_call>",
    "deep_small": '<tool_call>{"name": "f", "arguments": '
    + '{"a": ' * 200
    + "1"
    + "}" * 202
    + "</tool_call>",
    "huge_int": '<tool_call>{"name": "f", "arguments": {"a": ' + "9" * 50_000 + "}}</tool_call>",
    "opens": "{" * 1_000_000,
    "names": '{"name": ' * 120_000,
    "many_tagged": '<tool_call>{"name": "f", "arguments": {}}</tool_call>' * 5_000,
    "many_bare": '{"name": "f", "arguments": {}} ' * 5_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_text_is_bounded(name: str) -> None:
    limits = ParseLimits()
    start = time.perf_counter()
    records = parse_text(ADVERSARIAL[name], limits=limits)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert len(records) <= limits.max_records + 1
    assert sum(r.call is not None for r in records) <= limits.max_calls
    assert all(len(r.raw) <= limits.max_raw_chars + 32 for r in records)


def test_thousands_of_calls_are_all_counted() -> None:
    records = parse_text(ADVERSARIAL["many_tagged"])
    parsed = sum(r.call is not None for r in records)
    assert parsed == ParseLimits().max_calls
    assert records[-1].call is None
    assert "more <tool_call> blocks" in (records[-1].parse_error or "")


def test_unicode_names_and_values_survive() -> None:
    call = {"name": "Search_Hotel_Destination", "arguments": {"query": "Zürich 中央 😀 \u202e"}}
    records = parse_text(f"<tool_call>{json.dumps(call, ensure_ascii=False)}</tool_call>")
    assert records[0].call == ToolCall(call["name"], call["arguments"])


class _CountingDecoder:
    """Stands in for the bare scan's decoder: counts decodes and the text each one copied."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0
        self.copied = 0
        self._decoder = json.JSONDecoder()

    def raw_decode(self, s: str, idx: int = 0):
        self.calls += 1
        if s is not self.text:
            self.copied += len(s)
        return self._decoder.raw_decode(s, idx)


def _scan(monkeypatch: pytest.MonkeyPatch, text: str) -> tuple[list, _CountingDecoder]:
    from orchestrl.plugins.parsing import tool_calls

    decoder = _CountingDecoder(text)
    monkeypatch.setattr(tool_calls, "_DECODER", decoder)
    return parse_text(text), decoder


CALL = '{"name": "Search_Hotels", "arguments": {"dest_id": "-2092174"}}'


@pytest.mark.parametrize("unit", ["{}", "[1] ", '{"a": "x"} ', '{"a": {"b": 1}} '])
def test_bare_scan_is_linear_and_copies_nothing(
    monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    counts = []
    for n in (2_000, 20_000):
        records, decoder = _scan(monkeypatch, unit * n + CALL)
        assert [r.call.name for r in records if r.call] == ["Search_Hotels"]
        assert decoder.copied == 0
        counts.append(decoder.calls)
    flat = unit.count("{") + unit.count("[") == 1
    if flat:  # skipped without decoding: only the call decodes
        assert counts == [1, 1]
    else:  # one decode per value: ten times the values, ten times the decodes
        assert counts[1] <= 10 * counts[0] + 1


def test_prose_with_many_values_and_no_call_decodes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records, decoder = _scan(monkeypatch, '{"a": {"b": 1}} ' * 10_000)
    assert records == [] and decoder.calls == 0


@pytest.mark.parametrize(
    "text",
    [
        '[{"name": "f", "arguments": {}}, {"name": "g"}]',
        '{"a": "[not a bracket"} {"name": "f", "arguments": {}}',
        '{x} [y, "z] {"name": "f", "arguments": {}}',
        '[1, 2] {} {"a": "b"} {"name": "f", "arguments": {"q": "{}"}}',
    ],
)
def test_skipping_flat_values_keeps_every_call(text: str) -> None:
    names = [r.call.name for r in parse_text(text) if r.call is not None]
    assert names[0] == "f"
    assert len(names) == text.count('"name"')


# --------------------------------------------------------------------------- the call memo

class _Text(str):
    pass


class _Number(enum.IntEnum):
    ONE = 1


TWINS = [  # equal under ==, or in their text, but not the same JSON: the memo must tell them apart
    [{"x": 1}, {"x": 1.0}, {"x": True}, {"x": "1"}],
    [{"x": 0.0}, {"x": -0.0}, {"x": 0}, {"x": False}],
    [{"x": [1]}, {"x": [1.0]}, {"x": [True]}, {"x": (1,)}],
    [{"x": [0.0]}, {"x": [-0.0]}, {"x": {"a": -0.0}}, {"x": {"a": 0.0}}],
    [{"x": {"a": 1}}, {"x": {"a": 1.0}}, {"x": {1: 1}}, {"x": {True: 1}}],
    [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
    [{"x": [{"a": [1, {"b": 2}]}]}, {"x": [{"a": [1, {"b": 2.0}]}]}],
    [{"x": float("nan")}, {"x": float("inf")}, {"x": 10**70}],
    # one marshal code for every buffer; subclasses and tuples (refused or coded apart)
    [{"x": "a"}, {"x": b"a"}, {"x": bytearray(b"a")}, {"x": memoryview(b"a")}],
    [{"x": "a"}, {"x": _Text("a")}, {"x": 1}, {"x": _Number.ONE}, {"x": (1,)}, {"x": {1}}],
]


def _entry(arguments: object, **extra: object) -> dict:
    return {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments},
            **extra}


@pytest.mark.parametrize("group", TWINS, ids=range(len(TWINS)))
def test_memoised_structured_calls_parse_as_without_the_memo(group) -> None:
    unmemoised = ParseLimits()  # equal to the defaults but another object: no memo
    for first in group:  # each value parsed after each of its twins filled the memo
        for second in group:
            parse_tool_calls([_entry(first)])
            got = parse_tool_calls([_entry(second)])
            assert got == parse_tool_calls([_entry(second)], limits=unmemoised)
            call = got[0].call
            if call is not None:
                assert [type(v) for v in call.arguments.values()] == [
                    type(v) for v in second.values()
                ]


def test_memo_keys_the_whole_entry_and_the_turn() -> None:
    unmemoised = ParseLimits()
    entries = [
        _entry({"x": 1}),
        _entry({"x": 1}, id="c2"),
        {"type": "function", "function": {"name": "f", "arguments": {"x": 1}}, "id": "c1"},
        _entry('{"x": 1}'),
        _entry('{"x": 1.0}'),
        {"id": "c1", "type": "function", "function": {"name": " f ", "arguments": {"x": 1}}},
        {"id": 1, "type": "function", "function": {"name": "f", "arguments": {"x": 1}}},
    ]
    for turn in (0, 1):
        for entry in entries:
            parse_tool_calls(entries, turn=1 - turn)
            assert parse_tool_calls([entry], turn=turn) == parse_tool_calls(
                [entry], turn=turn, limits=unmemoised
            )


def test_memo_is_bounded() -> None:
    from orchestrl.plugins.parsing import tool_calls

    for i in range(tool_calls.MEMO_ENTRIES + 10):
        parse_tool_calls([_entry({"i": i})])
    assert 0 < len(tool_calls._STRUCTURED) <= tool_calls.MEMO_ENTRIES
    parse_tool_calls([_entry({"s": "x" * (tool_calls.MEMO_RAW_CHARS + 1)})])
    assert all(len(r.raw) <= tool_calls.MEMO_RAW_CHARS for r in tool_calls._STRUCTURED.values())


@pytest.mark.parametrize("group", TWINS, ids=range(len(TWINS)))
def test_a_message_with_one_memoised_call_parses_as_without_the_memo(group) -> None:
    # parse_message's fast path (one entry, looked up in the memo directly)
    unmemoised = ParseLimits()
    for first in group:
        for second in group:
            parse_message({"role": "assistant", "tool_calls": [_entry(first)]}, turn=1)
            message = {"role": "assistant", "tool_calls": [_entry(second)]}
            for turn in (0, 1):
                got = parse_message(message, turn=turn)
                assert got == parse_message(message, turn=turn, limits=unmemoised)
                call = got[0].call
                if call is not None:
                    assert [type(v) for v in call.arguments.values()] == [
                        type(v) for v in second.values()
                    ]


ONE_BLOCK_PAYLOADS = [
    '{"name": "f", "arguments": {"a": 1}}', ' \n{"name": "f"}\n ', "", " ", "[]", "{}",
    '[{"name": "f"}, {"name": "g", "arguments": {"x": [1, {"y": null}]}}]', '{"name": ""}',
    '{"name": "f", "arguments": "{\\"a\\": 2}"}', '{"name": "f", "arguments": 3}', "not json",
    '{"name": "f", "arguments": {"a": NaN}}', '{"name": "' + "n" * 300 + '"}', "[" * 40 + "]" * 40,
    '{"name": "f", "arguments": {"a": "' + "x" * 3_000 + '"}}', '{"name": "f"} {"name": "g"}',
    '{"name": "f", "arguments": {"tag": "</tool_call"}}', "<tool_call", "</tool_call",
]


@pytest.mark.parametrize("payload", ONE_BLOCK_PAYLOADS)
@pytest.mark.parametrize("limits", [
    ParseLimits(), ParseLimits(max_calls=1), ParseLimits(max_calls=0), ParseLimits(max_records=0),
    ParseLimits(max_raw_chars=10),
])
def test_one_closed_block_parses_as_the_scan_reads_it(payload: str, limits: ParseLimits) -> None:
    for text in (f"<tool_call>{payload}</tool_call>", f"<tool_call>{payload}",
                 f"x<tool_call>{payload}</tool_call>", f"<tool_call>{payload}</tool_call>\n",
                 f"<tool_call>{payload}</tool_call><tool_call>{payload}</tool_call>"):
        assert parse_text(text, turn=2, limits=limits) == tool_calls._scan_tagged(text, 2, limits)


def test_one_closed_block_is_not_scanned(monkeypatch) -> None:
    scanned = []
    monkeypatch.setattr(tool_calls, "_scan_tagged", lambda *args: scanned.append(args) or [])
    [record] = parse_text('<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>')
    assert record.call == ToolCall("f", {"a": 1}) and not scanned
    parse_text('<tool_call>{"name": "f"}</tool_call> <tool_call>{"name": "g"}</tool_call>')
    assert len(scanned) == 1
