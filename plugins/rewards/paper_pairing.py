"""How the reference pairs calls with responses and finds each call's execution verdict.

Erratum 3 of the paper-reference notes, on call records in text order:

1. The text of a trajectory is read as the rollout rendered it: each assistant turn (a run of
   records with the same ``turn``) shows its call blocks, then one response block per record
   that received a response (``result`` not None), in record order.
2. Every call block, parsed or not, is paired in text order with the first not-yet-used
   response block after it (equivalently: each response goes to the earliest call still
   waiting). So when an unparsable call received no response, each later call is paired with
   its successor's response and the last call with none; when the environment answered the
   unparsable call (an error message), pairing stays aligned.
3. Pairs whose call did not parse, or whose shown response does not parse
   (:func:`~orchestrl.plugins.rewards.paper_checks.reference_result_ok` is None), are dropped.
4. A parsed call's verdict is that of the first unused remaining pair whose call has the same
   name and the same arguments (compared as JSON with sorted keys); none left: 0.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence

from orchestrl.api import CallRecord
from orchestrl.plugins.rewards.paper_checks import reference_result_ok


def reference_exec(records: Sequence[CallRecord], max_chars: int) -> list[bool]:
    """The reference's exec verdict of each *parsed* record, in order (see the module docstring)."""
    partner = _pairing(records)
    verdicts: list[bool | None] = []
    names: list[str] = []
    for position, record in enumerate(records):
        if record.call is None:
            continue
        if partner[position] != position:  # paired with another's response: look up by key
            return _lookup(records, partner, max_chars)
        verdicts.append(_verdict(record, max_chars))
        names.append(record.call.name)
    if _lookup_finds_own(verdicts, names):
        return [v is True for v in verdicts]
    return _lookup(records, partner, max_chars)


def _lookup_finds_own(verdicts: list[bool | None], names: list[str]) -> bool:
    """Whether, with every parsed call paired with its own response, the lookup by key gives
    each call its own verdict (False for a dropped pair): true when no call whose pair was
    dropped shares its name, hence its key, with another call (calls of one key take their
    kept pairs in order, so each takes its own; a lone call without a kept pair finds none)."""
    dropped = {name for name, verdict in zip(names, verdicts, strict=True) if verdict is None}
    return not dropped or all(names.count(name) == 1 for name in dropped)


def _verdict(record: CallRecord, max_chars: int) -> bool | None:
    assert record.result is not None
    return reference_result_ok(record.result, max_chars)


def _pairing(records: Sequence[CallRecord]) -> list[int | None]:
    """For each call position, the position of the record whose response it is paired with."""
    partner: list[int | None] = [None] * len(records)
    if all(record.result is not None for record in records):
        return list(range(len(records)))
    waiting: deque[int] = deque()
    start = 0
    while start < len(records):
        end = start
        while end < len(records) and records[end].turn == records[start].turn:
            end += 1
        waiting.extend(range(start, end))
        for position in range(start, end):
            if records[position].result is not None and waiting:
                partner[waiting.popleft()] = position
        start = end
    return partner


def _lookup(records: Sequence[CallRecord], partner: list[int | None], max_chars: int) -> list[bool]:
    pairs: dict[tuple[str, str], deque[bool]] = {}
    for position, record in enumerate(records):
        response = partner[position]
        if record.call is None or response is None:
            continue
        verdict = _verdict(records[response], max_chars)
        if verdict is not None:
            pairs.setdefault(_key(record), deque()).append(verdict)
    verdicts = []
    for record in records:
        if record.call is None:
            continue
        queue = pairs.get(_key(record))
        verdicts.append(bool(queue.popleft()) if queue else False)
    return verdicts


def _key(record: CallRecord) -> tuple[str, str]:
    assert record.call is not None
    return record.call.name, json.dumps(record.call.arguments, sort_keys=True, default=repr)
