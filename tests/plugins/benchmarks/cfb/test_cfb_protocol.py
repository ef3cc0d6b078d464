"""The turn-by-turn protocol driven by the scripted policy on the 80 real evaluation items."""

from __future__ import annotations

import json
import math

import pytest

from orchestrl.plugins.benchmarks.cfb import results as R
from orchestrl.plugins.benchmarks.cfb import taxonomy as tx
from orchestrl.plugins.benchmarks.cfb.loaders import turns_of
from orchestrl.plugins.benchmarks.cfb.metrics import summarize
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.benchmarks.cfb.protocol import run_item
from orchestrl.plugins.benchmarks.cfb.rules import is_free
from orchestrl.plugins.env.render import render_response
from orchestrl.plugins.policies.scripted import ScriptedPolicy


def _run(items, observations, **rates):
    policy = ScriptedPolicy(**rates)
    return [run_item(policy, task, observations) for task in items]


def test_gold_policy_scores_100_percent_on_every_metric(cfb_items, cfb_observations) -> None:
    results = _run(cfb_items, cfb_observations)
    summary = summarize(results)
    assert summary["metrics"] == {"turn_accuracy": 1.0, "success_rate": 1.0, "call_accuracy": 1.0}
    for metric in ("turn_accuracy", "success_rate", "call_accuracy"):
        for group in (*summary["by_domain"].values(), *summary["by_steps"].values()):
            assert group[metric] in (1.0, None)
    assert all(r.status in (R.SUCCESS, R.TRUNCATED) and not r.errors for r in results)
    assert summary["counts"]["successes"] == summary["counts"]["complete_items"] > 0
    assert sum(summary["errors"].values()) == 0


def test_missing_gold_observations_are_reported_not_scored(
    cfb_items, cfb_cache, cfb_observations
) -> None:
    results = _run(cfb_items, cfb_observations)
    for task, result in zip(cfb_items, results, strict=True):
        unknown = {s.index for s in task.steps
                   if s.response is None and cfb_cache.lookup(s.function, s.arguments) is None}
        assert {int(k) for k in result.missing_gold} == unknown
        assert result.gold_sources.get("missing", 0) == len(unknown)
        turn_of = {s.index: s.turn for s in task.steps}
        expected = min((turn_of[i] for i in unknown), default=len(turns_of(task)) - 1) + 1
        assert result.scored_turns == expected
        assert result.scored_calls == sum(1 for s in task.steps if s.turn < expected)
        if result.scored_turns < result.n_turns:
            assert result.status == R.TRUNCATED and result.final_answer is None
    summary = summarize(results)
    missing = summary["missing_gold"]
    assert missing["items"] == sum(1 for r in results if r.missing_gold) > 0
    assert set(missing["by_item"]) == {r.id for r in results if r.missing_gold}
    truncated = {r.id for r in results if r.scored_turns < r.n_turns}
    assert set(missing["truncated"]) == truncated
    assert summary["counts"]["complete_items"] == len(results) - len(truncated)


def test_the_cache_fills_gold_observations_the_traces_leave_empty(
    cfb_items, cfb_observations
) -> None:
    with_cache = _run(cfb_items, cfb_observations)
    without = _run(cfb_items, GoldObservations(None))
    empty = sum(1 for t in cfb_items for s in t.steps if s.response is None)
    assert sum(len(r.missing_gold) for r in without) == empty
    assert sum(len(r.missing_gold) for r in with_cache) < empty
    assert sum(r.gold_sources.get("cache", 0) for r in with_cache) > 0


def test_skip_mode_leaves_items_with_missing_gold_out(cfb_items, cfb_observations) -> None:
    policy = ScriptedPolicy()
    results = [run_item(policy, t, cfb_observations, missing_mode="skip") for t in cfb_items]
    skipped = [r for r in results if r.status == R.SKIPPED]
    assert skipped and all(r.missing_gold and r.model_turns == 0 for r in skipped)
    summary = summarize(results)
    assert summary["counts"]["played"] == len(results) - len(skipped)
    assert set(summary["missing_gold"]["skipped"]) == {r.id for r in skipped}
    assert summary["metrics"]["turn_accuracy"] == 1.0


def test_matched_calls_receive_the_gold_observation(cfb_items, cfb_observations) -> None:
    class Recording(ScriptedPolicy):
        def act(self, messages, tools):
            self.seen = [dict(m) for m in messages]
            return super().act(messages, tools)

    task = next(t for t in cfb_items if t.steps[0].response is not None)
    policy = Recording()
    run_item(policy, task, cfb_observations)
    tool_messages = [m for m in policy.seen if m["role"] == "tool"]
    first = turns_of(task)[0]
    assert [m["name"] for m in tool_messages[: len(first)]] == [s.function for s in first]
    assert tool_messages[0]["content"] == render_response(first[0].response, 8_192)
    assert policy.seen[0]["role"] == "system" and policy.seen[1]["content"] == task.query


@pytest.mark.parametrize(("rates", "bucket"), [
    ({"wrong_value": 1.0}, tx.WRONG_VALUE),
    ({"missing_step": 1.0}, tx.NO_CALL),
    ({"unparsable": 1.0}, tx.FORMAT_ERROR),
])
def test_each_injected_error_lands_in_its_bucket(
    cfb_items, cfb_observations, rates, bucket
) -> None:
    results = _run(cfb_items, cfb_observations, **rates)
    assert all(r.status == R.FAILED and r.failure == bucket for r in results)
    summary = summarize(results)
    assert summary["failures"][bucket] == len(results)
    assert summary["metrics"]["success_rate"] == 0.0
    assert summary["errors"][bucket] >= len(results)


def test_swapped_turns_fail_as_wrong_order(cfb_items, cfb_observations) -> None:
    results = _run(cfb_items, cfb_observations, wrong_order=1.0)
    failed = [r for r in results if r.status == R.FAILED]
    assert len(failed) > len(results) // 2
    assert all(r.failure == tx.WRONG_ORDER for r in failed)
    # a later call made early is wrong_order; the pending call it skipped may stay unmade
    assert {e["kind"] for r in results for e in r.errors} <= {tx.WRONG_ORDER, tx.NO_CALL}
    for task, result in zip(cfb_items, results, strict=True):
        if result.status != R.FAILED:  # only a swap with a turn of optional calls is harmless
            policy = ScriptedPolicy(wrong_order=1.0)
            policy.begin_episode(task)
            (swap,) = [i for kind, i in policy.injected if kind == "wrong_order"] or [None]
            if swap is not None:
                turns = turns_of(task)
                pair = [t for t in turns if any(s.index == swap for s in t)]
                position = turns.index(pair[0])
                assert any(all(is_free(s.function, s.arguments) for s in turns[p])
                           for p in (position - 1, position, position + 1)
                           if 0 <= p < len(turns)) or position >= result.scored_turns - 1


def test_injected_wrong_values_score_within_the_implied_band(
    cfb_items, cfb_observations
) -> None:
    rate = 0.1
    results = _run(cfb_items, cfb_observations, wrong_value=rate, seed=3)
    for task, result in zip(cfb_items, results, strict=True):
        policy = ScriptedPolicy(wrong_value=rate, seed=3)
        policy.begin_episode(task)
        scored = {s.index for s in task.steps if s.turn < result.scored_turns}
        hit = {i for kind, i in policy.injected if kind == "wrong_value" and i in scored}
        required = {s.index for s in task.steps if not is_free(s.function, s.arguments)}
        if not hit:
            assert result.status in (R.SUCCESS, R.TRUNCATED), task.id
        elif hit & required:
            assert result.status == R.FAILED, task.id
            # a value outside an enum breaks the schema: a format error, not a wrong value
            assert {tx.WRONG_VALUE, tx.FORMAT_ERROR} & {e["kind"] for e in result.errors}
    complete = [(t, r) for t, r in zip(cfb_items, results, strict=True)
                if r.scored_turns == r.n_turns]
    lower = sum((1 - rate) ** len(t.steps) for t, _ in complete) / len(complete)
    upper = sum((1 - rate) ** sum(not is_free(s.function, s.arguments) for s in t.steps)
                for t, _ in complete) / len(complete)
    tolerance = 3 * math.sqrt(0.25 / len(complete))
    observed = summarize(results)["metrics"]["success_rate"]
    assert lower - tolerance <= observed <= upper + tolerance
    assert 0 < observed < 1
    turn_accuracy = summarize(results)["metrics"]["turn_accuracy"]
    assert (1 - rate) ** 3 - tolerance <= turn_accuracy < 1


def test_results_round_trip_through_json(cfb_items, cfb_observations) -> None:
    results = _run(cfb_items[:10], cfb_observations, wrong_value=0.3, seed=1)
    for result in results:
        again = R.ItemResult.from_json(json.loads(json.dumps(result.to_json())))
        assert again == result


class _NeverCalls(ScriptedPolicy):
    """Answers every turn in prose: the model that has learned nothing."""

    def act(self, messages, tools):
        from orchestrl.api import PolicyOutput

        return PolicyOutput("I am sorry, I cannot look that up.")


def test_a_policy_that_never_calls_scores_zero(cfb_items, cfb_observations) -> None:
    # Turns made only of optional location searches must not count as completed when nothing
    # was called (skipping them is allowed only when the next required turn is completed).
    assert any(all(is_free(s.function, s.arguments) for s in turns_of(task)[0])
               for task in cfb_items)
    results = [run_item(_NeverCalls(), task, cfb_observations) for task in cfb_items]
    summary = summarize(results)
    assert summary["metrics"]["turn_accuracy"] == 0.0
    assert summary["metrics"]["call_accuracy"] == 0.0
    assert all(r.turns_completed == 0 and r.calls_correct == 0 for r in results)


def test_skipping_optional_searches_still_completes_the_turn(cfb_items, cfb_observations) -> None:
    # The gold policy minus its free calls: the first required turn completes, and the
    # skipped free-only turn before it is merged into it (ComplexFuncBench's rule).
    class _SkipsFree(ScriptedPolicy):
        def begin_episode(self, task):
            from dataclasses import replace

            kept = [s for s in task.steps if not is_free(s.function, s.arguments)]
            super().begin_episode(replace(task, steps=kept))

    task = next(t for t in cfb_items
                if all(is_free(s.function, s.arguments) for s in turns_of(t)[0])
                and len(turns_of(t)) > 1)
    baseline = run_item(ScriptedPolicy(), task, cfb_observations)
    skipped = run_item(_SkipsFree(), task, cfb_observations)
    assert skipped.turns_completed == baseline.turns_completed > 0
