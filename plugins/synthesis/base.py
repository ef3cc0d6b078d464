"""What both samplers share: data loading, the call index, rendering, checking and counting.

Runtime dependencies (``cache``: a :class:`~orchestrl.plugins.cache.response_cache.ResponseCache`;
``env``: a :class:`~orchestrl.api.ToolEnvironment`) come from the run loop. When ``env`` is
not given, a :class:`~orchestrl.plugins.env.environment.CachedEnvironment` over ``cache`` with
the ``strict`` miss policy is made for the replay check.

Large caches (over 20,000 entries, or ``project=True``) are indexed by projection: only the
response values at the templates' ``from_field`` paths are kept in memory, and the gold
responses of an emitted task are read back from the cache.

``finish(task, template, rng)`` is the common tail of every candidate trace: replay through
the environment, render the query, run the derivability check, then count. It returns the task
or None with the drop reason counted in :attr:`summary`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.api import Sampler, Task, ToolEnvironment
from orchestrl.build import build
from orchestrl.errors import ConfigError
from orchestrl.plugins.env.environment import CachedEnvironment
from orchestrl.plugins.synthesis.derivability import derivability_problems
from orchestrl.plugins.synthesis.hygiene import excluded_keys
from orchestrl.plugins.synthesis.index import CallIndex
from orchestrl.plugins.synthesis.mining import attach_mined, mine_templates
from orchestrl.plugins.synthesis.renderers.base import QueryRenderer
from orchestrl.plugins.synthesis.renderers.template import TemplateRenderer
from orchestrl.plugins.synthesis.selection import Filters, TemplateDraw
from orchestrl.plugins.synthesis.summary import SynthesisSummary
from orchestrl.plugins.synthesis.template import Template, function_domains, load_template_file
from orchestrl.plugins.synthesis.verify import Replayer
from orchestrl.plugins.worlds.booking.data import EVAL_FILE, TRAIN_FILE, load_tasks, load_tools

DEFAULT_RENDERER = {
    "_target_": "orchestrl.plugins.synthesis.renderers.template.TemplateRenderer",
}


class SynthesisSampler(Sampler):
    """Base of the template samplers (not registered itself).

    It owns the options every template sampler has, so each default is written once:
    ``weighting`` (``uniform`` or ``frequency`` draws of templates), ``template_ids``,
    ``min_steps`` / ``max_steps`` (complexity filters), ``distractors`` (tools offered beyond
    the gold ones) and ``max_attempts`` (None: the sampler's own limit for ``n``). Subclasses
    take ``**kwargs`` and hand them here.
    """

    name = "synthesis"

    def __init__(
        self,
        *,
        data_dir: str,
        templates: str = "shipped",
        renderer: Any = None,
        exclude: Sequence[str] = (),
        verify: bool = True,
        progress: bool = True,
        project: bool | None = None,
        weighting: str = "uniform",
        template_ids: list[str] | None = None,
        min_steps: int = 1,
        max_steps: int | None = None,
        distractors: int = 2,
        max_attempts: int | None = None,
        cache: Any = None,
        env: ToolEnvironment | None = None,
    ) -> None:
        if cache is None:
            raise ConfigError(f"the '{self.name}' sampler needs the response cache")
        self.data_dir = Path(data_dir)
        self.tools = load_tools(self.data_dir)
        self.function_domains = function_domains(self.tools.values())
        self.cache = cache
        self.env = env if env is not None else _strict_environment(cache)
        self.renderer = _renderer(renderer)
        self.verify = verify
        self.replayer = Replayer(self.env)
        self.progress = progress
        self.templates = self._load_templates(templates)
        self.excluded_keys = excluded_keys(exclude, cache, self.tools)
        self._index: CallIndex | None = None
        self.project = project
        self.weighting = weighting
        self.template_ids = template_ids
        self.min_steps = min_steps
        self.max_steps = max_steps
        self.distractors = distractors
        self.max_attempts = max_attempts
        self.summary = SynthesisSummary(self.name)

    def choose(self, filters: Filters) -> list[Template]:
        """The templates ``filters`` accepts, in file order; a :class:`ConfigError` when none
        does or when ``weighting`` is unknown (at construction, not mid-run)."""
        chosen = [t for t in self.templates if filters.accepts(t, self.function_domains)]
        if not chosen:
            raise ConfigError("no workflow template passes the complexity filters")
        TemplateDraw(chosen, self.weighting)
        return chosen

    @property
    def index(self) -> CallIndex:
        """The call index over the cache (built on first use; excluded keys left out)."""
        if self._index is None:
            project = self.project if self.project is not None else len(self.cache) > 20_000
            paths: dict[str, set[str]] | None = None
            if project:
                paths = {}
                for template in self.templates:
                    for _, _, ref in template.edges():
                        function = template.functions[ref.from_step]
                        paths.setdefault(function, set()).add(ref.from_field)
            self._index = CallIndex(self.cache.entries(), exclude_keys=self.excluded_keys,
                                    paths=paths)
        return self._index

    def response(self, call: int) -> Any:
        """The response of an indexed call (fetched from the cache when the index projects)."""
        found = self.index.calls[call]
        if found.response is not None:
            return found.response
        entry = self.cache.get(found.key)
        return None if entry is None else entry.response

    def finish(self, task: Task, template: Template, rng: random.Random) -> Task | None:
        """Replay, render, check (see the module docstring)."""
        if self.verify:
            problem = self.replayer.replay(task)
            if problem is not None:
                self.summary.dropped["replay"] += 1
                return None
        query = self.renderer.render(task, template, rng)
        if query is None:
            self.summary.dropped["no_query"] += 1
            return None
        if derivability_problems(task, query):
            self.summary.dropped["not_derivable"] += 1
            return None
        task.query = query
        self.summary.emitted(task)
        return task

    def _load_templates(self, source: str) -> list[Template]:
        if source == "shipped":
            return load_template_file(self.data_dir)
        if source == "mined":
            traces = []
            for name in (TRAIN_FILE, EVAL_FILE):
                if (self.data_dir / name).is_file():
                    traces += load_tasks(self.data_dir / name, self.tools)
            return mine_templates([attach_mined(t) for t in traces])
        raise ConfigError(f"unknown template source '{source}'; available: mined, shipped")


def _renderer(node: Any) -> QueryRenderer:
    if node is None:
        return TemplateRenderer()
    if isinstance(node, QueryRenderer):
        return node
    if isinstance(node, dict | DictConfig):
        built = build(OmegaConf.create(node) if isinstance(node, dict) else node)
        if isinstance(built, QueryRenderer):
            return built
    raise ConfigError(f"renderer {node!r} is not a query renderer")


def _strict_environment(cache: Any) -> ToolEnvironment:
    return CachedEnvironment(cache.schemas, cache, "strict")
