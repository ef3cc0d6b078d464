"""One-to-one matching of a turn's predicted calls to the gold calls it may satisfy.

Stages, each run over the calls still unmatched, predicted calls in order, gold calls in order
(greedy, so the result is deterministic and an earlier stage always wins):

1. ``exact``: equal canonical keys (:func:`~orchestrl.plugins.cache.keys.canonical_key`,
   arguments coerced by the tool's schema, ``None`` dropped, ``2.0`` is ``2``).
2. ``normalized``: same function and argument names; the function's exact keys
   (:func:`~orchestrl.plugins.benchmarks.cfb.rules.exact_keys`) equal canonically, every other value
   equal after :func:`~orchestrl.plugins.rewards.normalize.values_equal` (comma-separated set
   arguments compare as sets).
3. ``response``: same function, the gold call's exact keys equal, and the predicted call's
   cached response equals the gold observation (``data`` payloads compared; a response that
   reports a failure never counts). Two argument sets the API answers identically are the
   same call.
4. ``judge`` (only when a judge is given): same function and exact keys, and the judge says
   the calls are equivalent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from orchestrl.api import JSON, GoldStep, ToolCall
from orchestrl.plugins.benchmarks.cfb.loaders import payload
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.benchmarks.cfb.rules import UNORDERED_KEYS, exact_keys
from orchestrl.plugins.cache.keys import canonical_arguments, canonical_key
from orchestrl.plugins.rewards.normalize import values_equal
from orchestrl.plugins.tools.failure import response_failed
from orchestrl.plugins.tools.schema import ToolSchema

STAGES = ("exact", "normalized", "response", "judge")

Judge = Callable[[ToolCall, GoldStep], bool]
"""Decides whether a predicted call is equivalent to a gold call the rules could not match."""


@dataclass(frozen=True)
class Match:
    """Predicted call ``call`` (position in the turn) matched gold step ``step`` at ``stage``."""

    call: int
    step: int
    stage: str


@dataclass
class MatchContext:
    """What matching needs besides the calls: schemas, observations and an optional judge."""

    schemas: Mapping[str, ToolSchema]
    observations: GoldObservations
    judge: Judge | None = None


def match_turn(
    calls: Sequence[tuple[int, ToolCall]], gold: Sequence[GoldStep], ctx: MatchContext
) -> list[Match]:
    """Match ``(position, call)`` pairs one-to-one to ``gold`` by the stages in order."""
    matches: list[Match] = []
    free_calls = list(calls)
    free_gold = list(gold)
    for stage in STAGES:
        if stage == "judge" and ctx.judge is None:
            break
        for position, call in list(free_calls):
            for step in free_gold:
                if _agree(stage, call, step, ctx):
                    matches.append(Match(position, step.index, stage))
                    free_calls.remove((position, call))
                    free_gold.remove(step)
                    break
    return sorted(matches, key=lambda m: m.call)


def same_call(call: ToolCall, step: GoldStep, schemas: Mapping[str, ToolSchema]) -> bool:
    """Whether ``call`` has the canonical key of the gold step."""
    schema = schemas.get(step.function)
    try:
        return canonical_key(call.name, call.arguments, schema) == canonical_key(
            step.function, step.arguments, schema)
    except ValueError:
        return False


def exact_keys_agree(call: ToolCall, step: GoldStep, schemas: Mapping[str, ToolSchema]) -> bool:
    """Same function, and every exact key the gold call gives is given equal by ``call``."""
    if call.name != step.function:
        return False
    pred, gold = _canonical(call, schemas), _canonical_step(step, schemas)
    if pred is None or gold is None:
        return False
    return all(key in pred and pred[key] == gold[key]
               for key in exact_keys(step.function, gold) if key in gold)


def normalized_agree(call: ToolCall, step: GoldStep, schemas: Mapping[str, ToolSchema]) -> bool:
    """Stage 2: same argument names, exact keys equal, the rest equal after normalisation."""
    if call.name != step.function:
        return False
    pred, gold = _canonical(call, schemas), _canonical_step(step, schemas)
    if pred is None or gold is None or set(pred) != set(gold):
        return False
    exact = exact_keys(step.function, gold)
    schema = schemas.get(step.function)
    for key, value in gold.items():
        if key in exact:
            if pred[key] != value:
                return False
        elif not _loosely_equal(key, pred[key], value, schema):
            return False
    return True


def _agree(stage: str, call: ToolCall, step: GoldStep, ctx: MatchContext) -> bool:
    if stage == "exact":
        return same_call(call, step, ctx.schemas)
    if stage == "normalized":
        return normalized_agree(call, step, ctx.schemas)
    if not exact_keys_agree(call, step, ctx.schemas):
        return False
    if stage == "response":
        gold, _ = ctx.observations.gold(step)
        if gold is None:
            return False
        predicted = ctx.observations.predicted(call.name, call.arguments)
        return (predicted is not None and not response_failed(predicted)
                and payload(predicted) == payload(gold))
    return ctx.judge is not None and bool(ctx.judge(call, step))


def _loosely_equal(key: str, pred: JSON, gold: JSON, schema: ToolSchema | None) -> bool:
    if key in UNORDERED_KEYS and isinstance(pred, str) and isinstance(gold, str):
        return _parts(pred) == _parts(gold)
    param_type = schema.param_type(key) if schema is not None else None
    return values_equal(pred, gold, param_type=param_type)


def _parts(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def _canonical(call: ToolCall, schemas: Mapping[str, ToolSchema]) -> dict[str, JSON] | None:
    try:
        return canonical_arguments(call.name, call.arguments, schemas.get(call.name))
    except ValueError:
        return None


def _canonical_step(step: GoldStep, schemas: Mapping[str, ToolSchema]) -> dict[str, JSON] | None:
    return _canonical(ToolCall(step.function, step.arguments), schemas)
