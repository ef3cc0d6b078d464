"""A task's gold side, prepared once for fast repeated scoring.

GRPO scores many rollouts of the same task, so the gold values are normalised, the tool schemas
read and the steps grouped by function once per task (:func:`prepare`, cached by task identity:
tasks are treated as immutable once scored). Parameter types are judged with the environment's
schema module (:mod:`orchestrl.plugins.tools.schema`).

Values are compared by the schema's declared type: a ``string`` parameter in its text form
(:func:`~orchestrl.plugins.rewards.normalize.string_param_form`, never numerically); the
numeric tolerance only for parameters typed ``number`` (or undeclared), never between integral
values; a dependent argument (``dependency_args``) exactly (:attr:`PreparedStep.tolerant`).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrl.api import ErrorKind, GoldStep, Task
from orchestrl.plugins.rewards.normalize import (
    normalize_str,
    normalize_string_param,
    normalize_value,
    string_param_form,
)
from orchestrl.plugins.tools.schema import ToolSchema, validate_call

_TYPE_ERRORS = frozenset({ErrorKind.WRONG_TYPE, ErrorKind.UNKNOWN_PARAMETER})
_CACHE_LIMIT = 8_192
MEASURE_LIMIT = 256
"""Distinct calls whose measures one prepared task keeps (GRPO repeats most calls)."""
SCORE_LIMIT = 2_048
"""Combined breakdowns kept by :func:`remember_scores`, over all tasks and rewards. Each entry
holds the result contents its signature names, so this bounds the memory they keep alive."""


@dataclass(frozen=True)
class PreparedStep:
    """One gold step with its arguments in canonical form."""

    step: GoldStep
    position: int
    keys: frozenset[str]
    values: Mapping[str, Any]
    tolerant: frozenset[str] = frozenset()
    """Keys whose values may differ within the numeric tolerance (typed ``number`` or
    undeclared, and not dependent); every other key must be equal exactly."""


@dataclass
class PreparedTask:
    """The gold steps of a task, its schemas, and the gold positions of each function."""

    task: Task
    steps: list[PreparedStep]
    schemas: dict[str, ToolSchema]
    by_function: dict[str, list[int]]
    position_of: dict[int, int]
    """Gold position of each step ``index`` (``depends_on`` names indices)."""

    flow: list[
        tuple[tuple[int | None, ...], tuple[tuple[str, int | None, tuple[int, str]], ...]]
    ] = field(default_factory=list)
    """Per gold position: the gold positions of the steps it depends on (``depends_on``), and
    each dependent argument with its producer's gold position (None: no such step) and its
    slot in :attr:`produced`."""
    free: frozenset[int] = frozenset()
    """The gold positions that depend on no step and have no dependent argument."""
    traits: dict[tuple[str, str], tuple[bool, str | None]] = field(default_factory=dict)
    """Memo of ``(unordered, declared type)`` per ``(function, parameter)``."""
    gold_names: list[str] = field(default_factory=list)
    """The function of each gold step, in gold order."""
    measures: dict[Any, Any] = field(default_factory=dict)
    """Memo of the analysis' per-call measures, keyed by the call's name and its arguments'
    exact bytes (:func:`~orchestrl.plugins.parsing.exact_key.exact_bytes`), holding only calls
    :func:`~orchestrl.plugins.rewards.analysis.call_key` accepts (at most
    :data:`MEASURE_LIMIT`)."""

    produced: dict[tuple[int, str], tuple[Any, Any]] = field(default_factory=dict)
    """Memo of orchestration: per ``(gold position, dependent argument)``, the last producer
    response seen and the canonical value it yields (one response held per argument)."""

    seen: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    """Memo of the same measures by call object (``id`` to the call and its measures, at
    most :data:`MEASURE_LIMIT`): scoring treats a call it has measured as immutable, as GRPO's
    parsed and executed calls are (the parser shares the records of equal calls)."""

    def see(self, call: Any, measured: Any) -> None:
        """Keep ``measured`` for the object ``call`` in :attr:`seen` (emptied when full)."""
        if len(self.seen) >= MEASURE_LIMIT:
            self.seen.clear()
        self.seen[id(call)] = (call, measured)

    def remember(self, key: Any, measured: Any) -> None:
        """Keep ``measured`` for ``key`` in :attr:`measures` (emptied when full: bounded)."""
        if len(self.measures) >= MEASURE_LIMIT:
            self.measures.clear()
        self.measures[key] = measured

    def normalize(self, function: str, name: str, value: Any) -> Any:
        """Canonical form of argument ``name`` of ``function`` (a set if the schema says so)."""
        traits = self.traits.get((function, name))
        if traits is None:
            traits = _param_traits(self.schemas.get(function), name)
            if len(self.traits) < 4_096:
                self.traits[(function, name)] = traits
        if traits[1] == "string":
            return string_param_form(value)
        if type(value) is str and len(value) <= 4_096:
            return normalize_str(value, traits[1])
        return normalize_value(value, unordered=traits[0], param_type=traits[1])

    def tolerant(self, function: str, name: str) -> bool:
        """Whether values of ``name`` may differ within the numeric tolerance (see the module)."""
        declared = _param_traits(self.schemas.get(function), name)[1]
        return declared in (None, "number")

    def type_ok(self, function: str, name: str, value: Any) -> bool:
        """Whether ``value`` has the declared type of parameter ``name`` (unknown name: False).

        Without a schema for ``function`` any JSON value is accepted.
        """
        schema = self.schemas.get(function)
        if schema is None:
            return True
        if name not in schema.parameters:
            return False
        key = (function, name, type(value), value) if _hashable(value) else None
        if key is not None and key in _TYPE_MEMO:
            return _TYPE_MEMO[key]
        violations = validate_call(schema, {name: value})
        ok = not any(v.kind in _TYPE_ERRORS for v in violations)
        if key is not None and len(_TYPE_MEMO) < _CACHE_LIMIT * 8:
            _TYPE_MEMO[key] = ok
        return ok


_TYPE_MEMO: dict[tuple[Any, ...], bool] = {}
_SCORES: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def scores_of(key: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """What :func:`remember_scores` kept for ``key``, or None."""
    return _SCORES.get(key)


def forget_scores() -> None:
    """Empty the breakdown memo only (every other memo kept: benchmarks of the analysis)."""
    _SCORES.clear()


def forget_calls() -> None:
    """Empty every prepared task's per-call memos (:attr:`PreparedTask.measures`,
    :attr:`~PreparedTask.seen`, :attr:`~PreparedTask.produced`) and the breakdown memo,
    keeping the prepared gold sides: what a rollout whose every call and response is new
    finds (benchmarks of the analysis)."""
    _SCORES.clear()
    for _, prepared in _PREPARED.values():
        prepared.measures.clear()
        prepared.seen.clear()
        prepared.produced.clear()


def remember_scores(key: tuple[Any, ...], scored: tuple[Any, ...]) -> None:
    """Keep ``scored`` for ``key`` (at most :data:`SCORE_LIMIT` entries, emptied when full).

    The memo of :class:`~orchestrl.plugins.rewards.combined.CombinedReward`: ``key`` holds
    object ids (of the prepared task, the result contents) and ``scored`` must hold those
    objects, so that no id is reused while the entry lives (the calls' measures objects are
    held by the key itself).
    """
    if len(_SCORES) >= SCORE_LIMIT:
        _SCORES.clear()
    _SCORES[key] = scored
_PREPARED: dict[int, tuple[weakref.ref[Task], PreparedTask]] = {}


def clear_caches() -> None:
    """Forget every prepared task and value memo (a cold start, for tests and benchmarks)."""
    _PREPARED.clear()
    _TYPE_MEMO.clear()
    _SCORES.clear()
    normalize_str.cache_clear()
    normalize_string_param.cache_clear()


def prepare(task: Task) -> PreparedTask:
    """The prepared gold side of ``task`` (computed once per task object)."""
    entry = _PREPARED.get(id(task))
    if entry is not None and entry[0]() is task:
        return entry[1]
    prepared = _build(task)
    if len(_PREPARED) >= _CACHE_LIMIT:
        _PREPARED.clear()
    _PREPARED[id(task)] = (weakref.ref(task), prepared)
    return prepared


def _build(task: Task) -> PreparedTask:
    schemas: dict[str, ToolSchema] = {}
    for record in task.tools:
        try:
            schema = ToolSchema.from_record(record)
        except (ValueError, TypeError, AttributeError):
            continue
        schemas[schema.name] = schema
    prepared = PreparedTask(task, [], schemas, {}, {})
    for position, step in enumerate(task.steps):
        values = {k: prepared.normalize(step.function, k, v) for k, v in step.arguments.items()}
        tolerant = frozenset(
            k
            for k in step.arguments
            if k not in step.dependency_args and prepared.tolerant(step.function, k)
        )
        prepared.steps.append(
            PreparedStep(step, position, frozenset(step.arguments), values, tolerant)
        )
        prepared.by_function.setdefault(step.function, []).append(position)
        prepared.gold_names.append(step.function)
        prepared.position_of[step.index] = position
    position_of = prepared.position_of
    prepared.flow = [
        (
            tuple(position_of.get(index) for index in step.depends_on),
            tuple(
                (argument, position_of.get(ref.from_step), (position, argument))
                for argument, ref in step.dependency_args.items()
            ),
        )
        for position, step in enumerate(task.steps)
    ]
    prepared.free = frozenset(p for p, (parents, dependent) in enumerate(prepared.flow)
                              if not parents and not dependent)
    return prepared


def _param_traits(schema: ToolSchema | None, name: str) -> tuple[bool, str | None]:
    if schema is None:
        return False, None
    spec = schema.parameters.get(name)
    if spec is None:
        return False, None
    raw = schema.raw.get("parameters", {})
    props = raw.get("properties", {}) if isinstance(raw, dict) else {}
    node = props.get(name, {}) if isinstance(props, dict) else {}
    unordered = isinstance(node, dict) and node.get("uniqueItems") is True
    return unordered, spec.type


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
