"""BFCL's multi-turn checker on the safe executor: gold replays, tampering, partial scores."""

from __future__ import annotations

import random

import pytest

from orchestrl.api import ToolCall
from orchestrl.plugins.worlds.bfcl.checker import check_entry, ground_truth_calls
from orchestrl.plugins.worlds.bfcl.entries import CATEGORIES, load_entries


def as_model_turns(turns: list[list[ToolCall]]) -> list[list[list[ToolCall]]]:
    """One assistant step per turn holding that turn's calls (empty turns stay empty)."""
    return [[list(turn)] if turn else [] for turn in turns]


def test_every_base_ground_truth_replays_and_checks_valid(base_entries):
    assert len(base_entries) == 200
    results = [check_entry(e, as_model_turns(ground_truth_calls(e))) for e in base_entries]
    invalid = [(e.id, r.error_message) for e, r in zip(base_entries, results, strict=True)
               if not r.valid]
    assert invalid == []
    assert all(r.partial == 1.0 for r in results)


@pytest.mark.parametrize("category", [c for c in CATEGORIES if c != "multi_turn_base"])
def test_ground_truth_of_other_categories_checks_valid(category):
    entries = load_entries(category)
    assert all(check_entry(e, as_model_turns(ground_truth_calls(e))).valid for e in entries)


def test_dropping_the_last_call_is_rejected_with_bfcl_reason(base_entries, bfcl_reference):
    rejected = 0
    for entry in base_entries[:60]:
        turns = ground_truth_calls(entry)
        last = max(i for i, turn in enumerate(turns) if turn)
        turns[last] = turns[last][:-1]
        ours = check_entry(entry, as_model_turns(turns))
        theirs = bfcl_reference(entry, as_model_turns(turns))
        assert (ours.valid, ours.error_type) == (theirs["valid"], theirs.get("error_type", ""))
        if not ours.valid:
            rejected += 1
            assert ours.error_message == theirs["error_message"]
            assert ours.turn_passed[last] is False
    assert rejected > 40


def test_verdicts_match_bfcl_on_random_tampering(base_entries, bfcl_reference):
    rng = random.Random(7)
    kinds = {"none": 0, "arg": 0, "shift": 0, "unknown": 0}
    reasons = set()
    for entry in base_entries:
        kind = rng.choice(sorted(kinds))
        turns = _tamper(ground_truth_calls(entry), kind, rng)
        ours = check_entry(entry, as_model_turns(turns))
        theirs = bfcl_reference(entry, as_model_turns(turns))
        assert (ours.valid, ours.error_type) == (theirs["valid"], theirs.get("error_type", "")), (
            entry.id, kind)
        kinds[kind] += 1
        reasons.add(ours.error_type)
    assert min(kinds.values()) > 20
    assert {"multi_turn:instance_state_mismatch",
            "multi_turn:execution_response_mismatch"} <= reasons


def _tamper(turns: list[list[ToolCall]], kind: str, rng: random.Random) -> list[list[ToolCall]]:
    filled = [i for i, turn in enumerate(turns) if turn]
    at = rng.choice(filled)
    if kind == "arg":
        j = rng.randrange(len(turns[at]))
        call = turns[at][j]
        for key, value in call.arguments.items():
            if isinstance(value, str):
                turns[at][j] = ToolCall(call.name, {**call.arguments, key: value + "_x"})
                break
    elif kind == "shift" and at + 1 < len(turns):
        turns[at + 1] = turns[at] + turns[at + 1]
        turns[at] = []
    elif kind == "unknown":
        # a harmless unknown name: BFCL's reference evals it (a builtin such as `open` would run)
        turns[at].append(ToolCall("no_such_tool", {"a": 1}))
    return turns


def test_wrong_number_of_turns_is_force_terminated(base_entries):
    entry = base_entries[0]
    result = check_entry(entry, as_model_turns(ground_truth_calls(entry))[:-1])
    assert not result.valid
    assert result.error_type == "multi_turn:force_terminated"


def test_empty_turn_is_rejected_and_partial_score_counts_passing_turns(base_entries):
    entry = next(e for e in base_entries if len(e.ground_truth) >= 3 and all(e.ground_truth))
    turns = as_model_turns(ground_truth_calls(entry))
    turns[-1] = []
    result = check_entry(entry, turns)
    assert not result.valid
    assert result.error_type == "multi_turn:empty_turn_model_response"
    n = len(entry.ground_truth)
    assert result.turn_passed == [True] * (n - 1) + [False]
    assert result.partial == pytest.approx((n - 1) / n)
