from __future__ import annotations

import dataclasses

from orchestrl.api import DependencyRef, Task
from orchestrl.paths import resolve
from orchestrl.plugins.synthesis.checking import BROKEN, OK, check_templates, instances
from orchestrl.plugins.synthesis.template import Template, function_domains


def test_the_shipped_templates_load_with_structure(templates: list[Template], tools: dict) -> None:
    assert len(templates) == 107
    domains = function_domains(tools.values())
    assert domains["Search_Hotels"] == "hotels" and domains["Search_Taxi"] == "taxi"
    for template in templates:
        assert template.n_steps == len(template.functions) >= 2
        for step, _, ref in template.edges():
            assert 0 <= ref.from_step < step
            assert template.levels[step] > template.levels[ref.from_step]
        assert 1 <= template.depth <= template.n_steps
        assert template.branches >= 1
    assert any(len(t.domains(domains)) > 1 for t in templates)


def test_every_edge_instance_of_the_training_traces_is_checked(
    templates: list[Template], train_tasks: list[Task]
) -> None:
    by_id = {t.id: t for t in templates}
    expected = sum(
        len(by_id[task.metadata["workflow_id"]].edges()) for task in train_tasks
    )
    report = check_templates(templates, train_tasks)
    assert report.instances_checked == expected
    broken = report.instances_broken / report.instances_checked
    assert 0.05 < broken < 0.25  # "about one in eight" per the issue
    assert report.not_reproducing()
    assert sum(report.by_status().values()) == len(report.edges) == 544


def test_ok_and_broken_verdicts_agree_with_the_responses(
    templates: list[Template], train_tasks: list[Task]
) -> None:
    report = check_templates(templates, train_tasks)
    by_id = {t.id: t for t in templates}
    for edge in report.edges:
        if edge.status not in (OK, BROKEN):
            continue
        for trace in instances(by_id[edge.template], train_tasks):
            found = resolve(trace.steps[edge.from_step].response, edge.from_field)
            value = trace.steps[edge.step].arguments.get(edge.argument)
            assert (str(found) == str(value)) == (edge.status == OK)


def test_a_wrong_path_breaks_an_edge(templates: list[Template], train_tasks: list[Task]) -> None:
    template = next(t for t in templates if t.id == "workflow_0")
    step, argument, ref = template.edges()[0]
    wrong = dataclasses.replace(template, dependencies={
        step: {argument: DependencyRef(ref.from_step, ref.from_field + "x")}})
    assert check_templates([template], train_tasks).edges[0].status == OK
    assert check_templates([wrong], train_tasks).edges[0].status == BROKEN
