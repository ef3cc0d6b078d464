"""A renderer that asks a policy (a local model, an OpenAI-compatible endpoint) to paraphrase.

The deterministic :class:`~orchestrl.plugins.synthesis.renderers.template.TemplateRenderer`
writes a first query; the policy is asked to rewrite it as a natural user request that keeps
every listed value. The answer (first line of text, surrounding quotes removed, at most
``max_chars``) is kept only if it passes the same derivability check as any query; otherwise
the deterministic query is used (``fallback``) or the task gets no query.

``policy`` is a Policy object or a config node of one (built with
:func:`orchestrl.build.build`); it is called once per task with a system and a user message and
no tools. Its text never reaches eval or a shell: it is only compared with the values.
"""

from __future__ import annotations

import random
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.api import Policy, Task
from orchestrl.build import build
from orchestrl.plugins.synthesis.derivability import derivability_problems, free_values
from orchestrl.plugins.synthesis.renderers.base import QueryRenderer
from orchestrl.plugins.synthesis.renderers.template import TemplateRenderer
from orchestrl.plugins.synthesis.template import Template

SYSTEM = ("You rewrite requests to a travel assistant so that they read like a real user wrote "
          "them. Keep every listed value exactly as written. Answer with the request only.")


class ParaphraseRenderer(QueryRenderer):
    """Deterministic query, paraphrased by a policy, checked for derivability."""

    def __init__(self, policy: Any, fallback: bool = True, max_chars: int = 2000,
                 base: QueryRenderer | None = None) -> None:
        if isinstance(policy, dict | DictConfig):
            policy = build(OmegaConf.create(policy) if isinstance(policy, dict) else policy)
        if not isinstance(policy, Policy):
            raise TypeError(f"the paraphrase renderer needs a policy, got {type(policy).__name__}")
        self.policy = policy
        self.fallback = fallback
        self.max_chars = max_chars
        self.base = base or TemplateRenderer()
        self.accepted = 0
        self.rejected = 0

    def render(self, task: Task, template: Template, rng: random.Random) -> str | None:
        draft = self.base.render(task, template, rng)
        if draft is None:
            return None
        values = sorted({str(v) for _, _, v in free_values(task)})
        prompt = (f"Request: {draft}\nValues to keep: {', '.join(values) or 'none'}\n"
                  "Rewritten request:")
        output = self.policy.act([{"role": "system", "content": SYSTEM},
                                  {"role": "user", "content": prompt}], [])
        text = _clean(output.text, self.max_chars)
        if text and not derivability_problems(task, text):
            self.accepted += 1
            return text
        self.rejected += 1
        return draft if self.fallback else None


def _clean(text: str, limit: int) -> str:
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    if len(first) >= 2 and first[0] == first[-1] and first[0] in "\"'":
        first = first[1:-1]
    return first[:limit]
