"""The shared comparison of one trajectory with its task's gold steps.

:func:`analyse` parses nothing (the trajectory already holds :class:`~orchestrl.api.CallRecord`
objects); it normalises the predicted arguments, assigns predicted calls to gold steps with
:func:`orchestrl.plugins.rewards.matching.assign` (similarity = the pair's ``value_share``) and
measures each assigned pair at every atomic level. Terms built on it
(:class:`~orchestrl.plugins.rewards.base.MatchedTerm`) only aggregate, so a combined reward
analyses a trajectory once, however many terms it has.

Per pair, with ``G`` the gold argument names and ``P`` the predicted ones:

* ``names_f1 = 2·|G∩P| / (|G| + |P|)`` (precision ``|G∩P|/|P|`` and recall ``|G∩P|/|G|``
  combined; 1 when both are empty);
* ``type_share`` = share of predicted arguments whose value has the schema's declared type
  (an undeclared parameter counts as wrong; no predicted argument: 1 if ``G`` is empty, else 0);
* ``value_share = |{k ∈ G∩P : values equal}| / |G∪P|`` (1 when both are empty), values
  compared by the declared type (:func:`~orchestrl.plugins.rewards.normalize.argument_equal`:
  strings as text, the numeric tolerance only for ``number`` parameters and never between
  integers, dependent arguments exactly; see :mod:`~orchestrl.plugins.rewards.prepared`);
* ``exact``: ``P == G`` and every value equal;
* ``executed``: the environment answered the call with ``ok=True`` (its metadata, not text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from orchestrl.api import CallRecord, Task, ToolCall, Trajectory
from orchestrl.plugins.parsing.exact_key import exact_bytes
from orchestrl.plugins.rewards.matching import assign_grouped
from orchestrl.plugins.rewards.normalize import argument_equal
from orchestrl.plugins.rewards.prepared import PreparedStep, PreparedTask, prepare

_ABSENT = object()
LEVELS = ("names_f1", "type_share", "value_share", "exact", "executed")
"""The per-pair attributes that :meth:`Analysis.level` aggregates."""


class Pair(NamedTuple):
    """One predicted call assigned to one gold step, measured at each atomic level."""

    gold: int
    record: int
    names_f1: float
    type_share: float
    value_share: float
    exact: bool
    executed: bool


class Analysis:
    """A trajectory compared with its task: counts, the assignment and the per-pair levels.

    Built by :func:`analyse` only; read-only once built (terms only read it).
    """

    __slots__ = (
        "_measures", "_pairs", "n_attempts", "n_gold", "n_parsed",
        "predicted_values", "prepared", "record_of", "totals", "trajectory",
    )

    trajectory: Trajectory
    prepared: PreparedTask
    n_attempts: int
    """Attempted calls (unparsable ones included)."""
    n_parsed: int
    """Attempts that parsed into a call."""
    n_gold: int
    """Number of gold steps."""
    record_of: dict[int, int]
    """Predicted record position assigned to each gold position."""
    predicted_values: list[dict[str, Any] | None]
    """Canonical argument values of each record (None when it did not parse)."""
    totals: dict[str, float]
    """Sum over pairs of each pair attribute (``names_f1``, ``type_share``, ...), summed in
    gold order."""

    def __init__(
        self,
        trajectory: Trajectory,
        prepared: PreparedTask,
        measured: Measured,
        record_of: dict[int, int],
        totals: dict[str, float],
    ) -> None:
        self.trajectory = trajectory
        self.prepared = prepared
        self.n_attempts = len(measured.values)
        self.n_parsed = self.n_attempts - measured.unparsed
        self.n_gold = len(prepared.steps)
        self.record_of = record_of
        self.predicted_values = measured.values
        self.totals = totals
        self._measures = measured.measures
        self._pairs: list[Pair] | None = None

    @property
    def pairs(self) -> list[Pair]:
        """The assigned pairs in gold order, each measured at every level (built on first
        read: the shipped terms read only the totals)."""
        if self._pairs is None:
            measures, record_of = self._measures, self.record_of
            records = self.trajectory.calls
            self._pairs = [
                Pair(g, p, *measures[p][g], _ran(records[p]))  # type: ignore[index]
                for g, p in sorted(record_of.items())
            ]
        return self._pairs

    def level(self, attribute: str) -> float:
        """F1-style aggregate of a pair attribute: ``2·Σ pair.attribute / (attempts + gold)``.

        Unassigned predicted attempts and unassigned gold steps both count against it; 1.0 when
        there are neither attempts nor gold steps.
        """
        denominator = self.n_attempts + self.n_gold
        if denominator == 0:
            return 1.0
        return min(1.0, 2.0 * self.totals[attribute] / denominator)


class Measured(NamedTuple):
    """What :func:`analyse` reads of each call record, and the trajectory's signature.

    ``key`` is equal for two trajectories of one task exactly when every record has the same
    turn, the same parse outcome, the same call (by content: the per-call memo's measures)
    and the same result (by object: ``ok`` and the ``content`` object); the analysis, and
    every score computed from it alone (:attr:`MatchedTerm.signature_pure`), is then equal.
    ``keep`` holds the objects whose ``id`` the key holds (the results' contents), so that no
    id is reused while a memo holds the key; the key holds the measures objects themselves.
    """

    grouped: dict[str, list[int]]
    """The record positions of each function that a gold step uses, in call order."""
    values: list[dict[str, Any] | None]
    measures: list[dict[int, _Measure] | None]
    unparsed: int
    key: tuple[Any, ...]
    keep: list[Any]


_UNPARSED = None
_OTHER = 0
"""Signature tokens of an attempt that did not parse and of a call to a function no gold
step uses (never assigned); a measured call's token is its measures object (hashed and
compared by identity)."""


def measure(prepared: PreparedTask, records: list[CallRecord]) -> Measured:
    """Each record's canonical values and measures, the records of each gold function, and
    the signature."""
    by_function = prepared.by_function
    seen = prepared.seen
    grouped: dict[str, list[int]] = {}
    predicted_values: list[dict[str, Any] | None] = []
    measures: list[dict[int, _Measure] | None] = []
    key: list[Any] = []
    keep: list[Any] = []
    add_values, add_measures, add_kept = predicted_values.append, measures.append, keep.append
    unparsed = 0
    for position, record in enumerate(records):
        call = record.call
        if call is None:
            unparsed += 1
            add_values(None)
            add_measures(None)
            token: Any = _UNPARSED
        elif call.name in by_function:
            hit = seen.get(id(call))
            if hit is not None and hit[0] is call:
                token = hit[1]
            else:
                token = _measured(prepared, call)
                prepared.see(call, token)
            add_values(token.values)
            add_measures(token.per_gold)
            group = grouped.get(call.name)
            if group is None:
                grouped[call.name] = [position]
            else:
                group.append(position)
        else:
            add_values({})
            add_measures(None)
            token = _OTHER
        result = record.result
        if result is None:
            key += (record.turn, token, None, None)
        else:
            content = result.content
            key += (record.turn, token, result.ok, id(content))
            add_kept(content)
    return Measured(grouped, predicted_values, measures, unparsed, tuple(key), keep)


def analyse(
    trajectory: Trajectory,
    task: Task,
    measured: Measured | None = None,
    prepared: PreparedTask | None = None,
) -> Analysis:
    """Compare ``trajectory`` with the gold steps of ``task`` (pure; never raises).

    ``measured`` may pass :func:`measure` of the trajectory's records and ``prepared`` the
    task's :func:`~orchestrl.plugins.rewards.prepared.prepare`, when already computed.
    """
    if prepared is None:
        prepared = prepare(task)
    records = trajectory.calls
    if measured is None:
        measured = measure(prepared, records)
    measures = measured.measures

    def similarity(p: int, g: int) -> float:
        return measures[p][g][2]  # type: ignore[index]  # value_share

    record_of = assign_grouped(measured.grouped, prepared.by_function, similarity)
    names_f1 = type_share = value_share = 0.0
    exact = executed = 0
    for g in sorted(record_of):
        p = record_of[g]
        f1, typed, valued, same = measures[p][g]  # type: ignore[index]
        result = records[p].result
        ran = result is not None and result.ok  # as _ran, inline in the hot loop
        names_f1 += f1
        type_share += typed
        value_share += valued
        exact += same
        executed += ran
    totals = {
        "names_f1": names_f1,
        "type_share": type_share,
        "value_share": value_share,
        "exact": float(exact),
        "executed": float(executed),
    }
    return Analysis(trajectory, prepared, measured, record_of, totals)


def _ran(record: CallRecord) -> bool:
    """Whether the environment answered ``record``'s call successfully (its metadata)."""
    result = record.result
    return result is not None and result.ok


class _Measure(NamedTuple):
    """The levels of one predicted call against one gold step (all but ``executed``)."""

    names_f1: float
    type_share: float
    value_share: float
    exact: bool


@dataclass(frozen=True, eq=False)
class _Measured:
    """One predicted call's canonical values and its measures against each same-function step.

    Read-only: the same object serves every trajectory that makes the same call on the task.
    Hashed and compared by identity (a signature token, :class:`Measured`).
    """

    values: dict[str, Any]
    per_gold: dict[int, _Measure]


def _measured(prepared: PreparedTask, call: ToolCall) -> _Measured:
    """The measures of ``call`` (a function the task's gold steps use), memoised per task.

    Everything here depends only on the call's name and arguments and on the task, so a call
    repeated across rollouts (GRPO samples many per task, most calls the same) is measured
    once; the memo is looked up by the arguments' exact bytes (one C call:
    :func:`~orchestrl.plugins.parsing.exact_key.exact_bytes`; ``1``, ``1.0`` and ``True``
    differ) and stores only calls that :func:`call_key` accepts (plain JSON arguments).
    """
    exact = exact_bytes(call.arguments)
    key = None if exact is None else (call.name, exact)
    if key is not None:
        hit = prepared.measures.get(key)
        if hit is not None:
            return hit
    name, predicted = call.name, call.arguments
    values = {k: prepared.normalize(name, k, v) for k, v in predicted.items()}
    typed = sum(1 for k, v in predicted.items() if prepared.type_ok(name, k, v))
    typed_share = typed / len(predicted) if predicted else None
    per_gold = {}
    for g in prepared.by_function[name]:
        gold = prepared.steps[g]
        value_share = _value_share(values, gold)
        shared = len(gold.keys.intersection(predicted))
        sizes = len(gold.keys) + len(predicted)
        names_f1 = 1.0 if sizes == 0 else 2.0 * shared / sizes
        # no predicted argument: right only when the gold step has none
        type_share = (0.0 if gold.keys else 1.0) if typed_share is None else typed_share
        exact = value_share == 1.0 and gold.keys == predicted.keys()
        per_gold[g] = _Measure(names_f1, type_share, value_share, exact)
    measured = _Measured(values, per_gold)
    if key is not None and call_key(call) is not None:
        prepared.remember(key, measured)
    return measured


_SCALARS = frozenset({str, int, float, bool, type(None)})


def call_key(call: ToolCall) -> tuple[Any, ...] | None:
    """A hashable key equal for two calls exactly when their names and arguments are equal
    value for value *and type for type* (None when an argument cannot be keyed)."""
    arguments = call.arguments
    types = tuple(map(type, arguments.values()))
    if _SCALARS.issuperset(types) and not (float in types and 0.0 in arguments.values()):
        # plain scalars (no float zero, whose sign equality ignores): items and their types
        return (call.name, tuple(arguments.items()), types)
    parts: list[Any] = [call.name]
    for name, value in call.arguments.items():
        keyed = _value_key(value, 0)
        if keyed is None:
            return None
        parts.append(name)
        parts.append(keyed)
    return tuple(parts)


def _value_key(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is float:
        return (kind, value, math.copysign(1.0, value))  # -0.0 == 0.0, but keep them apart
    if depth >= 4:
        return None
    if kind is list:
        items = [_value_key(item, depth + 1) for item in value]
        return None if None in items else (kind, *items)
    if kind is dict:
        items = []
        for k, v in value.items():
            keyed = _value_key(v, depth + 1)
            if keyed is None or type(k) is not str:
                return None
            items.append((k, keyed))
        return (kind, *items)
    return None


def _value_share(values: dict[str, Any], gold: PreparedStep) -> float:
    union = len(gold.keys.union(values))
    if union == 0:
        return 1.0
    equal = 0
    for key, expected in gold.values.items():
        got = values.get(key, _ABSENT)
        if got is _ABSENT:
            continue
        if (got == expected and type(got) is type(expected)) or (
            key in gold.tolerant and argument_equal(got, expected, tolerant=True)
        ):
            equal += 1
    return equal / union
