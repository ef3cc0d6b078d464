"""The renderer contract.

A renderer is built from a config node with a ``_target_`` (the samplers' ``renderer`` option),
so any importable subclass plugs in. ``render`` receives a task whose gold steps, responses
and dependencies are final and whose ``query`` is empty, plus the template it instantiates
and a seeded random generator; it returns the query, or None when it cannot write one. The
sampler then applies the derivability check
(:func:`~orchestrl.plugins.synthesis.derivability.derivability_problems`) and drops what fails,
so a renderer need not be trusted.
"""

from __future__ import annotations

import abc
import random

from orchestrl.api import Task
from orchestrl.plugins.synthesis.template import Template


class QueryRenderer(abc.ABC):
    """Writes the user query of a synthesized task."""

    @abc.abstractmethod
    def render(self, task: Task, template: Template, rng: random.Random) -> str | None:
        """The query for ``task``, or None."""
