"""BFCL's multi-turn checker, driven by the safe executor.

BFCL's ``multi_turn_checker`` re-executes the model's calls (and the ground truth) with
``eval`` on call strings. :func:`check_entry` follows it step for step but executes through
:class:`~orchestrl.plugins.worlds.bfcl.executor.BfclBackends`, and reuses BFCL's own comparison
functions, ``state_checker`` and ``response_checker``, imported from the package:

1. the model must have produced as many turns as the ground truth, else
   ``multi_turn:force_terminated`` (BFCL's eval runner);
2. per turn: run the model's calls of the turn on the model's backends, the turn's ground
   truth on separate ground-truth backends; when the ground truth of the turn is non-empty,
   the model's turn must not be empty (``multi_turn:empty_turn_model_response``), every
   backend's public state must equal the ground truth's (``multi_turn:instance_state_mismatch``),
   and every ground-truth response of the turn must appear among the model's responses of all
   turns so far, as an unordered multiset (``multi_turn:execution_response_mismatch``).

``valid`` and the reason are BFCL's: the first failing turn decides. Unlike BFCL, the check
goes on past that turn to give a per-turn partial score: ``partial`` = (turns passing every
check) / (turns whose ground truth is non-empty), 1.0 when there is no such turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrl.api import ToolCall
from orchestrl.plugins.worlds.bfcl.calls import parse_call_string
from orchestrl.plugins.worlds.bfcl.entries import BfclEntry
from orchestrl.plugins.worlds.bfcl.executor import BfclBackends
from orchestrl.plugins.worlds.bfcl.package import CHECKER_MODULE, import_bfcl

ModelTurns = Sequence[Sequence[Sequence[ToolCall]]]
"""The model's calls: per turn, per step (assistant message), the calls of that step."""


@dataclass
class CheckResult:
    """BFCL's verdict on one entry plus the per-turn outcome.

    ``turn_passed[t]`` is None for a turn whose ground truth is empty (not scored by BFCL).
    ``model_responses``/``ground_truth_responses`` are the execution results per turn.
    """

    valid: bool
    error_type: str = ""
    error_message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    turn_passed: list[bool | None] = field(default_factory=list)
    model_responses: list[list[str]] = field(default_factory=list)
    ground_truth_responses: list[list[str]] = field(default_factory=list)

    @property
    def partial(self) -> float:
        """Share of scored turns that pass BFCL's checks (1.0 with no scored turn)."""
        scored = [passed for passed in self.turn_passed if passed is not None]
        return sum(scored) / len(scored) if scored else 1.0


def ground_truth_calls(
    entry: BfclEntry, backends: BfclBackends | None = None
) -> list[list[ToolCall]]:
    """The entry's ground truth as ToolCalls per turn (positional arguments named)."""
    if backends is None:
        backends = new_backends(entry)
    return [
        [parse_call_string(text, backends.parameter_names) for text in turn]
        for turn in entry.ground_truth
    ]


def new_backends(entry: BfclEntry) -> BfclBackends:
    """Fresh backends loaded with the entry's initial configuration."""
    return BfclBackends(
        entry.initial_config, entry.involved_classes, long_context=entry.long_context
    )


def check_entry(entry: BfclEntry, model_turns: ModelTurns) -> CheckResult:
    """Check the model's calls of one entry with BFCL's multi-turn rules (see module doc)."""
    checker = import_bfcl(CHECKER_MODULE)
    if len(model_turns) != len(entry.ground_truth):
        return CheckResult(
            valid=False,
            error_type="multi_turn:force_terminated",
            error_message=(
                "Model was force-terminated during inference phase. The length of the model "
                f"result turns ({len(model_turns)}) does not match the length of the ground "
                f"truth turns ({len(entry.ground_truth)})."
            ),
            turn_passed=[False if turn else None for turn in entry.ground_truth],
        )
    model = new_backends(entry)
    truth = new_backends(entry)
    truth_calls = ground_truth_calls(entry, truth)
    result = CheckResult(valid=True)
    all_model: list[str] = []
    for index, (steps, gt_turn) in enumerate(zip(model_turns, truth_calls, strict=True)):
        steps = [list(step) for step in steps if step]
        turn_model = [model.execute(call) for step in steps for call in step]
        turn_truth = [truth.execute(call) for call in gt_turn]
        all_model.extend(turn_model)
        result.model_responses.append(turn_model)
        result.ground_truth_responses.append(turn_truth)
        if not gt_turn:
            result.turn_passed.append(None)
            continue
        if not steps:
            verdict = {
                "valid": False,
                "error_message": f"Model response list is empty for turn {index}",
                "error_type": "multi_turn:empty_turn_model_response",
            }
        else:
            verdict = checker.state_checker(model.instances, truth.instances)
            if verdict["valid"]:
                verdict = checker.response_checker(all_model, turn_truth, index)
        result.turn_passed.append(bool(verdict["valid"]))
        if not verdict["valid"] and result.valid:
            result.valid = False
            result.error_type = verdict["error_type"]
            result.error_message = verdict["error_message"]
            result.details = verdict.get("details", {})
    return result
