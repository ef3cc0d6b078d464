"""The turn-by-turn protocol of ComplexFuncBench, made deterministic.

The model sees the system prompt, the item's tools and the query, then answers turn after turn.

* **Pending calls.** The gold calls the model may make now are the unmatched calls of the turns
  up to the *frontier*: the first turn that still has a required (not free, see
  :func:`~orchestrl.plugins.benchmarks.cfb.rules.is_free`) call unmatched. A turn's calls become
  pending only once every required call of the earlier turns is matched, so a call that needs an
  earlier observation is never accepted before it (ComplexFuncBench's own runner already opens
  the next turn after any partial match; that leniency is not kept). Free gold calls of any
  turn may be made at any time, or skipped.
* **A model turn** is parsed into call attempts (structured ``tool_calls`` or text). Attempts
  that do not parse, name a tool the item does not offer, or break the schema
  (:func:`~orchestrl.plugins.tools.schema.validate_call`) get a format error the model can read.
  The valid calls are matched one-to-one
  (:func:`~orchestrl.plugins.benchmarks.cfb.matching.match_turn`) against the pending and free gold
  calls: matched calls receive the gold observation, the others the benchmark's "problem with your
  api call" message and an error kind (:func:`~orchestrl.plugins.benchmarks.cfb.taxonomy.classify`).
  Each attempt's record gets that answer as its result (ok only for a matched call with a recorded
  observation), so a reward reads the episode as it reads an executed rollout.
* **Stop.** The episode ends when the model answers in text (success when every required gold
  call was matched, else ``no_call``), when a turn matches nothing and has no format error, when
  ``max_format_retries`` consecutive turns match nothing but have format errors, when the model
  calls after the last gold call (``hallucinated_call``), or after ``max_model_turns``.
* **Missing observations.** When a gold call's observation is known neither from the item nor
  from the cache, only the turns up to and including its turn are played (later turns would
  need it); the item ends ``truncated`` once those are complete, and is reported as such.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrl.api import (
    JSON,
    RESPONSE_CHARS,
    CallRecord,
    ErrorKind,
    GoldStep,
    Policy,
    PolicyOutput,
    Task,
    ToolCall,
    ToolResult,
)
from orchestrl.plugins.benchmarks.cfb import results as R
from orchestrl.plugins.benchmarks.cfb import taxonomy as tx
from orchestrl.plugins.benchmarks.cfb.loaders import turns_of
from orchestrl.plugins.benchmarks.cfb.matching import MatchContext, match_turn
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.benchmarks.cfb.rules import is_free
from orchestrl.plugins.rollout.driver import Rules, drive
from orchestrl.plugins.rollout.engine import Episode, RolloutLimits, unknown_tool
from orchestrl.plugins.rollout.prompt import DEFAULT_SYSTEM_PROMPT
from orchestrl.plugins.tools.schema import ToolSchema, validate_call

UNEXPECTED_CALL = (
    "There is a problem with your api call, please double-check for possible problems."
)
NOT_RECORDED = "the benchmark recorded no response for this call"


@dataclass(frozen=True)
class ProtocolLimits:
    """Bounds of one episode."""

    max_model_turns: int = 20
    max_format_retries: int = 2
    response_chars: int = RESPONSE_CHARS
    tool_description_chars: int | None = None
    """Compact tool descriptions to this many characters (as in training); None keeps them."""
    system_prompt: str | None = DEFAULT_SYSTEM_PROMPT


class _Episode:
    """State of one item's episode; :func:`run_item` drives it."""

    def __init__(self, task: Task, schemas: Mapping[str, ToolSchema], ctx: MatchContext,
                 limits: ProtocolLimits, missing: Mapping[int, str]) -> None:
        self.task, self.schemas, self.ctx, self.limits = task, schemas, ctx, limits
        self.turns = turns_of(task)
        self.turn_of = {s.index: t for t, turn in enumerate(self.turns) for s in turn}
        first_missing = min((self.turn_of[i] for i in missing), default=len(self.turns) - 1)
        self.scored = first_missing + 1
        self.scored_steps = [s for turn in self.turns[: self.scored] for s in turn]
        self.matched: dict[int, str] = {}

    # ------------------------------------------------------------ gold bookkeeping

    @property
    def frontier(self) -> int:
        """The first scored turn with a required call not yet matched (``scored`` when none);
        free-only turns before it stay open (their calls may be made or skipped)."""
        for t, turn in enumerate(self.turns[: self.scored]):
            if any(s.index not in self.matched and not is_free(s.function, s.arguments)
                   for s in turn):
                return t
        return self.scored

    def pending(self) -> list[GoldStep]:
        return [s for t in range(min(self.frontier, self.scored - 1) + 1) for s in self.turns[t]
                if s.index not in self.matched]

    def candidates(self) -> list[GoldStep]:
        pending = self.pending()
        ids = {s.index for s in pending}
        free = [s for s in self.scored_steps if s.index not in self.matched and s.index not in ids
                and is_free(s.function, s.arguments)]
        return pending + free

    def required_left(self) -> list[GoldStep]:
        return [s for s in self.scored_steps
                if s.index not in self.matched and not is_free(s.function, s.arguments)]

    def completed_turns(self) -> int:
        """Turns completed in order. A turn of free calls only completes when one of its calls
        was made, or (merged with the next turn, as ComplexFuncBench does) when the next turn
        with required calls completes: skipping free calls is fine, calling nothing is not."""
        done = waiting = 0
        for turn in self.turns[: self.scored]:
            required = [s for s in turn if not is_free(s.function, s.arguments)]
            if any(s.index not in self.matched for s in required):
                break
            if required or any(s.index in self.matched for s in turn):
                done += 1 + waiting
                waiting = 0
            else:
                waiting += 1
        return done

    def correct_calls(self) -> int:
        done = self.completed_turns()
        return sum(1 for t, turn in enumerate(self.turns[: self.scored]) for s in turn
                   if s.index in self.matched or (t < done and is_free(s.function, s.arguments)))

    # ------------------------------------------------------------ one model turn

    def judge_calls(self, records: Sequence[CallRecord], model_turn: int,
                    result: R.ItemResult) -> tuple[list[JSON], int, int]:
        """Observations for each attempt, the number matched and the number of format errors."""
        observations: list[JSON] = [None] * len(records)
        entries: list[dict[str, JSON]] = [{} for _ in records]
        valid: list[tuple[int, ToolCall]] = []
        format_errors = 0
        for i, record in enumerate(records):
            found = self._format_error(record)
            entries[i] = _entry(record)
            if found is None:
                assert record.call is not None
                valid.append((i, record.call))
                continue
            kind, error = found
            format_errors += 1
            observations[i] = {"error": error}
            record.result = ToolResult(False, observations[i], kind, error)
            entries[i].update(outcome=tx.FORMAT_ERROR, detail=error)
            result.errors.append({"kind": tx.FORMAT_ERROR, "turn": model_turn, "detail": error})
        before = set(self.matched)
        pending = self.pending()
        future = [s for t in range(self.frontier + 1, len(self.turns)) for s in self.turns[t]
                  if s.index not in self.matched]

        matches = match_turn(valid, self.candidates(), self.ctx)
        by_step = {s.index: s for s in self.task.steps}
        for match in matches:
            self.matched[match.step] = match.stage
            result.matched_by[match.stage] = result.matched_by.get(match.stage, 0) + 1
            gold, _ = self.ctx.observations.gold(by_step[match.step])
            observations[match.call] = gold if gold is not None else {"note": NOT_RECORDED}
            records[match.call].result = ToolResult(gold is not None, observations[match.call])
            entries[match.call].update(outcome="matched", step=match.step, stage=match.stage)
        matched_calls = {m.call for m in matches}
        still = [s for s in pending if s.index not in self.matched]
        done = [by_step[i] for i in before]
        for i, call in valid:
            if i in matched_calls:
                continue
            observations[i] = {"error": UNEXPECTED_CALL}
            records[i].result = ToolResult(False, observations[i], ErrorKind.NOT_FOUND,
                                           UNEXPECTED_CALL)
            kind, detail = tx.classify(call, still, future, done, self.schemas)
            entries[i].update(outcome=kind, detail=detail)
            result.errors.append({"kind": kind, "turn": model_turn, "detail": detail})
        result.log.append({"turn": model_turn, "frontier": self.frontier, "calls": entries})
        return observations, len(matches), format_errors

    def format_error(self, record: CallRecord) -> str | None:
        found = self._format_error(record)
        return found[1] if found else None

    def _format_error(self, record: CallRecord) -> tuple[str, str] | None:
        """``(error kind, message)`` of an attempt that breaks its schema, else None."""
        if record.call is None:
            return ErrorKind.PARSE_ERROR, f"could not parse tool call: {record.parse_error}"
        schema = self.schemas.get(record.call.name)
        if schema is None:
            return ErrorKind.UNKNOWN_TOOL, unknown_tool(record.call.name, self.schemas)
        violations = validate_call(schema, dict(record.call.arguments))
        if not violations:
            return None
        return violations[0].kind, "; ".join(v.message for v in violations)


def run_item(
    policy: Policy,
    task: Task,
    observations: GoldObservations,
    *,
    limits: ProtocolLimits | None = None,
    judge: object = None,
    missing_mode: str = "truncate",
    reward: Any = None,
) -> R.ItemResult:
    """Play one item with ``policy`` and return its result (never raises for model output);
    with ``reward`` (a scorer with ``score(trajectory, task)``) the episode is scored too."""
    limits = limits or ProtocolLimits()
    schemas = _schemas(task)
    sources: dict[str, int] = {}
    missing: dict[int, str] = {}
    for step in task.steps:
        _, source = observations.gold(step)
        sources[source] = sources.get(source, 0) + 1
        if source == "missing":
            missing[step.index] = _describe(step)
    ctx = MatchContext(schemas, observations, judge)  # type: ignore[arg-type]
    episode = _Episode(task, schemas, ctx, limits, missing)
    result = R.ItemResult(
        id=task.id, domain=task.domain, n_steps=len(task.steps), n_turns=len(episode.turns),
        scored_turns=episode.scored, scored_calls=len(episode.scored_steps),
        missing_gold={str(k): v for k, v in sorted(missing.items())}, gold_sources=sources)
    if missing and missing_mode == "skip":
        result.status, result.stop = R.SKIPPED, "missing_gold"
        return result
    played = _play(policy, task, episode, limits, result)
    if reward is not None:
        trajectory = played.trajectory(result.stop or "answer", result.final_answer)
        result.reward = float(reward.score(trajectory, task))
    result.turns_completed = episode.completed_turns()
    result.calls_correct = episode.correct_calls()
    return result


class TurnProtocol(Rules):
    """ComplexFuncBench's protocol as rules of the rollout driver: calls are judged against the
    pending gold calls (:meth:`_Episode.judge_calls`), never executed; the episode stops as the
    module docstring says, filling ``result``."""

    def __init__(self, episode: _Episode, limits: ProtocolLimits, result: R.ItemResult) -> None:
        self.gold, self.limits, self.result = episode, limits, result
        self.truncated = episode.scored < len(episode.turns)
        self.format_streak = 0
        self.all_done = False
        self.matched = self.format_errors = 0
        self.answer = self._judge

    def tools(self, episode: Episode) -> list[dict[str, JSON]]:
        return episode.limits.tools(episode.task)

    def before_turn(self, episode: Episode) -> str | None:
        result = self.result
        if episode.turns >= self.limits.max_model_turns:
            result.stop, result.failure = "max_turns", _root_cause(result)
            return result.stop
        if self.truncated and not self.gold.required_left():
            result.status, result.stop = R.TRUNCATED, "missing_gold"
            return result.stop
        return None

    def _judge(self, records: list[CallRecord]) -> list[JSON]:
        if not records:
            return []
        self.all_done = not self.gold.required_left() and not self.truncated
        observations, self.matched, self.format_errors = self.gold.judge_calls(
            records, records[0].turn, self.result)
        return observations

    def after_turn(self, episode: Episode, output: PolicyOutput,
                   records: list[CallRecord]) -> str | None:
        result, model_turn = self.result, episode.turns - 1
        result.model_turns = episode.turns
        if not records:
            result.final_answer = (output.text or "").strip()
            left = self.gold.required_left()
            if left:
                for step in left:
                    result.errors.append({"kind": tx.NO_CALL, "turn": model_turn,
                                          "detail": f"gold step {step.index} "
                                                    f"'{step.function}' was never made"})
                result.stop, result.failure = "answer", _root_cause(result)
            else:
                result.status, result.stop = R.SUCCESS, "answer"
            return result.stop
        if self.all_done and self.matched == 0:
            result.stop, result.failure = "hallucinated_call", tx.HALLUCINATED_CALL
            return result.stop
        if self.matched:
            self.format_streak = 0
            return None
        if self.format_errors and self.format_streak < self.limits.max_format_retries:
            self.format_streak += 1
            return None
        result.stop = "format_error" if self.format_errors else "no_match"
        result.failure = _root_cause(result)
        return result.stop


def _play(policy: Policy, task: Task, episode: _Episode, limits: ProtocolLimits,
          result: R.ItemResult) -> Episode:
    rollout_limits = RolloutLimits(max_turns=limits.max_model_turns,
                                   max_calls_per_turn=10**9,
                                   token_budget=10**12,
                                   response_chars=limits.response_chars,
                                   system_prompt=limits.system_prompt,
                                   tool_description_chars=limits.tool_description_chars)
    played = Episode(task, None, rollout_limits)
    stop = drive(policy, played, TurnProtocol(episode, limits, result))
    if stop in ("error", "token_budget"):  # the driver ended it: the policy failed or is full
        result.stop = "policy_error" if stop == "error" else "token_budget"
    return played


def _root_cause(result: R.ItemResult) -> str:
    """The first error that was not corrected, else ``no_call``.

    A format error is corrected when a later model turn matched a call; other errors stand.
    """
    matched_turns = [entry["turn"] for entry in result.log
                     if any(c.get("outcome") == "matched" for c in entry["calls"])]
    last_match = max(matched_turns, default=-1)
    for error in result.errors:
        if error["kind"] == tx.FORMAT_ERROR and int(error["turn"]) < last_match:
            continue
        return str(error["kind"])
    return tx.NO_CALL


def _entry(record: CallRecord) -> dict[str, JSON]:
    if record.call is None:
        return {"raw": record.raw[:500]}
    return {"name": record.call.name, "arguments": dict(record.call.arguments)}


def _schemas(task: Task) -> dict[str, ToolSchema]:
    schemas = {}
    for tool in task.tools:
        try:
            schema = ToolSchema.from_record(tool)
        except ValueError:
            continue
        schemas[schema.name] = schema
    return schemas


def _describe(step: GoldStep) -> str:
    text = json.dumps(step.arguments, ensure_ascii=False, sort_keys=True)
    return f"{step.function} {text if len(text) <= 200 else text[:197] + '...'}"
