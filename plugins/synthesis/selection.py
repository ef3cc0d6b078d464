"""Choosing templates: complexity filters and the draw (uniform or frequency-weighted).

Filters, all optional: ``min_steps``/``max_steps`` (number of steps), ``min_depth``/
``max_depth`` (longest dependency chain), ``max_fan_in`` (producers of one step),
``min_branches``/``max_branches`` (steps that can run in parallel), ``domains`` (every API
domain of the template must be in the list), ``mixed_domains`` (True: only templates spanning
several domains, False: only single-domain ones) and ``template_ids``.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orchestrl.errors import ConfigError
from orchestrl.plugins.synthesis.template import Template


@dataclass(frozen=True)
class Filters:
    """The complexity filters (None means no bound)."""

    min_steps: int = 1
    max_steps: int | None = None
    min_depth: int = 1
    max_depth: int | None = None
    max_fan_in: int | None = None
    min_branches: int = 1
    max_branches: int | None = None
    domains: Sequence[str] | None = None
    mixed_domains: bool | None = None
    template_ids: Sequence[str] | None = None

    def accepts(self, template: Template, function_domains: Mapping[str, str]) -> bool:
        """Whether ``template`` passes every filter."""
        domains = template.domains(function_domains)
        checks = (
            template.n_steps >= self.min_steps,
            self.max_steps is None or template.n_steps <= self.max_steps,
            template.depth >= self.min_depth,
            self.max_depth is None or template.depth <= self.max_depth,
            self.max_fan_in is None or template.fan_in <= self.max_fan_in,
            template.branches >= self.min_branches,
            self.max_branches is None or template.branches <= self.max_branches,
            self.domains is None or domains <= set(self.domains),
            self.mixed_domains is None or (len(domains) > 1) == self.mixed_domains,
            self.template_ids is None or template.id in self.template_ids,
        )
        return all(checks)


class TemplateDraw:
    """Draws templates from a pool, uniformly or by frequency; used-up templates are removed."""

    def __init__(self, templates: Sequence[Template], weighting: str = "uniform") -> None:
        if weighting not in ("uniform", "frequency"):
            raise ConfigError(f"unknown template weighting '{weighting}'; "
                              "available: frequency, uniform")
        self.weighting = weighting
        self.pool = list(templates)
        self._rebuild()

    def __bool__(self) -> bool:
        return bool(self.pool)

    def draw(self, rng: random.Random) -> Template:
        """One template (the pool must not be empty)."""
        point = rng.random() * self._total
        return self.pool[min(bisect.bisect_right(self._cumulative, point), len(self.pool) - 1)]

    def remove(self, template: Template) -> None:
        """Take a used-up template out of the pool."""
        self.pool = [t for t in self.pool if t.id != template.id]
        self._rebuild()

    def _rebuild(self) -> None:
        total = 0.0
        self._cumulative = []
        for template in self.pool:
            total += max(template.frequency, 1) if self.weighting == "frequency" else 1.0
            self._cumulative.append(total)
        self._total = total
