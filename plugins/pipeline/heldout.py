"""The grounded held-out evaluation of a template world, as two stages of a job.

``run.heldout`` (the typed node :class:`orchestrl.nodes.HeldoutNode`; the Booking world sets
it) asks ``orchestrl run`` and the study for:

1. ``split``: the sampler enumerates every template's instances in the cache (its capacity)
   and the templates are split into training and held-out ones
   (:mod:`orchestrl.plugins.synthesis.split`, options ``run.heldout.split``);
2. ``heldout``: ``run.heldout.tasks`` evaluation tasks synthesized from held-out templates only
   (``split.min_steps``..``max_steps`` steps, at most ``split.per_template`` per template), so
   every step has its real response in the cache and every dependent argument comes from an
   earlier response.

The job then synthesizes its training tasks from :attr:`Heldout.train_templates` only (the
options :attr:`Heldout.train_sampler`) and evaluates on :attr:`Heldout.tasks_file`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.build import build, build_world
from orchestrl.errors import ConfigError
from orchestrl.plugins.cache.factory import open_cache
from orchestrl.plugins.env.environment import CachedEnvironment
from orchestrl.plugins.pipeline.artifacts import StageResult
from orchestrl.plugins.pipeline.stage_runner import StageRunner
from orchestrl.plugins.pipeline.stages import synth_stage, world_node
from orchestrl.plugins.synthesis.split import capacity_of, split_templates

TASKS_FILE = "tasks.jsonl"


@dataclass(frozen=True)
class Heldout:
    """The finished ``split`` and ``heldout`` stages."""

    split: StageResult
    heldout: StageResult

    @property
    def train_templates(self) -> list[str]:
        return list(self.split.summary["train"])

    @property
    def tasks_file(self) -> Path:
        """The held-out tasks (the ``tasks.jsonl`` that ComplexFuncBench reads)."""
        return self.heldout.directory / TASKS_FILE

    @property
    def train_sampler(self) -> dict[str, Any]:
        """Sampler options that keep a job's training tasks on the training templates."""
        return {"template_ids": self.train_templates}


def heldout_stages(stage: StageRunner, cfg: DictConfig, data: str) -> Heldout:
    """Run (or reuse) the ``split`` and ``heldout`` stages of ``cfg.run.heldout`` in ``stage``;
    ``data`` is the world's data version (an input of both)."""
    options = OmegaConf.to_container(cfg.run.heldout, resolve=True)
    assert isinstance(options, dict)
    sampler, seed, bounds = world_node(cfg, "sampler", "sampler"), int(cfg.seed), options["split"]
    split = stage("split", {"sampler": sampler, "split": bounds, "seed": seed}, [data],
                  lambda work: split_stage(cfg, work))
    held = split.summary["heldout"]
    heldout = stage("heldout", {"sampler": sampler, "n": options["tasks"], "seed": seed,
                                "templates": held, "bounds": bounds}, [data, split.key],
                    lambda work: synth_stage(cfg, work, int(options["tasks"]), {
                        "template_ids": held, "min_steps": bounds["min_steps"],
                        "max_steps": bounds["max_steps"],
                        "max_per_template": bounds["per_template"]}))
    return Heldout(split, heldout)


def split_stage(cfg: DictConfig, work: Path) -> dict[str, Any]:
    """Enumerate every template's instances (the capacity) and split the templates."""
    options = cfg.run.heldout.split
    node = world_node(cfg, "sampler", "sampler")
    node.update({"progress": False, "max_attempts": None})
    if "template_ids" not in node:
        raise ConfigError("run.heldout splits workflow templates: the sampler must be a "
                          f"template sampler (constrained), not '{cfg.sampler._target_}'")
    cache = open_cache(cfg)
    try:
        world = build_world(cfg)
        world.env_factory(cfg, cache)  # seeds an empty cache from the world's data
        sampler = build(OmegaConf.create(node), cache=cache,
                        env=CachedEnvironment(cache.schemas, cache, "strict"))
        capacity = capacity_of(sampler.sample(10**9, seed=int(options.seed)))
        split = split_templates(sampler.templates, capacity, sampler.function_domains,
                                seed=int(options.seed),
                                heldout_share=float(options.heldout_share),
                                per_template=int(options.per_template),
                                min_steps=int(options.min_steps),
                                max_steps=int(options.max_steps))
    finally:
        cache.close()
    record = {**split.as_dict(), "capacity": dict(sorted(capacity.items()))}
    (work / "split.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return {"train": list(split.train), "heldout": list(split.heldout),
            "instances": sum(capacity.values()), "strata": split.strata}
