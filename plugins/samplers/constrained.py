"""Sampler ``constrained``: valid multi-step traces searched out of the cache by template.

Each attempt draws a template (uniformly or by frequency, among those passing the complexity
filters) and runs a backtracking search over the cache
(:class:`~orchestrl.plugins.synthesis.search.TemplateSearch`) for an instance not emitted
before: every call is a cached call, every dependent argument equals the value at its
``from_field`` in its producer's real response. A template whose instances are used up (or
that has none) leaves the pool. Found traces are replayed through the environment (strict miss
policy), get a query from the renderer and must pass the derivability check. A template that has
given ``max_per_template`` tasks leaves the pool (a balanced evaluation set). The run stops at
``n`` tasks, after ``max_attempts`` attempts (default ``20 * n + 100``) or when no template
is left. A template whose search runs out of its node ``budget`` ``give_up`` times in a row
(instances may exist, but are too rare to find) also leaves the pool and is reported as
abandoned. Deterministic for a seed: the cache is indexed in key order and every random choice
comes from one generator seeded with ``seed``. While it runs, young garbage collections are
rarer (:mod:`~orchestrl.plugins.synthesis.collector`; restored when it finishes or is closed).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

from orchestrl import hookimpl
from orchestrl.api import Task
from orchestrl.errors import ConfigError
from orchestrl.plugins.synthesis.assemble import TaskShape, build_task, offered_tools, task_shape
from orchestrl.plugins.synthesis.base import SynthesisSampler
from orchestrl.plugins.synthesis.collector import fewer_collections, restore
from orchestrl.plugins.synthesis.mining import format_path, leaves
from orchestrl.plugins.synthesis.search import Assignment, TemplateSearch
from orchestrl.plugins.synthesis.selection import Filters, TemplateDraw
from orchestrl.plugins.synthesis.surface import statable
from orchestrl.registry import Registry


class ConstrainedSampler(SynthesisSampler):
    """Template-guided backtracking search over the cache (see the module docstring)."""

    name = "constrained"

    def __init__(
        self,
        *,
        min_depth: int = 1,
        max_depth: int | None = None,
        max_fan_in: int | None = None,
        min_branches: int = 1,
        max_branches: int | None = None,
        domains: list[str] | None = None,
        mixed_domains: bool | None = None,
        distractor_domain: str = "same",
        budget: int = 5000,
        give_up: int = 3,
        max_per_template: int | None = None,
        opaque_free: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # data_dir, weighting, min_steps, ...: SynthesisSampler's
        if distractor_domain not in ("same", "any"):
            raise ConfigError(f"unknown distractor_domain '{distractor_domain}'; "
                              "available: any, same")
        if budget < 1 or self.distractors < 0:
            raise ConfigError(f"budget must be positive and distractors not negative, got "
                              f"budget={budget} distractors={self.distractors}")
        self.filters = Filters(self.min_steps, self.max_steps, min_depth, max_depth, max_fan_in,
                               min_branches, max_branches, domains, mixed_domains,
                               self.template_ids)
        self.distractor_domain = distractor_domain
        self.budget = budget
        self.give_up = max(1, give_up)
        if max_per_template is not None and max_per_template < 1:
            raise ConfigError(f"max_per_template must be at least 1, got {max_per_template}")
        self.max_per_template = max_per_template
        self.opaque_free = opaque_free
        self._opaque_memo: dict[int, tuple[tuple[str, str], ...]] = {}
        self._admitted: dict[tuple[str, frozenset[str]], list[int]] = {}
        self._search_memo: dict[str, TemplateSearch] | None = None
        self._shapes: dict[str, TaskShape] = {}  # template id -> its task shape
        self._pools: dict[tuple, list[str]] = {}  # distractor pools by gold functions
        self.chosen = self.choose(self.filters)

    def sample(self, n: int, *, seed: int) -> Iterator[Task]:
        rng = random.Random(seed)
        self.summary = type(self.summary)(self.name)
        draw = TemplateDraw(self.chosen, self.weighting)
        searches = self._searches()
        seen: dict[str, set[Assignment]] = {t.id: set() for t in self.chosen}
        emitted: set[str] = set()
        failures: dict[str, int] = {}
        per_template: dict[str, int] = {}
        limit = self.max_attempts if self.max_attempts is not None else 20 * n + 100
        start = time.perf_counter()
        bar = tqdm(total=n, desc="synth constrained", unit="task", disable=not self.progress)
        thresholds = fewer_collections()
        try:
            while self.summary.valid < n and self.summary.attempts < limit and draw:
                template = draw.draw(rng)
                self.summary.attempts += 1
                result = searches[template.id].find(rng, seen[template.id], budget=self.budget)
                self.summary.search_nodes += result.nodes
                if result.assignment is None:
                    if result.exhausted:
                        draw.remove(template)
                        self.summary.exhausted_templates.append(template.id)
                    else:
                        self.summary.dropped["search_budget"] += 1
                        failures[template.id] = failures.get(template.id, 0) + 1
                        if failures[template.id] >= self.give_up:
                            draw.remove(template)
                            self.summary.abandoned_templates.append(template.id)
                    continue
                failures[template.id] = 0
                seen[template.id].add(result.assignment)
                task = self._task(template, result.assignment, rng)
                if task.id in emitted:
                    self.summary.dropped["duplicate"] += 1
                    continue
                finished = self.finish(task, template, rng)
                if finished is not None:
                    emitted.add(finished.id)
                    per_template[template.id] = per_template.get(template.id, 0) + 1
                    if per_template[template.id] == self.max_per_template:
                        draw.remove(template)
                    bar.update(1)
                    self.summary.seconds = time.perf_counter() - start
                    yield finished
        finally:
            restore(thresholds)
            bar.close()
            self.summary.seconds = time.perf_counter() - start

    def _admitter(self, template: Any) -> Any:
        """Refuse calls whose free arguments are opaque (no user could state them)."""

        def admit(step: int, calls: list[int]) -> list[int]:
            dependent = frozenset(template.dependencies.get(step, {}))
            memo = (template.functions[step], dependent)
            found = self._admitted.get(memo)
            if found is None:
                found = [c for c in calls if all(path in dependent or top in dependent
                                                 for path, top in self._opaque(c))]
                self._admitted[memo] = found
            return found

        return admit

    def prepare(self) -> None:
        """Index the cache and narrow every chosen template's domains now (else on first use)."""
        for search in self._searches().values():
            search.feasible()

    def _searches(self) -> dict[str, TemplateSearch]:
        if self._search_memo is None:
            self._search_memo = {
                t.id: TemplateSearch(t, self.index, None if self.opaque_free else
                                     self._admitter(t)) for t in self.chosen}
        return self._search_memo

    def _opaque(self, call: int) -> tuple[tuple[str, str], ...]:
        """``(argument path, top-level name)`` of the call's arguments no user could state."""
        found = self._opaque_memo.get(call)
        if found is None:
            found = tuple((format_path(path), str(path[0]))
                          for path, value in leaves(self.index.calls[call].arguments)
                          if not statable(value))
            self._opaque_memo[call] = found
        return found

    def _task(self, template: Any, assignment: Assignment, rng: random.Random) -> Task:
        calls = [self.index.calls[c] for c in assignment]
        if not self.verify and any(c.response is None for c in calls):  # replay fills them
            calls = [c._replace(response=self.response(n))
                     for c, n in zip(calls, assignment, strict=True)]
        tools = offered_tools(template.functions, self.tools, self.function_domains, rng,
                              distractors=self.distractors,
                              distractor_domain=self.distractor_domain, pools=self._pools)
        shape = self._shapes.get(template.id)
        if shape is None:
            shape = self._shapes[template.id] = task_shape(template, self.function_domains)
        return build_task(template, calls, tools=tools, function_domains=self.function_domains,
                          metadata={"sampler": self.name}, shape=shape)


@hookimpl
def orchestrl_register_sampler(registry: Registry) -> None:
    registry.add("constrained", ConstrainedSampler, bind={"data_dir": "${data_dir}"})
