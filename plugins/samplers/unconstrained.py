"""Sampler ``unconstrained``: the baseline that draws arguments blindly and keeps what hits.

Each attempt draws a template like the constrained sampler, then for each step takes the
argument names of a random cached call of the step's function and draws every argument's
value independently from the values cached for that argument of that function (their
empirical distribution; the schema's enum when none is cached). The calls are executed through
the environment; the trace is kept only if every call is a cache hit with a successful
response. Dependencies are then mined from the real responses
(:func:`~orchestrl.plugins.synthesis.mining.mine_dependencies`) and the trace goes through the
same replay, rendering and derivability check as constrained traces. It exists to measure the
efficiency of constrained synthesis (valid traces per attempt and per second) on the same data.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

from orchestrl import hookimpl
from orchestrl.api import Task
from orchestrl.errors import CacheMissError
from orchestrl.plugins.synthesis.assemble import build_task, offered_tools
from orchestrl.plugins.synthesis.base import SynthesisSampler
from orchestrl.plugins.synthesis.collector import fewer_collections, restore
from orchestrl.plugins.synthesis.index import Call
from orchestrl.plugins.synthesis.mining import mine_dependencies
from orchestrl.plugins.synthesis.selection import Filters, TemplateDraw
from orchestrl.registry import Registry


class UnconstrainedSampler(SynthesisSampler):
    """Independent argument draws, executed and filtered (see the module docstring)."""

    name = "unconstrained"

    def __init__(self, **kwargs: Any) -> None:
        """Options: :class:`~orchestrl.plugins.synthesis.base.SynthesisSampler`'s (``weighting``,
        ``min_steps``, ``max_steps``, ``template_ids``, ``distractors``, ``max_attempts``...)."""
        super().__init__(**kwargs)
        self.chosen = self.choose(Filters(min_steps=self.min_steps, max_steps=self.max_steps,
                                          template_ids=self.template_ids))
        self._values: dict[str, dict[str, list[Any]]] | None = None

    def sample(self, n: int, *, seed: int) -> Iterator[Task]:
        rng = random.Random(seed)
        self.summary = type(self.summary)(self.name)
        draw = TemplateDraw(self.chosen, self.weighting)
        limit = self.max_attempts if self.max_attempts is not None else 1000 * n
        emitted: set[str] = set()
        start = time.perf_counter()
        bar = tqdm(total=n, desc="synth unconstrained", unit="task", disable=not self.progress)
        thresholds = fewer_collections()
        try:
            while self.summary.valid < n and self.summary.attempts < limit:
                template = draw.draw(rng)
                self.summary.attempts += 1
                calls = self._attempt(template.functions, rng)
                if calls is None:
                    self.summary.dropped["miss"] += 1
                    continue
                mined = mine_dependencies([(c.function, c.arguments, c.response) for c in calls])
                shaped = dataclasses.replace(template, dependencies=mined)
                tools = offered_tools(template.functions, self.tools, self.function_domains, rng,
                                      distractors=self.distractors)
                task = build_task(shaped, calls, tools=tools,
                                  function_domains=self.function_domains,
                                  metadata={"sampler": self.name})
                if task.id in emitted:
                    self.summary.dropped["duplicate"] += 1
                    continue
                finished = self.finish(task, shaped, rng)
                if finished is not None:
                    emitted.add(finished.id)
                    bar.update(1)
                    self.summary.seconds = time.perf_counter() - start
                    yield finished
        finally:
            restore(thresholds)
            bar.close()
            self.summary.seconds = time.perf_counter() - start

    @property
    def values(self) -> dict[str, dict[str, list[Any]]]:
        """Cached values per function and argument (one per call, so draws follow frequency)."""
        if self._values is None:
            values: dict[str, dict[str, list[Any]]] = {}
            for call in self.index.calls:
                per = values.setdefault(call.function, {})
                for name, value in call.arguments.items():
                    per.setdefault(name, []).append(value)
            self._values = values
        return self._values

    def _attempt(self, functions: tuple[str, ...], rng: random.Random) -> list[Call] | None:
        calls = []
        index = self.index
        for function in functions:
            pool = index.by_function.get(function)
            if not pool:
                return None
            names = sorted(index.calls[rng.choice(pool)].arguments)
            arguments = {name: rng.choice(self.values[function][name]) for name in names}
            try:
                result = self.env.call(function, arguments)
            except CacheMissError:
                return None
            if not (result.ok and result.cache_hit) or result.key is None:
                return None
            calls.append(Call(function, arguments, result.content, result.key))
        return calls


@hookimpl
def orchestrl_register_sampler(registry: Registry) -> None:
    registry.add("unconstrained", UnconstrainedSampler, bind={"data_dir": "${data_dir}"})
