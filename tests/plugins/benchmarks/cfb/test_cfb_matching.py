"""Matching stages, one-to-one assignment and the error taxonomy on real items."""

from __future__ import annotations

import json
from collections import defaultdict

from orchestrl.api import ToolCall
from orchestrl.plugins.benchmarks.cfb import taxonomy as tx
from orchestrl.plugins.benchmarks.cfb.judge import parse_verdict
from orchestrl.plugins.benchmarks.cfb.loaders import payload, turns_of
from orchestrl.plugins.benchmarks.cfb.matching import MatchContext, match_turn
from orchestrl.plugins.benchmarks.cfb.protocol import _schemas
from orchestrl.plugins.benchmarks.cfb.rules import exact_keys, is_free


def _ctx(task, observations, judge=None) -> MatchContext:
    return MatchContext(_schemas(task), observations, judge)


def _item(items, predicate):
    return next(t for t in items if predicate(t))


def test_each_gold_call_matches_itself_exactly(cfb_items, cfb_observations) -> None:
    for task in cfb_items:
        calls = [(i, ToolCall(s.function, dict(s.arguments))) for i, s in enumerate(task.steps)]
        matches = match_turn(calls, task.steps, _ctx(task, cfb_observations))
        assert [(m.call, m.step, m.stage) for m in matches] == [
            (i, s.index, "exact") for i, s in enumerate(task.steps)]


def test_numeric_strings_for_number_parameters_match_exactly(cfb_items, cfb_observations) -> None:
    task = _item(cfb_items, lambda t: any(s.function == "Search_Car_Rentals" for s in t.steps))
    step = next(s for s in task.steps if s.function == "Search_Car_Rentals")
    args = {k: str(v) if isinstance(v, float) else v for k, v in step.arguments.items()}
    (match,) = match_turn([(0, ToolCall(step.function, args))], [step],
                          _ctx(task, cfb_observations))
    assert match.stage == "exact"


def test_non_exact_keys_compare_after_normalisation(cfb_items, cfb_observations) -> None:
    task = _item(cfb_items, lambda t: t.steps[0].function == "Search_Car_Location")
    step = task.steps[0]
    loose = ToolCall(step.function, {"query": "  " + step.arguments["query"].upper() + " "})
    (match,) = match_turn([(0, loose)], [step], _ctx(task, cfb_observations))
    assert match.stage == "normalized"
    other = ToolCall(step.function, {"query": step.arguments["query"] + " North"})
    assert match_turn([(0, other)], [step], _ctx(task, cfb_observations)) == []


def test_exact_keys_must_match_exactly(cfb_items, cfb_observations) -> None:
    task = _item(cfb_items, lambda t: any(s.function == "Search_Hotels" for s in t.steps))
    step = next(s for s in task.steps if s.function == "Search_Hotels")
    assert "arrival_date" in exact_keys(step.function, step.arguments)
    moved = dict(step.arguments, arrival_date="2031-01-01")
    assert match_turn([(0, ToolCall(step.function, moved))], [step],
                      _ctx(task, cfb_observations)) == []


def test_calls_with_identical_cached_responses_are_equivalent(
    cfb_cache, cfb_items, cfb_observations
) -> None:
    groups = defaultdict(list)
    for entry in cfb_cache.entries():
        groups[(entry.function, json.dumps(payload(entry.response), sort_keys=True))].append(entry)
    pairs = [g for g in groups.values() if len(g) > 1]
    assert pairs, "the real data holds calls the API answered identically"
    entry_a, entry_b = sorted(pairs[0], key=lambda e: e.key)[:2]
    task = _item(cfb_items, lambda t: any(s.function == entry_a.function for s in t.steps))
    step = next(s for s in task.steps if s.function == entry_a.function)
    step.arguments, step.response = dict(entry_a.arguments), entry_a.response
    (match,) = match_turn([(0, ToolCall(entry_b.function, dict(entry_b.arguments)))], [step],
                          _ctx(task, cfb_observations))
    assert match.stage in ("normalized", "response")
    if match.stage == "response":
        assert entry_a.arguments != entry_b.arguments


def test_matching_is_one_to_one(cfb_items, cfb_observations) -> None:
    task = _item(cfb_items, lambda t: len(turns_of(t)[0]) == 1)
    step = task.steps[0]
    call = ToolCall(step.function, dict(step.arguments))
    matches = match_turn([(0, call), (1, call)], [step], _ctx(task, cfb_observations))
    assert [(m.call, m.step) for m in matches] == [(0, step.index)]


def test_judge_decides_only_what_the_rules_leave_open(cfb_items, cfb_observations) -> None:
    task = _item(cfb_items, lambda t: t.steps[0].function == "Search_Car_Location")
    step = task.steps[0]
    other = ToolCall(step.function, {"query": step.arguments["query"] + " city centre"})
    asked = []

    def judge(call, gold):
        asked.append((call, gold.index))
        return True

    (match,) = match_turn([(0, other)], [step], _ctx(task, cfb_observations, judge))
    assert match.stage == "judge" and asked == [(other, step.index)]
    exact = ToolCall(step.function, dict(step.arguments))
    asked.clear()
    (match,) = match_turn([(0, exact)], [step], _ctx(task, cfb_observations, judge))
    assert match.stage == "exact" and asked == []


def test_judge_verdict_parsing() -> None:
    assert parse_verdict('{"equivalent": true}') and parse_verdict("Yes, they are.")
    assert not parse_verdict('{"equivalent": false}') and not parse_verdict("maybe")
    assert not parse_verdict("")


def test_taxonomy_buckets_on_real_items(cfb_items) -> None:
    task = _item(cfb_items, lambda t: len(turns_of(t)) >= 3
                 and any(not is_free(s.function, s.arguments) for s in turns_of(t)[1]))
    schemas = _schemas(task)
    turns = turns_of(task)
    pending = [s for s in turns[1] if not is_free(s.function, s.arguments)]
    future = turns[2]
    gold = pending[0]

    def kind(call, pending=pending, future=future, done=turns[0]):
        return tx.classify(call, pending, future, done, schemas)[0]

    changed = dict(gold.arguments)
    key = sorted(changed)[0]
    changed[key] = f"{changed[key]}-other"
    assert kind(ToolCall(gold.function, changed)) == tx.WRONG_VALUE
    assert kind(ToolCall(gold.function, {**gold.arguments, "page_number": 3})) == tx.WRONG_VALUE
    fewer = dict(gold.arguments)
    fewer.pop(sorted(fewer)[-1])
    assert kind(ToolCall(gold.function, fewer)) == tx.MISSING_PARAMETER
    later = future[0]
    assert later.function not in {s.function for s in pending}
    assert kind(ToolCall(later.function, dict(later.arguments))) == tx.WRONG_ORDER
    # native entries offer more tools than the item needs; offer one more here
    extra = next(tool for other in cfb_items for tool in other.tools
                 if tool["name"] not in {s.function for s in task.steps})
    task.tools.append(extra)
    schemas.update(_schemas(task))
    assert kind(ToolCall(extra["name"], {})) == tx.WRONG_FUNCTION
    first = turns[0][0]
    assert kind(ToolCall(first.function, dict(first.arguments))) == tx.HALLUCINATED_CALL
    assert kind(ToolCall(gold.function, dict(gold.arguments)), pending=[], future=[],
                done=task.steps) == tx.HALLUCINATED_CALL
