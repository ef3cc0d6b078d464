"""World ``booking``: the Booking.com APIs of ComplexFuncBench, the paper's world.

Its data directory (``data_dir``: ``tools.jsonl``, the traces ``train_101.jsonl`` and
``eval_80.jsonl`` with their real responses, ``workflow_templates.json``; see
:mod:`orchestrl.plugins.worlds.booking.data`) gives the tool schemas that key the response cache,
the training tasks (``trainer.data.train_file``) and the cache's first contents: an empty cache is
seeded from the traces. The environment is the cached environment over the response cache with
``env``'s miss policy. ``orchestrl synth`` runs the configured sampler (``constrained`` by
default) over the cache with the ``strict`` miss policy and reports the shipped templates'
check against the traces and the overlap with ``synth.overlap_with``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.api import Task, ToolEnvironment, World
from orchestrl.build import build
from orchestrl.errors import ConfigError
from orchestrl.plugins.cache.factory import open_cache
from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.env.environment import CachedEnvironment, build_environment
from orchestrl.plugins.pipeline.artifacts import hash_files
from orchestrl.plugins.synthesis.checking import check_templates
from orchestrl.plugins.synthesis.hygiene import load_task_file, overlap_report
from orchestrl.plugins.synthesis.output import print_headline, write_tasks
from orchestrl.plugins.synthesis.template import load_template_file
from orchestrl.plugins.tools.schema import load_schemas
from orchestrl.plugins.worlds.booking.data import (
    EVAL_FILE,
    TEMPLATES_FILE,
    TOOLS_FILE,
    TRAIN_FILE,
    load_tasks,
    load_templates,
    load_tools,
)
from orchestrl.registry import Registry


class BookingWorld(World):
    """The Booking.com world over ``data_dir`` (see the module docstring)."""

    name = "booking"

    def tool_schemas(self, cfg: DictConfig) -> Mapping[str, Any]:
        data_dir = Path(str(cfg.data_dir))
        if not (data_dir / TOOLS_FILE).is_file():
            raise ConfigError(f"data_dir '{data_dir}' has no {TOOLS_FILE}; the cache keys need "
                              "the tool schemas (set data_dir= or ORCHESTRL_DATA_DIR)")
        return load_schemas(data_dir)

    def training_tasks(self, cfg: DictConfig) -> tuple[list[Task], Path]:
        data_dir = Path(str(cfg.data_dir))
        source = data_dir / str(cfg.trainer.data.train_file)
        tools = load_tools(data_dir)
        has_templates = (data_dir / TEMPLATES_FILE).is_file()
        return load_tasks(source, tools, load_templates(data_dir) if has_templates else {}), source

    def data_version(self, cfg: DictConfig) -> str:
        return hash_files([Path(str(cfg.data_dir))])

    def data_files(self, cfg: DictConfig) -> list[Path]:
        return [Path(str(cfg.data_dir)) / TOOLS_FILE]

    def env_factory(self, cfg: DictConfig, cache: Any) -> Callable[[], ToolEnvironment]:
        if len(cache.backend) == 0:
            import_booking_dir(cache, Path(str(cfg.data_dir)), progress=True)
        return lambda: build_environment(cfg, cache)

    def synthesize(self, cfg: DictConfig, n: int, out: Path) -> dict[str, Any]:
        options = cfg.get("synth") or {}
        cache = open_cache(cfg)
        if len(cache) == 0:
            import_booking_dir(cache, str(cfg.data_dir))
        env = CachedEnvironment(cache.schemas, cache, "strict")
        sampler = build(cfg.sampler, cache=cache, env=env)
        tasks = list(sampler.sample(n, seed=int(cfg.seed)))
        path = out / str(options.get("output", "tasks.jsonl"))
        write_tasks(tasks, path)
        summary = sampler.summary.as_dict() if hasattr(sampler, "summary") else {}
        summary["output"] = str(path)
        data_dir = Path(str(cfg.data_dir))
        tools = load_tools(data_dir)
        traces = [t for name in (TRAIN_FILE, EVAL_FILE) if (data_dir / name).is_file()
                  for t in load_tasks(data_dir / name, tools)]
        summary["template_check"] = check_templates(load_template_file(data_dir), traces).summary()
        overlap_with = options.get("overlap_with")
        if overlap_with:
            evaluation = load_task_file(str(overlap_with), tools)
            summary["overlap"] = overlap_report(tasks, evaluation, cache.key)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print_headline(summary)
        return summary


@hookimpl
def orchestrl_register_world(registry: Registry) -> None:
    registry.add("booking", BookingWorld)
