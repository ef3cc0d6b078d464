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

from dataclasses import dataclass
from typing import Any

from orchestrl.api import CallRecord, Task, Trajectory
from orchestrl.plugins.rewards.matching import assign
from orchestrl.plugins.rewards.normalize import argument_equal
from orchestrl.plugins.rewards.prepared import PreparedStep, PreparedTask, prepare

_ABSENT = object()
LEVELS = ("names_f1", "type_share", "value_share", "exact", "executed")
"""The per-pair attributes that :meth:`Analysis.level` aggregates."""


@dataclass(frozen=True)
class Pair:
    """One predicted call assigned to one gold step, measured at each atomic level."""

    gold: int
    record: int
    names_f1: float
    type_share: float
    value_share: float
    exact: bool
    executed: bool


@dataclass
class Analysis:
    """A trajectory compared with its task: counts, the assignment and the per-pair levels."""

    trajectory: Trajectory
    prepared: PreparedTask
    n_attempts: int
    n_parsed: int
    pairs: list[Pair]
    record_of: dict[int, int]
    """Predicted record position assigned to each gold position."""
    predicted_values: list[dict[str, Any] | None]
    """Canonical argument values of each record (None when it did not parse)."""
    totals: dict[str, float]
    """Sum over pairs of each pair attribute (``names_f1``, ``type_share``, ...)."""

    @property
    def n_gold(self) -> int:
        """Number of gold steps."""
        return len(self.prepared.steps)

    def level(self, attribute: str) -> float:
        """F1-style aggregate of a pair attribute: ``2·Σ pair.attribute / (attempts + gold)``.

        Unassigned predicted attempts and unassigned gold steps both count against it; 1.0 when
        there are neither attempts nor gold steps.
        """
        denominator = self.n_attempts + self.n_gold
        if denominator == 0:
            return 1.0
        return min(1.0, 2.0 * self.totals[attribute] / denominator)


def analyse(trajectory: Trajectory, task: Task) -> Analysis:
    """Compare ``trajectory`` with the gold steps of ``task`` (pure; never raises)."""
    prepared = prepare(task)
    records = trajectory.calls
    predicted_values = [_predicted_values(prepared, record) for record in records]
    names = [record.call.name if record.call is not None else None for record in records]
    cache: dict[tuple[int, int], float] = {}

    def similarity(p: int, g: int) -> float:
        value = cache.get((p, g))
        if value is None:
            value = cache[(p, g)] = _value_share(predicted_values[p], prepared.steps[g])
        return value

    gold_names = [step.step.function for step in prepared.steps]
    record_of = assign(names, gold_names, similarity)
    pairs = [
        _pair(prepared, records[p], predicted_values[p], prepared.steps[g], p, similarity(p, g))
        for g, p in sorted(record_of.items())
    ]
    totals = dict.fromkeys(LEVELS, 0.0)
    for pair in pairs:
        totals["names_f1"] += pair.names_f1
        totals["type_share"] += pair.type_share
        totals["value_share"] += pair.value_share
        totals["exact"] += pair.exact
        totals["executed"] += pair.executed
    return Analysis(
        trajectory=trajectory,
        prepared=prepared,
        n_attempts=len(records),
        n_parsed=len(records) - names.count(None),
        pairs=pairs,
        record_of=record_of,
        predicted_values=predicted_values,
        totals=totals,
    )


def _predicted_values(prepared: PreparedTask, record: CallRecord) -> dict[str, Any] | None:
    call = record.call
    if call is None:
        return None
    if call.name not in prepared.by_function:
        return {}
    return {k: prepared.normalize(call.name, k, v) for k, v in call.arguments.items()}


def _value_share(values: dict[str, Any] | None, gold: PreparedStep) -> float:
    if values is None:
        return 0.0
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


def _pair(
    prepared: PreparedTask,
    record: CallRecord,
    values: dict[str, Any] | None,
    gold: PreparedStep,
    position: int,
    value_share: float,
) -> Pair:
    call = record.call
    assert call is not None
    assert values is not None
    predicted = call.arguments
    shared = len(gold.keys.intersection(predicted))
    sizes = len(gold.keys) + len(predicted)
    names_f1 = 1.0 if sizes == 0 else 2.0 * shared / sizes
    if predicted:
        typed = sum(1 for k, v in predicted.items() if prepared.type_ok(call.name, k, v))
        type_share = typed / len(predicted)
    else:
        type_share = 0.0 if gold.keys else 1.0
    exact = value_share == 1.0 and gold.keys == predicted.keys()
    executed = record.result is not None and record.result.ok
    return Pair(gold.position, position, names_f1, type_share, value_share, exact, executed)
