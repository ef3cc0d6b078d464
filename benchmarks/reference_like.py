"""A plain re-implementation of the reference's ``compute_score``: the same-run speed baseline.

The paper's public reward reads one rollout text (``solution_str``) and scores it against the
gold calls, as ``../shared/notes/paper-reference.md`` states: every ``<tool_call>`` block is
JSON-parsed, each paired with the first unused ``<tool_response>`` block after it, pairs whose
call or response does not parse are dropped; R_atomic is the mean of (ast + exec) / 2 over
parsed calls, R_orch the share of gold steps found by name after their dependencies; score
0.5 · R_atomic + 0.5 · R_orch. It reads every block afresh on every call, as the reference
does (no memo). Written from those facts (BFCL's value checker is
:func:`~orchestrl.plugins.rewards.paper_checks.reference_values_ok`), so it agrees with the
``paper`` preset on rendered texts; the benchmark checks that before timing it.

:func:`render` writes a trajectory the way the reference's verl rollout shows it: each turn's
call blocks, then its response blocks, each response serialised with ``ensure_ascii=False``
and cut in the middle when longer than ``response_chars``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Any

from orchestrl.api import Task, Trajectory
from orchestrl.plugins.rewards.paper_checks import (
    cut_response,
    reference_types_compatible,
    reference_values_ok,
)

_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>|<tool_response>(.*?)</tool_response>", re.S)


def render(trajectory: Trajectory, response_chars: int = 8_192) -> str:
    """The rollout text of ``trajectory`` as the reference's verl rollout renders it."""
    parts: list[str] = []
    turns: dict[int, list] = {}
    for record in trajectory.calls:
        turns.setdefault(record.turn, []).append(record)
    for records in turns.values():
        parts.append("<|im_start|>assistant\n")
        for record in records:
            if record.call is None:  # the attempt's text inside one pair of tags
                raw = record.raw.replace("<tool_call>", "").replace("</tool_call>", "")
                parts.append(f"<tool_call>\n{raw.strip()}\n</tool_call>")
            else:
                call = {"name": record.call.name, "arguments": record.call.arguments}
                parts.append(f"<tool_call>\n{json.dumps(call, ensure_ascii=False)}\n</tool_call>")
        parts.append("<|im_end|>\n<|im_start|>user\n")
        for record in records:
            if record.result is not None:
                content = record.result.content
                text = content if isinstance(content, str) else json.dumps(
                    content, ensure_ascii=False)
                parts.append(f"<tool_response>\n{cut_response(text, response_chars)}\n"
                             "</tool_response>\n")
        parts.append("<|im_end|>\n")
    return "".join(parts) + "<|im_start|>assistant\nDone.<|im_end|>"


def compute_score(solution_str: str, gold: list[dict[str, Any]]) -> float:
    """The reference's score of one rollout text; ``gold``: the steps as dicts with
    ``function``, ``arguments``, ``index`` and ``depends_on``."""
    calls: list[dict | None] = []
    responses: list[tuple[int, str]] = []  # (number of call blocks before it, text)
    for match in _BLOCK.finditer(solution_str):
        if match.group(2) is None:
            try:
                call = json.loads(match.group(1))
                calls.append(call if isinstance(call, dict) and "name" in call else None)
            except ValueError:
                calls.append(None)
        else:
            responses.append((len(calls), match.group(2)))
    pairs: dict[tuple[str, str], deque[bool]] = {}
    used = 0
    for position, call in enumerate(calls):
        while used < len(responses) and responses[used][0] <= position:
            used += 1  # a response before this call block cannot be its response
        if used == len(responses):
            break
        text = responses[used][1]
        used += 1
        if call is None:
            continue
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        ok = not isinstance(parsed, dict) or (
            bool(parsed) and "error" not in parsed and parsed.get("status") != False)  # noqa: E712
        key = (call["name"], json.dumps(call.get("arguments", {}), sort_keys=True))
        pairs.setdefault(key, deque()).append(ok)
    parsed_calls = [c for c in calls if c is not None]
    atomic = 0.0
    for call in parsed_calls:
        step = next((s for s in gold if s["function"] == call["name"]), None)
        if step is None:
            continue
        args = call.get("arguments", {})
        queue = pairs.get((call["name"], json.dumps(args, sort_keys=True)))
        executed = bool(queue.popleft()) if queue else False
        atomic += (_ast(args, step["arguments"]) + executed) / 2
    atomic = atomic / len(parsed_calls) if parsed_calls else 0.0
    names = [c["name"] for c in parsed_calls]
    found: dict[int, int] = {}
    for step in gold:
        parents = [found.get(d) for d in step["depends_on"]]
        if None in parents:
            continue
        after = max(parents, default=-1)
        for position in range(after + 1, len(names)):
            if names[position] == step["function"]:
                found[step["index"]] = position
                break
    orch = len(found) / len(gold) if gold else 0.0
    return 0.5 * atomic + 0.5 * orch


def gold_steps(task: Task) -> list[dict[str, Any]]:
    """The gold side :func:`compute_score` reads, from a task."""
    return [{"function": s.function, "arguments": s.arguments, "index": s.index,
             "depends_on": list(s.depends_on)} for s in task.steps]


def _ast(predicted: dict[str, Any], expected: dict[str, Any]) -> float:
    if expected:
        shared = [k for k in expected if k in predicted]
        type_acc = (sum(reference_types_compatible(predicted[k], expected[k]) for k in shared)
                    / len(shared)) if shared else 0.0
        structure = 0.33 * len(shared) / len(expected) * type_acc
    else:
        structure = 0.33 if not predicted else 0.0
    return 0.33 + structure + 0.34 * reference_values_ok(predicted, expected)
