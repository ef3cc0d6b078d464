"""Text with inline tool responses (the reference's and verl's format) and verl's entry point."""

from __future__ import annotations

import json
import random
import re

import pytest

from orchestrl.api import Task, Trajectory
from orchestrl.errors import DataError
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.plugins.rewards.paper_checks import cut_response
from orchestrl.plugins.rewards.task_codec import task_to_json
from orchestrl.plugins.rewards.text_trajectory import blocks, records_from_text
from orchestrl.plugins.rewards.trl_adapter import to_trajectory
from orchestrl.plugins.rewards.verl_score import compute_score
from orchestrl.plugins.synthesis.output import write_tasks


def render(trajectory: Trajectory, response_chars: int = 8_192) -> str:
    """Qwen/Hermes chat text of a trajectory, as the reference's verl rollout renders it:
    each turn's ``<tool_call>`` blocks, then a user turn of ``<tool_response>`` blocks holding
    each response serialised with ``ensure_ascii=False`` and cut in the middle."""
    parts, turn = [], None
    for record in trajectory.calls:
        if record.turn != turn:
            parts.append([])
            turn = record.turn
        parts[-1].append(record)
    text = []
    for group in parts:
        calls = "".join(
            "<tool_call>\n"
            + json.dumps({"name": r.call.name, "arguments": r.call.arguments}, ensure_ascii=False)
            + "\n</tool_call>"
            for r in group
        )
        text.append(f"<|im_start|>assistant\n{calls}<|im_end|>\n<|im_start|>user\n")
        for r in group:
            shown = json.dumps(r.result.content, ensure_ascii=False)
            text.append(
                f"<tool_response>\n{cut_response(shown, response_chars)}\n</tool_response>\n"
            )
        text.append("<|im_end|>\n")
    return "".join(text) + "<|im_start|>assistant\nDone.<|im_end|>"


def test_text_with_inline_responses_is_scored_with_them(graduated, train_tasks) -> None:
    for task in train_tasks:
        text = render(gold_trajectory(task), response_chars=0)
        trajectory = to_trajectory(text, task_id=task.id)
        assert all(r.result is not None and r.result.ok for r in trajectory.calls), task.id
        assert graduated.score(trajectory, task) == 1.0, task.id


def test_paper_on_rendered_text_equals_paper_on_the_trajectory(paper, train_tasks) -> None:
    totals = []
    for task in train_tasks:
        gold = gold_trajectory(task)
        from_text = to_trajectory(render(gold), task_id=task.id)
        assert paper.score(from_text, task) == pytest.approx(paper.score(gold, task)), task.id
        totals.append(compute_score("booking", render(gold), task_to_json(task), preset="paper"))
    assert sum(totals) / len(totals) == pytest.approx(0.9144, abs=5e-5)
    assert sum(total == 1.0 for total in totals) == 16


def test_a_call_without_response_in_its_turn_is_not_executed(train_tasks) -> None:
    task = next(t for t in train_tasks if len(t.steps) >= 2)
    text = render(gold_trajectory(task), response_chars=0)
    last = text.rindex("<tool_response>")
    cut = text[:last] + text[text.index("</tool_response>", last) + len("</tool_response>") :]
    trajectory = to_trajectory(cut, task_id=task.id)
    assert trajectory.calls[-1].result is None
    assert all(r.result is not None and r.result.ok for r in trajectory.calls[:-1])


def test_unparsable_call_without_response_leaves_the_parsed_one_its_response() -> None:
    text = (
        '<tool_call>{"name": broken</tool_call><tool_call>{"name": "F", "arguments": {}}'
        '</tool_call>\n<tool_response>{"status": true, "data": [1]}</tool_response>'
    )
    records = to_trajectory(text).calls
    assert records[0].call is None and records[0].result is None
    assert records[1].result is not None and records[1].result.content == {
        "status": True,
        "data": [1],
    }


def test_verl_entry_point_reads_the_synth_ground_truth(tmp_path, eval_tasks: list[Task]) -> None:
    task = eval_tasks[0]
    path = tmp_path / "tasks.jsonl"
    write_tasks([task], path)
    ground_truth = json.loads(path.read_text(encoding="utf-8"))["ground_truth"]
    text = render(gold_trajectory(task), response_chars=0)
    assert compute_score("booking", text, ground_truth) == 1.0
    assert compute_score("booking", "I cannot help.", ground_truth) == 0.0
    assert 0.0 < compute_score("booking", text, ground_truth, None, preset="paper") <= 1.0


def test_verl_entry_point_rejects_a_bad_ground_truth() -> None:
    with pytest.raises(DataError, match="task column"):
        compute_score("booking", "", "not json")


_REGEX_BLOCKS = re.compile(
    r"<tool_call>.*?(?:</tool_call>|(?=<tool_call>|<tool_response>)|\Z)"
    r"|<tool_response>(.*?)(?:</tool_response>|\Z)",
    re.DOTALL,
)
"""The block grammar of the module docstring, as one regular expression (the plain reading)."""

_PIECES = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<tool_",
           "</tool", '{"name": "F", "arguments": {}}', '{"status": true}', "x", "\n", "é", "<"]


def test_block_scan_finds_the_blocks_the_grammar_describes() -> None:
    rng = random.Random(0)
    for _ in range(3_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 14)))
        expected = [(m.group(0), m.group(1)) for m in _REGEX_BLOCKS.finditer(text)]
        assert list(blocks(text)) == expected, text


def test_repeated_call_blocks_parse_alike_in_every_turn() -> None:
    call = '<tool_call>{"name": "F", "arguments": {"q": 1}}</tool_call>'
    text = f"{call}<tool_response>{{}}</tool_response>{call}<tool_response>[]</tool_response>"
    first, second = records_from_text(text)
    assert (first.turn, second.turn) == (0, 1)
    assert first.call == second.call and first.call is not None
    assert first.result is not None and not first.result.ok  # {} is a failure
    assert second.result is not None and second.result.ok and second.result.text == "[]"
