from __future__ import annotations

from orchestrl.api import Task
from orchestrl.plugins.synthesis.checking import argument_value, reproduces
from orchestrl.plugins.synthesis.mining import (
    attach_mined,
    mine_dependencies,
    mine_edges,
    mine_task,
    mine_templates,
)
from orchestrl.plugins.worlds.booking.data import load_tasks, load_templates


def test_the_miner_recovers_the_reproducing_template_edges(booking_dir, tools) -> None:
    # the loader keeps a template edge only when it reproduces on the real responses
    traces = load_tasks(booking_dir / "train_101.jsonl", tools, load_templates(booking_dir))
    known = found = 0
    for task in traces:
        mined = mine_task(task)
        for step in task.steps:
            for argument, ref in step.dependency_args.items():
                known += 1
                found += mined.get(step.index, {}).get(argument) is not None
                if argument in mined.get(step.index, {}):
                    assert mined[step.index][argument].from_step <= ref.from_step
    assert known > 300
    assert found / known >= 0.95


def test_every_mined_edge_reproduces_on_the_evaluation_traces(eval_tasks: list[Task]) -> None:
    edges = 0
    for task in eval_tasks:
        for step, deps in mine_task(task).items():
            for argument, ref in deps.items():
                edges += 1
                value = argument_value(task.steps[step].arguments, argument)
                assert reproduces(task.steps[ref.from_step].response, ref.from_field, value)
                assert ref.from_step < step
    assert edges > 50


def test_weak_coincidences_are_rejected_and_strong_ids_accepted() -> None:
    producer = {"status": True, "data": {"hotels": [{"hotel_id": 1840232,
                                                     "property": {"checkinDate": "2024-12-01",
                                                                  "reviewCount": 2}}]}}
    steps = [
        ("Search_Hotels", {"dest_id": "x"}, producer),
        ("Get_Room_List_With_Availability",
         {"hotel_id": 1840232, "arrival_date": "2024-12-01", "adults": 2}, None),
    ]
    stated = mine_dependencies(steps, "Hotels in x from December 1st for 2 adults")
    assert set(stated[1]) == {"hotel_id"}
    assert stated[1]["hotel_id"].from_field == "hotels[0].hotel_id"
    # not stated, and 'arrival_date' shares 'date' with 'checkinDate': a dependency
    unstated = mine_dependencies(steps, "Rooms at that hotel on its check-in day")
    assert set(unstated[1]) == {"hotel_id", "arrival_date"}
    # 'adults' shares no word with 'reviewCount': a coincidence even when unstated
    assert "adults" not in unstated[1]
    evidence = {e.argument: e.evidence for e in mine_edges(steps, "rooms")}
    assert evidence == {"hotel_id": "strong", "arrival_date": "weak"}


def test_nested_arguments_are_mined_as_paths(train_tasks: list[Task]) -> None:
    paths = [(task, step, argument, ref) for task in train_tasks
             if any("legs" in s.arguments for s in task.steps)
             for step, deps in mine_task(task).items()
             for argument, ref in deps.items() if argument.startswith("legs[")]
    assert paths
    for task, step, argument, ref in paths:
        value = argument_value(task.steps[step].arguments, argument)
        assert reproduces(task.steps[ref.from_step].response, ref.from_field, value)


def test_mined_templates_group_traces(eval_tasks: list[Task]) -> None:
    tasks = [attach_mined(Task(t.id, t.query, t.tools, list(t.steps), t.domain, t.metadata))
             for t in eval_tasks]
    mined = mine_templates(tasks)
    assert sum(t.frequency for t in mined) == len(eval_tasks)
    assert mined[0].frequency >= mined[-1].frequency
    assert all(len(t.examples) == t.frequency for t in mined)
