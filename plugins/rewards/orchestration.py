"""Reward term ``orchestration``: calls in dependency order, carrying the data they received.

Formula: ``2·C / (A + N)`` where ``C`` counts the credited gold steps, ``A`` the attempted
calls and ``N`` the gold steps (F1-style like the atomic levels, so that flooding the
environment with calls cannot buy orchestration credit). Gold step ``j`` is credited when

1. it is assigned a predicted call ``r_j`` (order-aware one-to-one assignment);
2. every step ``d`` it depends on (``depends_on``) is assigned a call ``r_d`` made in an
   *earlier assistant turn* (``turn(r_d) < turn(r_j)``: a call cannot use a response it has
   not seen yet, so a producer and its consumer in the same parallel turn do not count);
3. every dependent argument ``a`` of ``j`` (``dependency_args[a] = (from_step, from_field)``)
   carries the value found at ``from_field`` in the response that the call assigned to
   ``from_step`` *actually received* (``result.content`` from the environment; equal exactly
   after the normalisation of the parameter's declared type, no numeric tolerance: the next
   search result's identifier is a different value). A producer that failed or was never
   executed credits nothing downstream.

A task without gold steps scores 1 when no call was attempted, else 0.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from orchestrl import hookimpl
from orchestrl.api import CallRecord
from orchestrl.paths import MISSING, get_path, parse_path
from orchestrl.plugins.rewards.analysis import Analysis
from orchestrl.plugins.rewards.base import MatchedTerm
from orchestrl.plugins.rewards.prepared import PreparedTask
from orchestrl.registry import Registry


class Orchestration(MatchedTerm):
    """Share of gold steps matched in dependency order with dependent values from real responses."""

    signature_pure = True

    def score_analysis(self, analysis: Analysis) -> float:
        if analysis.n_gold == 0:
            return 1.0 if analysis.n_attempts == 0 else 0.0
        # only an assigned step can be credited (condition 1); a step that depends on
        # nothing is credited by that alone
        prepared = analysis.prepared
        free, flow = prepared.free, prepared.flow
        record_of = analysis.record_of
        records = analysis.trajectory.calls
        credited = 0
        for g, mine in record_of.items():
            if g in free or _credited(
                prepared, flow[g], record_of, records, analysis.predicted_values, g, mine
            ):
                credited += 1
        return min(1.0, 2.0 * credited / (analysis.n_attempts + analysis.n_gold))


def step_orchestrated(analysis: Analysis, gold: int) -> bool:
    """Whether gold position ``gold`` meets conditions 1-3 of the module docstring."""
    mine = analysis.record_of.get(gold)
    if mine is None:
        return False
    prepared = analysis.prepared
    return _credited(
        prepared, prepared.flow[gold], analysis.record_of, analysis.trajectory.calls,
        analysis.predicted_values, gold, mine,
    )


def _credited(
    prepared: PreparedTask,
    flow: tuple[tuple[int | None, ...], tuple[tuple[str, int | None, tuple[int, str]], ...]],
    record_of: dict[int, int],
    records: list[CallRecord],
    predicted_values: list[dict[str, Any] | None],
    gold: int,
    mine: int,
) -> bool:
    """Conditions 2-3 for gold position ``gold``, assigned record ``mine`` (its ``flow``)."""
    parents, dependent = flow
    if parents:
        turn = records[mine].turn
        for parent in parents:
            producer = record_of.get(parent)  # type: ignore[arg-type]  # None: no such step
            if producer is None or records[producer].turn >= turn:
                return False
    if not dependent:
        return True
    call = records[mine].call
    assert call is not None
    arguments = call.arguments
    predicted = predicted_values[mine]
    produced = prepared.produced
    for argument, parent, slot in dependent:
        producer = record_of.get(parent)  # type: ignore[arg-type]
        if producer is None or argument not in arguments:
            return False
        result = records[producer].result
        if result is None or not result.ok:
            return False
        content = result.content
        memo = produced.get(slot)
        if memo is not None and memo[0] is content:
            expected = memo[1]
        else:
            expected = _expected(prepared, slot, call.name, content)
        if expected is MISSING:
            return False
        got = None if predicted is None else predicted.get(argument)
        if got != expected or type(got) is not type(expected):
            return False
    return True


def _expected(prepared: PreparedTask, slot: tuple[int, str], function: str, content: Any) -> Any:
    """Canonical value that dependent argument ``slot[1]`` of gold position ``slot[0]`` must
    carry, given its producer's response ``content`` (MISSING when the response lacks it).

    Memoised in ``prepared.produced`` per slot and response object (the memo holds the
    object, so its identity is not reused while memoised; responses are read-only once
    received): :func:`step_orchestrated` reads a hit there before calling this.
    """
    gold, argument = slot
    ref = prepared.steps[gold].step.dependency_args[argument]
    produced = _resolve(content, ref.from_field)
    expected = MISSING if produced is MISSING else prepared.normalize(function, argument, produced)
    prepared.produced[slot] = (content, expected)
    return expected


@lru_cache(maxsize=4_096)
def _tokens(path: str) -> tuple[str | int, ...] | None:
    try:
        return parse_path(path)
    except ValueError:
        return None


def _resolve(response: Any, path: str) -> Any:
    """:func:`orchestrl.paths.resolve` with parsed paths memoised; MISSING on a bad path."""
    tokens = _tokens(path)
    if tokens is None:
        return MISSING
    found = get_path(response, tokens)
    if found is MISSING and isinstance(response, dict) and "data" in response:
        found = get_path(response["data"], tokens)
    return found


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("orchestration", Orchestration)
