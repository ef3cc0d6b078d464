"""The `paper` preset follows the reference's three errata exactly; `graduated` does not.

Each case is a small hand-built task whose reference score is worked out in the comments
(0.5 · R_atomic + 0.5 · R_orch; R_atomic = mean over parsed calls of (ast + exec) / 2, ast =
0.33 + 0.33 · overlap · type_acc + 0.34 · values_ok), from the facts in the notes' section
"Errata and exact behaviour".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrl.api import CallRecord, GoldStep, Task, ToolCall, ToolResult, Trajectory
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.paper_checks import (
    cut_response,
    reference_response_ok,
    reference_result_ok,
)
from orchestrl.plugins.rewards.paper_pairing import reference_exec
from orchestrl.plugins.rewards.trl_adapter import to_trajectory

OK = {"status": True, "message": "Success", "data": [{"id": "1"}]}


def _task(*steps: tuple[str, dict[str, Any], Any]) -> Task:
    gold = [
        GoldStep(i, name, args, response=response) for i, (name, args, response) in enumerate(steps)
    ]
    return Task(id="t", query="q", tools=[], steps=gold)


def _record(
    turn: int, name: str | None, args: dict[str, Any], content: Any = None, *, answered: bool = True
) -> CallRecord:
    call = None if name is None else ToolCall(name, args)
    result = ToolResult(ok=True, content=content) if answered else None
    return CallRecord(
        turn=turn,
        raw="<tool_call>{</tool_call>",
        call=call,
        parse_error=None if call else "invalid json",
        result=result,
    )


def _trajectory(*records: CallRecord) -> Trajectory:
    return Trajectory(task_id="t", messages=[], calls=list(records))


# ------------------------------------------------------------------ erratum 1: list of dicts

LEGS = [{"fromId": "BOM.AIRPORT", "toId": "DEL.AIRPORT", "date": "2024-11-25"}]


def test_list_of_dict_gold_never_matches_itself(paper, graduated) -> None:
    task = _task(("Search_Flights_Multi_Stops", {"legs": LEGS}, OK))
    gold = gold_trajectory(task)
    # ast = 0.33 + 0.33·1·1 + 0.34·0 = 0.66 (values_ok = 0: "bomairport" is not one of the
    # one-character candidates b, o, m, ...); exec = 1 → atomic (0.66 + 1) / 2 = 0.83.
    # orch = 1 → total 0.5·0.83 + 0.5·1 = 0.915.
    breakdown = paper.breakdown(gold, task)
    assert breakdown.terms["paper_atomic"] == pytest.approx(0.83)
    assert breakdown.total == pytest.approx(0.915)
    assert graduated.score(gold, task) == 1.0


def test_one_character_values_match_a_character_of_the_gold_string(paper, graduated) -> None:
    task = _task(("Search_Flights_Multi_Stops", {"legs": LEGS}, OK))
    # "B" standardises to "b", one of the candidates of "BOM.AIRPORT"; a missing gold key never
    # fails when its gold value is a string ("" in "DEL.AIRPORT"): values_ok = 1, ast = 1.0.
    odd = _trajectory(_record(0, "Search_Flights_Multi_Stops", {"legs": [{"fromId": "B"}]}, OK))
    assert paper.breakdown(odd, task).terms["paper_atomic"] == pytest.approx(1.0)
    assert graduated.score(odd, task) < 0.95  # graduated sees two of three leg fields missing


# ------------------------------------------------------------------ erratum 2: the middle cut


def _one_call_score(paper: CombinedReward, response: Any) -> float:
    task = _task(("Search_Hotels", {"dest_id": "-2092174"}, response))
    return paper.breakdown(gold_trajectory(task), task).terms["paper_atomic"]


def test_a_long_response_whose_middle_cut_parses_keeps_exec(paper, graduated) -> None:
    response = {"status": True, "data": "x" * 10_000}
    text = json.dumps(response, ensure_ascii=False)
    assert len(text) > 8_192
    shown = cut_response(text, 8_192)
    assert shown == text[:4_096] + "...(truncated)..." + text[-4_096:]
    # both cut points fall inside the same string literal: the cut text parses → exec 1,
    # ast 1 → atomic 1.0 (a plain prefix cut would not parse and give 0.5).
    assert json.loads(shown)["status"] is True
    assert _one_call_score(paper, response) == 1.0
    task = _task(("Search_Hotels", {"dest_id": "-2092174"}, response))
    assert graduated.score(gold_trajectory(task), task) == 1.0


def test_a_long_response_whose_cut_breaks_the_json_loses_exec(paper) -> None:
    response = {"status": True, "data": [{"name": "x" * 50, "n": i} for i in range(300)]}
    assert len(json.dumps(response)) > 8_192
    assert reference_response_ok(response, 8_192) is None  # the pair is dropped
    assert _one_call_score(paper, response) == pytest.approx(0.5)  # (ast 1 + exec 0) / 2


def test_non_ascii_is_kept_when_serialising(paper) -> None:
    response = {"status": True, "data": "é" * 5_000}
    # ensure_ascii=False: 5,028 characters, no cut → exec 1. Escaped (6 characters per "é")
    # it would be 30,028 characters, and the cut at 4,096 falls inside an escape (26 + 678·6 + 2).
    assert len(json.dumps(response, ensure_ascii=False)) == 5_028
    assert reference_response_ok(json.dumps(response), 8_192) is None
    assert _one_call_score(paper, response) == 1.0


@pytest.mark.parametrize(("status", "expected"), [(0, 0.5), (False, 0.5), (True, 1.0), (1, 1.0)])
def test_status_equal_to_false_is_a_failure(paper, status, expected) -> None:
    # status == False holds for 0 and False: exec 0 → (1 + 0) / 2
    assert _one_call_score(paper, {"status": status, "data": []}) == expected


# ------------------------------------------------------------------ erratum 3: pairing

STEPS = (("F1", {"q": "a"}, OK), ("F2", {"q": "b"}, OK), ("F3", {"q": "c"}, OK))


def test_an_unanswered_unparsable_call_shifts_every_later_response(paper, graduated) -> None:
    task = _task(*STEPS)
    shifted = _trajectory(
        _record(0, None, {}, answered=False),
        _record(1, "F1", {"q": "a"}, OK),
        _record(2, "F2", {"q": "b"}, OK),
        _record(3, "F3", {"q": "c"}, OK),
    )
    # text: c0 | c1 r1 | c2 r2 | c3 r3 → c0–r1 (dropped: c0 did not parse), c1–r2, c2–r3, c3–none.
    # Every ast is 1; exec 1, 1, 0 → atomic (1 + 1 + 0.5) / 3 = 5/6; orch 3/3 → total 11/12.
    breakdown = paper.breakdown(shifted, task)
    assert breakdown.terms["paper_atomic"] == pytest.approx(5 / 6)
    assert breakdown.total == pytest.approx(11 / 12)
    # graduated: 4 attempts, 3 gold steps, every level 3 pairs → 2·3 / 7 on every term.
    assert graduated.score(shifted, task) == pytest.approx(6 / 7)


def test_an_answered_unparsable_call_keeps_pairing_aligned(paper) -> None:
    task = _task(*STEPS)
    aligned = _trajectory(
        _record(0, None, {}, {"error": "could not parse tool call"}),
        _record(1, "F1", {"q": "a"}, OK),
        _record(2, "F2", {"q": "b"}, OK),
        _record(3, "F3", {"q": "c"}, OK),
    )
    assert paper.breakdown(aligned, task).terms["paper_atomic"] == 1.0


def test_a_shifted_response_decides_exec_of_the_earlier_call(paper) -> None:
    task = _task(*STEPS)
    shifted = _trajectory(
        _record(0, None, {}, answered=False),
        _record(1, "F1", {"q": "a"}, OK),
        _record(2, "F2", {"q": "b"}, {"error": "not found"}),
        _record(3, "F3", {"q": "c"}, OK),
    )
    # c1 gets F2's error → exec 0; c2 gets F3's OK → 1; c3 none → 0: (0.5 + 1 + 0.5) / 3 = 2/3
    assert reference_exec(shifted.calls, 8_192) == [False, True, False]
    assert paper.breakdown(shifted, task).terms["paper_atomic"] == pytest.approx(2 / 3)


def test_exec_is_looked_up_by_name_and_sorted_arguments_first_unused() -> None:
    cut = {"status": True, "data": [{"name": "x" * 50, "n": i} for i in range(300)]}
    records = [
        _record(0, "F1", {"q": "a", "r": 1}, cut),  # its pair is dropped (the cut text fails)
        _record(1, "F1", {"r": 1, "q": "a"}, OK),  # same call, keys in another order
    ]
    # kept pairs: (F1 {q, r}, OK) only; the first F1 takes it, the second finds none.
    assert reference_exec(records, 8_192) == [True, False]


def test_calls_of_one_turn_take_the_responses_that_follow_the_turn() -> None:
    records = [
        _record(0, "F1", {"q": "a"}, answered=False),
        _record(0, "F2", {"q": "b"}, {"error": "x"}),
        _record(1, "F3", {"q": "c"}, OK),
    ]
    # text: c1 c2 r2 | c3 r3 → c1–r2 (error), c2–r3 (OK), c3–none
    assert reference_exec(records, 8_192) == [False, True, False]


# ------------------------------------------------------------------ responses read as text


def _from_text(response_text: str) -> Trajectory:
    """One F1 call answered by ``response_text`` in a ``<tool_response>`` block, as the
    reference's rollout text holds it."""
    return to_trajectory(
        '<tool_call>{"name": "F1", "arguments": {"q": "a"}}</tool_call>\n'
        f"<tool_response>\n{response_text}\n</tool_response>",
        task_id="t",
    )


def test_a_json_string_response_read_as_text_counts_as_executed(paper) -> None:
    task = _task(("F1", {"q": "a"}, "done"))
    # the block's text '"done"' parses (to a string, not a dict): exec 1 → atomic (1 + 1) / 2
    assert paper.breakdown(_from_text('"done"'), task).terms["paper_atomic"] == 1.0
    # text that is not JSON is dropped: exec 0 → atomic (1 + 0) / 2
    assert paper.breakdown(_from_text("done"), task).terms["paper_atomic"] == 0.5


def test_a_compact_response_text_is_read_as_shown_not_serialised_again(paper) -> None:
    response = {"status": True, "data": [{"n": i, "v": i * 7} for i in range(367)]}
    compact = json.dumps(response, separators=(",", ":"))
    spaced = json.dumps(response)
    assert len(compact) <= 8_192 < len(spaced)
    assert reference_response_ok(spaced, 8_192) is None  # serialised again, its cut fails
    task = _task(("F1", {"q": "a"}, response))
    # shown compact and whole, the text parses: exec 1 → atomic 1.0
    assert paper.breakdown(_from_text(compact), task).terms["paper_atomic"] == 1.0
    # the same response as a value is serialised with spaces, cut, and fails: atomic 0.5
    assert paper.breakdown(gold_trajectory(task), task).terms["paper_atomic"] == 0.5


def _verdict_by_parsing(content: Any, max_chars: int) -> bool | None:
    """The reference's rule written out plainly: serialise, cut, parse, judge."""
    try:
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        parsed = json.loads(cut_response(text, max_chars))
    except (ValueError, TypeError, RecursionError):
        return None
    if isinstance(parsed, dict):
        return bool(parsed) and "error" not in parsed and parsed.get("status") != False  # noqa: E712
    return True


VALUES = [
    {}, [], "", "x", '"x"', "{}", 0, 0.0, None, True, False, float("nan"), float("inf"),
    {"status": 0}, {"status": 0.0}, {"status": -0.0}, {"status": False}, {"status": None},
    {"status": "false"}, {"error": None}, {"Error": 1}, {1: "a"}, {False: 1}, {None: {}},
    {"status": True, "data": "x" * 9_000}, {"status": True, "data": ["y" * 50] * 200},
    {"data": {"error": 1}}, [{"error": 1}], {(1, 2): 3}, {"a": {1, 2}}, "é" * 9_000,
    10**450, [1, 10**450], "[1, 2", '{"a": NaN}', "[" * 200 + "]" * 200,  # read by json alone
]


@pytest.mark.parametrize("max_chars", [0, 64, 8_192])
def test_verdicts_without_a_parse_equal_the_serialise_and_parse_rule(max_chars) -> None:
    for content in VALUES:
        expected = _verdict_by_parsing(content, max_chars)
        assert reference_response_ok(content, max_chars) == expected, content
        text = content if isinstance(content, str) else _dumps_or_none(content)
        if text is not None:  # the same response read from its text
            from_text = _from_text(text).calls[0].result
            assert from_text is not None and from_text.text == text.strip()
            assert reference_result_ok(from_text, max_chars) == _verdict_by_parsing(
                text.strip(), max_chars
            ), text[:40]


def _dumps_or_none(value: Any) -> str | None:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
