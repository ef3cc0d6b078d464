"""Loading ComplexFuncBench items: trace format with derived turns, native format, round trip."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from orchestrl.errors import DataError
from orchestrl.plugins.benchmarks.cfb.loaders import (
    detect_format,
    load_items,
    load_native,
    payload,
    turns_of,
    write_native,
)
from orchestrl.plugins.benchmarks.cfb.turns import _leaves, _token


@pytest.fixture(scope="module")
def eval_items(booking_dir: Path):
    return load_items(booking_dir / "eval_80.jsonl", booking_dir)


def test_trace_items_keep_every_gold_step_in_order(booking_dir: Path, eval_items) -> None:
    raw = [json.loads(line) for line in _lines(booking_dir / "eval_80.jsonl")]
    assert [t.id for t in eval_items] == [r["workflow_id"] for r in raw]
    for task, record in zip(eval_items, raw, strict=True):
        truth = [s["ground_truth"] for s in record["steps"]]
        assert [(s.function, s.arguments) for s in task.steps] == [
            (t["function"], t["arguments"]) for t in truth]
        assert task.domain == record["workflow_id"].rsplit("-", 1)[0]
        assert task.metadata["format"] == "trace"


def test_derived_turns_respect_dependencies_and_order(eval_items) -> None:
    for task in eval_items:
        turns = [s.turn for s in task.steps]
        assert turns[0] == 0
        assert all(b - a in (0, 1) for a, b in itertools.pairwise(turns)), task.id
        for step in task.steps:
            for dep in step.depends_on:
                assert task.steps[dep].turn < step.turn, (task.id, step.index, dep)
        for turn in turns_of(task):  # calls of one turn never depend on each other
            ids = {s.index for s in turn}
            assert not any(set(s.depends_on) & ids for s in turn), task.id
        # a new turn opens only because of a dependency on the turn before
        for turn, previous in zip(turns_of(task)[1:], turns_of(task), strict=False):
            assert set(turn[0].depends_on) & {s.index for s in previous}, task.id


def test_values_copied_from_a_known_response_come_in_a_later_turn(eval_items) -> None:
    checked = 0
    for task in eval_items:
        for step in task.steps:
            for value in step.arguments.values():
                if not isinstance(value, str) or len(value) < 12 or value in task.query:
                    continue
                for earlier in task.steps[: step.index]:
                    if earlier.response is not None and _token(value) in _leaves(earlier.response):
                        assert earlier.turn < step.turn, (task.id, step.index)
                        checked += 1
    assert checked > 20


def test_native_file_loads_turns_calls_and_observations(tmp_path: Path, booking_dir: Path) -> None:
    record = json.loads(_lines(booking_dir / "eval_80.jsonl")[0])
    tools = {json.loads(line)["name"]: json.loads(line)
             for line in _lines(booking_dir / "tools.jsonl")}
    conversations = [{"role": "user", "content": record["query"]}]
    for step in record["steps"]:  # one call per turn, responses as JSON text like the original
        truth = step["ground_truth"]
        call = {"name": truth["function"], "arguments": truth["arguments"]}
        conversations.append({"role": "assistant", "function_call": [call]})
        response = step["execution_result"]["execution_result"]
        conversations.append({"role": "observation", "content": json.dumps([response])})
    conversations.append({"role": "assistant", "content": "Here is what I found."})
    entry = {"id": record["workflow_id"], "conversations": conversations,
             "functions": [tools[s["ground_truth"]["function"]] for s in record["steps"]]}
    path = tmp_path / "native.jsonl"
    path.write_text(json.dumps(entry) + "\n")
    assert detect_format(path) == "native"
    (task,) = load_items(path)
    assert task.id == record["workflow_id"] and task.query == record["query"]
    assert [s.turn for s in task.steps] == list(range(len(record["steps"])))
    assert [s.function for s in task.steps] == record["workflow_pattern"]
    for step, raw in zip(task.steps, record["steps"], strict=True):
        known = raw["execution_result"]["execution_result"]
        assert step.response == (None if known == "" else known)
    assert task.metadata["final_answer"] == "Here is what I found."


def test_trace_to_native_round_trip_keeps_the_turn_structure(tmp_path: Path, eval_items) -> None:
    path = tmp_path / "eval_native.jsonl"
    write_native(eval_items, path)
    native = load_native(path)
    assert [t.id for t in native] == [t.id for t in eval_items]
    for a, b in zip(eval_items, native, strict=True):
        assert [[(s.function, s.arguments) for s in turn] for turn in turns_of(a)] == [
            [(s.function, s.arguments) for s in turn] for turn in turns_of(b)]
        assert [None if s.response is None else payload(s.response) for s in a.steps] == [
            s.response for s in b.steps]
        assert a.tools == b.tools and a.domain == b.domain


def test_malformed_native_entry_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = {"id": "Hotels-1", "conversations": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "function_call": [{"name": "Search_Hotel_Destination",
                                                 "arguments": {"query": "Rome"}}]},
        {"role": "observation", "content": [{"dest_id": "1"}]}]}
    bad = {"id": "Hotels-2", "conversations": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "function_call": [{"name": "A", "arguments": {}},
                                                {"name": "B", "arguments": {}}]},
        {"role": "observation", "content": [{}]}]}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:2: .*1 responses for 2 calls"):
        load_native(path)


def test_unknown_record_shape_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text('{"question": 1}\n')
    with pytest.raises(DataError, match=r"other\.jsonl:1"):
        load_items(path)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
