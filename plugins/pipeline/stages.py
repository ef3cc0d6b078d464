"""The stages of the main job, each a function of the composed config and a work directory.

* ``synth``: draw ``synth.n`` tasks with the configured sampler (Booking: constrained synthesis
  over the response cache; BFCL: verified prefixes of training scenarios), with the options of
  ``world.sampler`` for a CPU budget, into ``tasks.jsonl``.
* ``sft`` / ``grpo``: the trainers of :mod:`orchestrl.plugins.training`, configured by
  ``run.sft`` / ``run.grpo`` (the ``trainer`` group's sft and grpo options), trained on the
  synthesized tasks; GRPO starts from the SFT adapter.
* ``eval``: the configured benchmark on the configured policy, with or without an adapter,
  limited by ``world.eval`` (benchmark options) and ``world.eval_policy`` (decoding options)
  for a CPU budget; it also writes the benchmark's per-item counts (``item_counts.json``) and
  reports each metric's 95% bootstrap interval over items.

Every function returns a JSON-compatible summary; :mod:`~orchestrl.plugins.pipeline.run`
content-hashes their inputs so that unchanged stages are skipped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.build import build, build_world
from orchestrl.errors import ConfigError
from orchestrl.host import get_host
from orchestrl.plugins.cache.factory import open_cache
from orchestrl.plugins.pipeline.intervals import interval
from orchestrl.plugins.policies.llama_server import find_server_binary
from orchestrl.plugins.synthesis.output import read_tasks
from orchestrl.plugins.synthesis.split import capacity_of
from orchestrl.plugins.training.sft import train_sft

ITEM_COUNTS = "item_counts.json"
ENGINES = ("auto", "policy")


def synth_stage(cfg: DictConfig, work: Path, n: int | None = None,
                sampler_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``n`` tasks (default ``synth.n``) of the world's sampler, with ``sampler_options``
    merged into its node, to ``work/tasks.jsonl`` (and the sampler's summary); return the
    count, the templates, steps and domains of what was written."""

    sampler = {**world_node(cfg, "sampler", "sampler"), **(sampler_options or {})}
    stage_cfg = with_updates(cfg, {"synth.output": "tasks.jsonl", "synth.overlap_with": None,
                                   "sampler": sampler})
    count = int(stage_cfg.synth.n) if n is None else n
    summary = build_world(stage_cfg).synthesize(stage_cfg, count, work)
    tasks = read_tasks(work / "tasks.jsonl")
    return {"tasks": len(tasks), "valid": summary.get("valid"),
            "attempts": summary.get("attempts"), "templates": sorted(capacity_of(tasks)),
            "steps": _histogram(len(t.steps) for t in tasks),
            "domains": _histogram(t.domain for t in tasks)}


def train_stage(cfg: DictConfig, trainer: str, work: Path, tasks_file: Path,
                init_from: Path | None = None) -> dict[str, Any]:
    """Run ``trainer`` (``sft`` or ``grpo``) on ``tasks_file``, writing into ``work``."""
    node = OmegaConf.to_container(cfg.run[trainer], resolve=True)
    assert isinstance(node, dict)
    node["output_dir"] = str(work)
    node["resume"] = "auto"
    node["init_from"] = str(init_from) if init_from else None
    data = node.setdefault("data", {})
    data["tasks_file"] = str(tasks_file)
    data["holdout"] = 0  # the pipeline evaluates on the benchmark, not on held-out tasks
    stage_cfg = with_updates(cfg, {"trainer": node})
    if trainer == "sft":
        return train_sft(stage_cfg)
    from orchestrl.plugins.training.grpo import train_grpo

    return train_grpo(stage_cfg)


def eval_stage(cfg: DictConfig, work: Path, adapters: list[Path]) -> dict[str, Any]:
    """Evaluate the policy with ``adapters`` (applied in training order: all but the last are
    merged into the weights, the last is loaded on top) on the benchmark into ``work``."""

    stage_cfg = with_updates(cfg, {"benchmark": world_node(cfg, "eval", "benchmark"),
                            "policy": world_node(cfg, "eval_policy", "policy")})
    stage_cfg.policy.adapter = str(adapters[-1]) if adapters else None
    stage_cfg.policy.base_adapters = [str(a) for a in adapters[:-1]]
    cache = open_cache(stage_cfg)
    policy = None
    try:
        policy = build(stage_cfg.policy)
        benchmark = build(stage_cfg.benchmark, cache=cache)
        metrics = benchmark.evaluate(policy, output_dir=work)
        counts = benchmark.item_counts(work)
    finally:
        if policy is not None:
            policy.close()
        cache.close()
    clean = {k: (None if v != v else float(v)) for k, v in metrics.items()}  # NaN -> None
    (work / ITEM_COUNTS).write_text(json.dumps(counts, sort_keys=True) + "\n", "utf-8")
    metric_names = sorted({m for item in counts.values() for m in item})
    summary = {"metrics": clean,
               "intervals": {name: interval(counts, name) for name in metric_names}}
    (work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return summary


def evaluation_config(cfg: DictConfig) -> DictConfig:
    """``cfg`` with the policy that evaluates in ``orchestrl run`` (``run.eval_engine``):
    ``auto`` swaps the ``transformers`` policy for the llama.cpp engine (``policy=llamacpp``:
    the same model, adapters and decoding options, several episodes in flight) where the
    engine's server is installed, and says once on stderr when it is not; ``policy`` keeps the
    configured policy. Training always uses the transformers model."""
    engine = str(cfg.run.get("eval_engine", "policy"))
    if engine not in ENGINES:
        raise ConfigError(f"run.eval_engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    if engine == "policy" or not str(cfg.policy.get("_target_", "")).endswith(
            ".TransformersPolicy"):
        return cfg
    try:
        find_server_binary()
    except ConfigError as missing:
        print(f"run.eval_engine=auto: evaluating with the transformers policy ({missing})",
              file=sys.stderr)
        return cfg
    component = get_host().registry("policy").get("llamacpp")
    engine_node = OmegaConf.to_container(OmegaConf.structured(component.config))
    assert isinstance(engine_node, dict)
    engine_node["_target_"] = component.target
    for shared in ("model", "max_new_tokens", "temperature", "top_p", "seed"):
        engine_node[shared] = cfg.policy[shared]
    return with_updates(cfg, {"policy": engine_node})


def read_item_counts(stage_dir: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """The per-item counts an evaluation stage wrote (``{}`` for a stage without them)."""
    path = Path(stage_dir) / ITEM_COUNTS
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {item: {m: (float(n), float(d)) for m, (n, d) in metrics.items()}
            for item, metrics in raw.items()}


def world_node(cfg: DictConfig, option: str, target: str) -> dict[str, Any]:
    """The ``target`` node (sampler, benchmark, policy) with the world's ``option`` options
    (``world.<option>``: its CPU budget) merged in, checked against the node's schema: an
    unknown key or a wrongly typed value is a ConfigError naming it."""
    from omegaconf.errors import OmegaConfBaseException

    options = build_world(cfg).options[option]
    try:
        merged = OmegaConf.merge(cfg[target], options)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"world.{option} does not fit the {target} node: "
                          f"{str(exc).splitlines()[0]}") from None
    plain = OmegaConf.to_container(merged, resolve=True)
    assert isinstance(plain, dict)
    return plain


def with_updates(cfg: DictConfig, updates: dict[str, Any]) -> DictConfig:
    """A copy of ``cfg`` with dotted keys set (struct mode off for the new keys)."""
    copy = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
    for key, value in updates.items():
        OmegaConf.update(copy, key, value, merge=False, force_add=True)
    return copy


def _histogram(values: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for value in values:
        found[str(value)] = found.get(str(value), 0) + 1
    return dict(sorted(found.items()))
