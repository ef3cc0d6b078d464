from __future__ import annotations

import copy
import random

from orchestrl.api import JSON, Policy, PolicyOutput, Task
from orchestrl.plugins.synthesis.derivability import derivability_problems
from orchestrl.plugins.synthesis.mining import attach_mined
from orchestrl.plugins.synthesis.renderers.paraphrase import ParaphraseRenderer
from orchestrl.plugins.synthesis.template import Template


class Rewriter(Policy):
    """A policy that rewrites the request line with a fixed transformation."""

    def __init__(self, transform) -> None:
        self.transform = transform
        self.prompts: list[str] = []

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        prompt = str(messages[-1]["content"])
        self.prompts.append(prompt)
        request = prompt.split("\n")[0].removeprefix("Request: ")
        return PolicyOutput(self.transform(request))


def _task(train_tasks: list[Task], templates: list[Template]) -> tuple[Task, Template]:
    task = next(t for t in train_tasks if t.metadata["workflow_id"] == "workflow_5")
    template = next(t for t in templates if t.id == "workflow_5")
    return attach_mined(copy.deepcopy(task), overwrite=True), template


def test_a_paraphrase_that_keeps_the_values_is_used(train_tasks, templates) -> None:
    task, template = _task(train_tasks, templates)
    policy = Rewriter(lambda r: f'"Hi! {r} Thanks a lot."\nextra line')
    renderer = ParaphraseRenderer(policy)
    query = renderer.render(task, template, random.Random(0))
    assert query is not None and query.startswith("Hi! ") and query.endswith("Thanks a lot.")
    assert derivability_problems(task, query) == []
    assert renderer.accepted == 1 and "Values to keep:" in policy.prompts[0]


def test_a_paraphrase_that_loses_a_value_is_rejected(train_tasks, templates) -> None:
    task, template = _task(train_tasks, templates)
    renderer = ParaphraseRenderer(Rewriter(lambda r: "Find me a rental car, please."))
    query = renderer.render(task, template, random.Random(0))
    assert query is not None and query != "Find me a rental car, please."
    assert derivability_problems(task, query) == [] and renderer.rejected == 1
    strict = ParaphraseRenderer(Rewriter(lambda r: "Find me a rental car."), fallback=False)
    assert strict.render(task, template, random.Random(0)) is None
