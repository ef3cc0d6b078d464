"""Held-out workflow templates: a seeded split, stratified by domain, so that evaluation tasks
come from workflows that training never saw.

A template's *stratum* is its API domain (``attraction``, ``cars``, ``flights``, ``hotels``) or
``cross`` when it spans several. Within a stratum, the templates are put in a seeded random
order (their ids sorted first, then shuffled by ``random.Random(seed)``) and walked: a template
goes to the held-out side while the held-out share of the stratum's *capacity* is below
``heldout_share``, else to training. A template's capacity is the number of distinct tasks the
constrained sampler finds for it in the cache, counted up to ``per_template`` (the most
evaluation tasks one template may give, so one prolific template cannot fill the evaluation).
Templates outside the evaluation's step range ``[min_steps, max_steps]`` or without an
instance always train. The split depends only on the templates, the cache and the seed, never
on any evaluation result.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrl.errors import ConfigError
from orchestrl.plugins.synthesis.template import Template

CROSS = "cross"


@dataclass(frozen=True)
class TemplateSplit:
    """Template ids on each side, with how the split was made."""

    train: tuple[str, ...]
    heldout: tuple[str, ...]
    seed: int
    heldout_share: float
    per_template: int
    strata: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per stratum: templates and capped capacity on each side."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible form (``split.json``)."""
        return {"seed": self.seed, "heldout_share": self.heldout_share,
                "per_template": self.per_template, "train": list(self.train),
                "heldout": list(self.heldout), "strata": self.strata}


def stratum(template: Template, function_domains: Mapping[str, str]) -> str:
    """The template's one API domain, or ``cross`` when it spans several (or none)."""
    domains = template.domains(function_domains)
    return next(iter(domains)) if len(domains) == 1 else CROSS


def split_templates(
    templates: Sequence[Template],
    capacity: Mapping[str, int],
    function_domains: Mapping[str, str],
    *,
    seed: int,
    heldout_share: float,
    per_template: int,
    min_steps: int = 2,
    max_steps: int = 6,
) -> TemplateSplit:
    """Split ``templates`` as the module docstring describes; ``capacity`` maps template id to
    its number of distinct tasks (missing: none)."""
    if not 0.0 < heldout_share < 1.0:
        raise ConfigError(f"heldout_share must be between 0 and 1, got {heldout_share}")
    if per_template < 1:
        raise ConfigError(f"per_template must be at least 1, got {per_template}")
    rng = random.Random(seed)
    train: list[str] = []
    heldout: list[str] = []
    strata: dict[str, dict[str, int]] = {}
    for name, group in sorted(_strata(templates, function_domains).items()):
        order = sorted(group, key=lambda t: t.id)
        rng.shuffle(order)
        eligible = {t.id for t in order if min_steps <= t.n_steps <= max_steps
                    and capacity.get(t.id, 0) > 0}
        total = sum(min(capacity[t], per_template) for t in eligible)
        counts = {"train_templates": 0, "heldout_templates": 0, "train_capacity": 0,
                  "heldout_capacity": 0}
        held = 0
        for template in order:
            capped = min(capacity.get(template.id, 0), per_template)
            if template.id in eligible and held < heldout_share * total:
                heldout.append(template.id)
                held += capped
                counts["heldout_templates"] += 1
                counts["heldout_capacity"] += capped
            else:
                train.append(template.id)
                counts["train_templates"] += 1
                counts["train_capacity"] += capacity.get(template.id, 0)
        strata[name] = counts
    return TemplateSplit(tuple(sorted(train)), tuple(sorted(heldout)), seed, heldout_share,
                         per_template, strata)


def capacity_of(tasks: Iterable[Any]) -> dict[str, int]:
    """Tasks per template id (``task.metadata["template"]``)."""
    counts: dict[str, int] = {}
    for task in tasks:
        template = str(task.metadata.get("template", ""))
        counts[template] = counts.get(template, 0) + 1
    return counts


def _strata(templates: Sequence[Template],
            function_domains: Mapping[str, str]) -> dict[str, list[Template]]:
    groups: dict[str, list[Template]] = {}
    for template in templates:
        groups.setdefault(stratum(template, function_domains), []).append(template)
    return groups
