from __future__ import annotations

import copy
import json
import random

import pytest

from orchestrl.api import Task
from orchestrl.errors import DataError
from orchestrl.plugins.synthesis.derivability import derivability_problems, free_values
from orchestrl.plugins.synthesis.hygiene import excluded_keys, near_duplicates, overlap_report
from orchestrl.plugins.synthesis.mining import attach_mined
from orchestrl.plugins.synthesis.output import read_tasks, write_tasks
from orchestrl.plugins.synthesis.renderers.template import TemplateRenderer, compose
from orchestrl.plugins.synthesis.template import Template


def _mined(task: Task) -> Task:
    return attach_mined(copy.deepcopy(task), overwrite=True)


def test_composed_queries_state_every_free_value(train_tasks: list[Task]) -> None:
    checked = 0
    for task in train_tasks:
        task = _mined(task)
        if any(s.response is None for s in task.steps):
            continue
        checked += 1
        assert derivability_problems(task, compose(task)) == []
    assert checked > 20


def test_a_query_missing_a_value_or_a_wrong_dependency_fails(train_tasks: list[Task]) -> None:
    task = next(_mined(t) for t in train_tasks
                if all(s.response is not None for s in t.steps) and
                any(s.dependency_args for s in _mined(t).steps) and free_values(_mined(t)))
    query = compose(task)
    _, _, value = free_values(task)[0]
    assert derivability_problems(task, query.replace(str(value), "somewhere", 1))
    dependent = next(s for s in task.steps if s.dependency_args)
    argument = next(iter(dependent.dependency_args))
    dependent.arguments[argument] = "not-the-produced-value"
    assert any("is not the value at" in p for p in derivability_problems(task, query))


def test_template_renderer_rewrites_a_real_example(templates: list[Template],
                                                   train_tasks: list[Task]) -> None:
    template = next(t for t in templates if t.id == "workflow_0")
    task = _mined(next(t for t in train_tasks if t.metadata["workflow_id"] == "workflow_0"))
    query = TemplateRenderer().render(task, template, random.Random(0))
    assert query is not None and derivability_problems(task, query) == []
    assert query in {
        q.replace(str(template.example_arguments[0]["query"]), task.steps[0].arguments["query"])
        for q in template.examples} or query == compose(task)


def test_jsonl_round_trip_and_datasets(tmp_path, eval_tasks: list[Task]) -> None:
    import datasets

    tasks = [_mined(t) for t in eval_tasks[:10]]
    path = tmp_path / "tasks.jsonl"
    assert write_tasks(tasks, path) == 10
    back = read_tasks(path)
    assert back == tasks  # every field, metadata included, exactly as written
    assert [s.response for t in back for s in t.steps] == [
        s.response for t in tasks for s in t.steps]
    loaded = datasets.load_dataset("json", data_files=str(path), split="train")
    assert loaded.num_rows == 10 and "responses" in loaded.column_names
    # the reward's ground truth column (TRL's `task`, verl's reward_model.ground_truth)
    from orchestrl.plugins.rewards.task_codec import task_from_json

    truths = [task_from_json(text) for text in loaded["ground_truth"]]
    assert [t.steps[0].arguments for t in truths] == [t.steps[0].arguments for t in tasks]
    assert all(s.response is None for t in truths for s in t.steps)


def test_a_task_file_reads_back_whatever_order_its_dicts_were_built_in(
        tmp_path, eval_tasks: list[Task]) -> None:
    task = _mined(eval_tasks[0])
    shuffled = copy.deepcopy(task)
    shuffled.tools = [dict(reversed(list(tool.items()))) for tool in shuffled.tools]
    for step in shuffled.steps:
        step.arguments = dict(reversed(list(step.arguments.items())))
    write_tasks([task], tmp_path / "a.jsonl")
    write_tasks([shuffled], tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    back = read_tasks(tmp_path / "b.jsonl")[0]
    assert back == task and list(back.tools[0]) == sorted(task.tools[0])


@pytest.mark.parametrize("change", ["old_format", "responses_short", "ground_truth_text"])
def test_a_bad_task_record_is_a_data_error_naming_file_and_line(
        tmp_path, eval_tasks: list[Task], change: str) -> None:
    path = tmp_path / "tasks.jsonl"
    write_tasks(eval_tasks[:2], path)
    first, second = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    if change == "old_format":
        del second["responses"]
    elif change == "responses_short":
        second["responses"] = second["responses"][:-1]
    else:
        second["ground_truth"] = "not json"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"tasks.jsonl:2: not a synthesized task"):
        read_tasks(path)


def test_overlap_and_exclusion(booking_dir, seed_cache, tools, eval_tasks, train_tasks) -> None:
    report = overlap_report(eval_tasks[:20], eval_tasks, seed_cache.key)
    assert report["tasks_with_shared_keys"] == 20
    assert report["near_duplicate_pairs"] >= 20
    none = overlap_report(train_tasks[:5], [], seed_cache.key)
    assert none["shared_keys"] == 0
    keys = excluded_keys([str(booking_dir / "eval_80.jsonl")], seed_cache, tools)
    assert keys & {e.key for e in seed_cache.entries()}
    assert near_duplicates(["book a hotel in paris for two nights"],
                           ["please book a hotel in paris for two nights"]) != []
    assert near_duplicates(["rent a car in rome"], ["book a hotel in paris"]) == []
