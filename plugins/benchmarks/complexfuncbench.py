"""Benchmark ``complexfuncbench``: ComplexFuncBench's turn accuracy, success rate, call accuracy.

Evaluates any policy deterministically against recorded responses (the protocol is in
:mod:`orchestrl.plugins.benchmarks.cfb.protocol`; items come from a native ComplexFuncBench JSONL
file or a Booking trace file such as ``eval_80.jsonl``, see
:mod:`orchestrl.plugins.benchmarks.cfb.loaders`).

Runtime dependency: ``cache``, the response cache (a
:class:`~orchestrl.plugins.cache.response_cache.ResponseCache`) where gold observations missing
from the items are looked up and predicted calls are answered for response equivalence. Without
one, an in-memory cache is used. With ``seed_cache`` the trace files of ``data_dir`` are imported
into it first (idempotent).

Files under ``output_dir``: ``cfb_items.jsonl`` (per item; a rerun resumes from it),
``cfb_summary.json``, ``cfb_summary.md`` and three PNG plots. :meth:`evaluate` returns
``turn_accuracy``, ``success_rate`` and ``call_accuracy`` (NaN when undefined), ``reward``
(the mean ``reward_preset`` score of the episodes) plus ``items`` and ``items_missing_gold``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from orchestrl import hookimpl
from orchestrl.api import RESPONSE_CHARS, Benchmark, Policy, Task
from orchestrl.build import build
from orchestrl.errors import ConfigError
from orchestrl.plugins.benchmarks.cfb.judge import PolicyJudge
from orchestrl.plugins.benchmarks.cfb.loaders import load_items
from orchestrl.plugins.benchmarks.cfb.metrics import item_counts, summarize
from orchestrl.plugins.benchmarks.cfb.observations import GoldObservations
from orchestrl.plugins.benchmarks.cfb.protocol import ProtocolLimits
from orchestrl.plugins.benchmarks.cfb.report import write_report
from orchestrl.plugins.benchmarks.cfb.runner import ITEMS_FILE, evaluate_items, read_results
from orchestrl.plugins.cache.importers import import_booking_dir
from orchestrl.plugins.cache.memory_backend import MemoryBackend
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.rewards.presets import preset_reward
from orchestrl.plugins.tools.schema import load_schemas
from orchestrl.registry import Registry

MISSING_MODES = ("truncate", "skip")


class ComplexFuncBench(Benchmark):
    """The ComplexFuncBench protocol over the configured items."""

    def __init__(
        self,
        data_dir: str,
        items: str = "eval_80.jsonl",
        limit: int = 0,
        domains: list[str] | None = None,
        missing_gold: str = "truncate",
        seed_cache: bool = True,
        max_model_turns: int = 20,
        max_format_retries: int = 2,
        response_chars: int = RESPONSE_CHARS,
        tool_description_chars: int | None = None,
        workers: int = 4,
        reward_preset: str | None = "graduated",
        plots: bool = True,
        progress: bool = True,
        judge: Any = None,
        cache: Any = None,
    ) -> None:
        """Options (the config node ``benchmark=complexfuncbench`` is derived from this
        signature; ``data_dir`` is bound to the top-level ``${data_dir}``):

        ``items``: the benchmark file, a path or a name inside ``data_dir``: native, trace or
        synthesized (``orchestrl synth``'s tasks) format. ``limit``: only the first ``limit``
        items (0: all). ``domains``: only these domains (Hotels, Flights, Car-Rental,
        Attraction, Cross). ``missing_gold``: items with gold observations recorded nowhere,
        ``truncate`` or ``skip``.
        ``tool_description_chars``: compact tool descriptions (0: names, types and enums only;
        None keeps them whole). ``reward_preset``: the reward preset (``conf/reward``) that
        also scores every episode, reported as ``reward`` (None: not scored). ``judge``: a
        policy node (``_target_`` ...) used as judge; None: rules only. ``cache`` is a
        runtime dependency, never config.
        """

        if missing_gold not in MISSING_MODES:
            raise ConfigError(f"missing_gold '{missing_gold}' is not one of "
                              f"{', '.join(MISSING_MODES)}")
        if limit < 0 or workers < 1 or max_model_turns < 1 or max_format_retries < 0:
            raise ConfigError("limit, workers, max_model_turns and max_format_retries must be "
                              f"non-negative (workers, max_model_turns at least 1), got {limit}, "
                              f"{workers}, {max_model_turns}, {max_format_retries}")
        self.data_dir = Path(data_dir)
        self.items = items
        self.limit = limit
        self.domains = list(domains or [])
        self.missing_gold = missing_gold
        self.seed_cache = seed_cache
        self.limits = ProtocolLimits(max_model_turns=max_model_turns,
                                     max_format_retries=max_format_retries,
                                     response_chars=response_chars,
                                     tool_description_chars=tool_description_chars)
        self.workers = workers
        self.reward_preset = reward_preset
        self.plots = plots
        self.progress = progress
        self.judge_policy = _judge_policy(judge)
        self.cache = cache

    def load(self) -> list[Task]:
        """The items this configuration runs, in file order."""

        path = _resolve(self.items, self.data_dir)
        items = load_items(path, self.data_dir)
        if self.domains:
            known = sorted({t.domain for t in items})
            unknown = [d for d in self.domains if d not in known]
            if unknown:
                raise ConfigError(f"unknown domain '{unknown[0]}' in {path.name}; "
                                  f"available: {', '.join(known)}")
            items = [t for t in items if t.domain in self.domains]
        return items[: self.limit] if self.limit else items

    def evaluate(self, policy: Policy, *, output_dir: Path) -> dict[str, float]:
        output_dir = Path(output_dir)
        items = self.load()

        judge = PolicyJudge(self.judge_policy) if self.judge_policy is not None else None
        reward = preset_reward(self.reward_preset) if self.reward_preset else None
        results = evaluate_items(
            policy, items, GoldObservations(self._cache()), output_dir=output_dir,
            limits=self.limits, judge=judge, missing_mode=self.missing_gold,
            workers=self.workers, progress=self.progress, reward=reward,
            settings={"items": str(self.items), "reward_preset": self.reward_preset})
        summary = summarize(results, judge=judge is not None)
        summary["benchmark"] = {"name": "complexfuncbench",
                                "items_file": str(_resolve(self.items, self.data_dir))}
        write_report(summary, output_dir, plots=self.plots)
        headline = {k: math.nan if v is None else float(v) for k, v in summary["metrics"].items()}
        headline["items"] = float(summary["counts"]["played"])
        headline["items_missing_gold"] = float(summary["missing_gold"]["items"])
        return headline

    def item_counts(self, output_dir: Path) -> dict[str, dict[str, tuple[float, float]]]:
        return item_counts(read_results(Path(output_dir) / ITEMS_FILE).values())

    def _cache(self) -> Any:
        cache = self.cache
        if cache is None:
            cache = self.cache = ResponseCache(MemoryBackend(), load_schemas(self.data_dir))
        if self.seed_cache:
            import_booking_dir(cache, self.data_dir, progress=self.progress)
            self.seed_cache = False
        return cache


def _resolve(items: str, data_dir: Path) -> Path:
    path = Path(items)
    if path.is_file():
        return path
    inside = data_dir / items
    if inside.is_file():
        return inside
    raise ConfigError(f"benchmark file '{items}' not found (nor in data_dir '{data_dir}')")


def _judge_policy(node: Any) -> Policy | None:
    if node is None or isinstance(node, Policy):
        return node
    from omegaconf import OmegaConf

    built = build(OmegaConf.create(node) if isinstance(node, dict) else node)
    if not isinstance(built, Policy):
        raise ConfigError(f"the judge must be a policy, not {type(built).__name__}")
    return built


@hookimpl
def orchestrl_register_benchmark(registry: Registry) -> None:
    registry.add("complexfuncbench", ComplexFuncBench, bind={"data_dir": "${data_dir}"})
