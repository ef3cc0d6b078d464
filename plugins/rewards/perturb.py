"""Controlled corruptions of a trajectory's calls, for property tests and the reward benchmark.

Each function returns a new :class:`~orchestrl.api.Trajectory` (the input is not modified)
whose ``calls`` differ in one stated way; messages are kept as they were, since the reward
terms read the call records. Positions index ``trajectory.calls``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from typing import Any

from orchestrl.api import CallRecord, ToolResult, Trajectory


def _with_calls(trajectory: Trajectory, calls: list[CallRecord]) -> Trajectory:
    return dataclasses.replace(trajectory, calls=calls)


def _with_arguments(record: CallRecord, arguments: dict[str, Any]) -> CallRecord:
    assert record.call is not None
    return dataclasses.replace(record, call=dataclasses.replace(record.call, arguments=arguments))


def different_value(value: Any) -> Any:
    """A value of the same JSON (and schema) type that no normalisation makes equal to it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value * 3 + 7
    if isinstance(value, str):
        try:
            return repr(float(value) * 3 + 7)  # a numeric string stays a numeric string
        except ValueError:
            return value + " zz9"
    if isinstance(value, list):
        return [different_value(value[0]), *value[1:]] if value else ["zz9"]
    if isinstance(value, dict):
        if not value:
            return {"zz9": 1}
        first = next(iter(value))
        return {**value, first: different_value(value[first])}
    return "zz9"


def corrupt_value(trajectory: Trajectory, position: int, argument: str) -> Trajectory:
    """Change one argument's value (same type, different meaning)."""
    calls = list(trajectory.calls)
    record = calls[position]
    assert record.call is not None
    arguments = dict(record.call.arguments)
    arguments[argument] = different_value(arguments[argument])
    calls[position] = _with_arguments(record, arguments)
    return _with_calls(trajectory, calls)


def drop_call(trajectory: Trajectory, position: int) -> Trajectory:
    """Remove one call."""
    calls = [r for i, r in enumerate(trajectory.calls) if i != position]
    return _with_calls(trajectory, calls)


def move_call(trajectory: Trajectory, source: int, target: int) -> Trajectory:
    """Move one call to another position; turns are renumbered to follow the new order."""
    calls = list(trajectory.calls)
    record = calls.pop(source)
    calls.insert(target, record)
    turns = sorted(r.turn for r in calls)
    return _with_calls(
        trajectory, [dataclasses.replace(r, turn=t) for r, t in zip(calls, turns, strict=True)]
    )


def fail_call(trajectory: Trajectory, position: int) -> Trajectory:
    """Make the environment's answer to one call an error (content unchanged)."""
    calls = list(trajectory.calls)
    calls[position] = dataclasses.replace(
        calls[position], result=ToolResult(ok=False, content=None, error_kind="api_error")
    )
    return _with_calls(trajectory, calls)


def add_argument(trajectory: Trajectory, position: int, name: str, value: Any) -> Trajectory:
    """Add an argument the gold call does not have."""
    calls = list(trajectory.calls)
    record = calls[position]
    assert record.call is not None
    calls[position] = _with_arguments(record, {**record.call.arguments, name: value})
    return _with_calls(trajectory, calls)


def unparsable(trajectory: Trajectory, position: int) -> Trajectory:
    """Turn one call into an attempt that did not parse."""
    calls = list(trajectory.calls)
    record = calls[position]
    calls[position] = CallRecord(record.turn, record.raw[:-5], None, "invalid json", None)
    return _with_calls(trajectory, calls)


def duplicate_call(trajectory: Trajectory, position: int) -> Trajectory:
    """Make one call twice in a row (the copy in the same turn)."""
    calls = list(trajectory.calls)
    calls.insert(position + 1, calls[position])
    return _with_calls(trajectory, calls)


def random_variants(trajectory: Trajectory, rng: random.Random, n: int) -> Iterator[Trajectory]:
    """``n`` variants, each with one random corruption from this module (or none)."""
    if not trajectory.calls:
        yield from (trajectory for _ in range(n))
        return
    for _ in range(n):
        position = rng.randrange(len(trajectory.calls))
        record = trajectory.calls[position]
        kind = rng.randrange(8)
        if record.call is None and kind in (0, 4, 5):
            kind = 1  # nothing to corrupt in an attempt that did not parse: drop it
        arguments = record.call.arguments if record.call is not None else {}
        if kind == 0 and arguments:
            yield corrupt_value(trajectory, position, rng.choice(sorted(arguments)))
        elif kind == 1:
            yield drop_call(trajectory, position)
        elif kind == 2:
            yield move_call(trajectory, position, rng.randrange(len(trajectory.calls)))
        elif kind == 3:
            yield fail_call(trajectory, position)
        elif kind == 4:
            yield add_argument(trajectory, position, "extra_flag", True)
        elif kind == 5:
            yield unparsable(trajectory, position)
        elif kind == 6:
            yield duplicate_call(trajectory, position)
        else:
            yield trajectory
