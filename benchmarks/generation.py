"""Evaluation speed and accuracy of each generation engine on the same items, in one run.

For the ``transformers`` policy (the baseline) and each engine (``llamacpp``: the managed
llama.cpp server), greedy, with the options ``orchestrl run`` evaluates with (``world.eval``,
``world.eval_policy``): the first ``--booking`` items of Booking's ``eval_80`` (ComplexFuncBench
protocol, ``--workers`` episodes in flight where the policy allows it) and the first ``--bfcl``
entries of BFCL's held-out split. Printed per engine and benchmark: items/s, the accuracy
metrics, the ratio of items/s to the baseline's; per engine, a batch-1 probe of prefill and
decode tokens/s on the first Booking prompt; then the hardware estimate of the issue (prefill
compute-bound at ~2 x parameters FLOP per token, decode memory-bound at the weights' bytes per
token).

    python benchmarks/generation.py                      # 20 Booking items, 5 BFCL entries
    python benchmarks/generation.py --limit 2            # 2 of each: a few minutes
    python benchmarks/generation.py --engines llamacpp --skip-baseline --gguf-type q8_0
    python benchmarks/generation.py --adapter <run>/grpo/final --base-adapter <run>/sft/final
    python benchmarks/generation.py --adapter <run>/sft/final --booking-items <heldout>/tasks.jsonl
    python benchmarks/generation.py --threads 1          # a busy machine: no spinning threads
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

BOOKING_METRICS = ("turn_accuracy", "success_rate", "call_accuracy")
BFCL_METRICS = ("accuracy", "partial", "call_accuracy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--booking", type=int, default=20, help="Booking eval_80 items")
    parser.add_argument("--bfcl", type=int, default=5, help="BFCL held-out entries")
    parser.add_argument("--limit", type=int, default=None,
                        help="run this many of each (overrides --booking and --bfcl)")
    parser.add_argument("--engines", default="llamacpp", help="comma-separated engine policies")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="no transformers run (no ratios)")
    parser.add_argument("--workers", type=int, default=4,
                        help="episodes in flight (server slots) for parallel-safe engines")
    parser.add_argument("--gguf-type", default="q8_0")
    parser.add_argument("--booking-items", default=None,
                        help="a Booking item file (eval_80.jsonl of data_dir by default, or a "
                             "tasks.jsonl of synthesized held-out tasks)")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads of torch and of the engine (0: all cores)")
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help="default: the world's eval_policy.max_new_tokens")
    parser.add_argument("--adapter", default=None)
    parser.add_argument("--base-adapter", action="append", default=[])
    parser.add_argument("--data-dir", default=os.environ.get("ORCHESTRL_DATA_DIR",
                                                             "../shared/data/booking"))
    parser.add_argument("--core-gflops", type=float, default=150.0,
                        help="fp32 peak GFLOP/s of one core, for the estimate")
    parser.add_argument("--mem-gbps", type=float, default=20.0,
                        help="memory bandwidth in GB/s, for the estimate")
    opts = parser.parse_args()
    if opts.limit is not None:
        opts.booking = opts.bfcl = opts.limit

    from orchestrl.host import get_host

    get_host()
    if opts.threads:
        import torch

        torch.set_num_threads(opts.threads)
    engines = [e for e in opts.engines.split(",") if e]
    names = ([] if opts.skip_baseline else ["transformers"]) + engines
    rows: list[dict[str, Any]] = []
    probes: dict[str, dict[str, float]] = {}
    for name in names:
        policy = make_policy(name, opts)
        try:
            probes[name] = probe(policy, opts)
            for world, count in (("booking", opts.booking), ("bfcl", opts.bfcl)):
                if count > 0:
                    rows.append({"engine": name, "world": world,
                                 **evaluate(policy, world, count, opts)})
        finally:
            close = getattr(policy, "close", None)
            if callable(close):
                close()
    print_report(rows, probes, opts)


def make_policy(name: str, opts: argparse.Namespace) -> Any:
    """The policy ``name`` with the run's evaluation decoding options, greedy."""
    from orchestrl.plugins.policies.llamacpp_policy import LlamaCppPolicy
    from orchestrl.plugins.policies.transformers_policy import TransformersPolicy

    max_new = opts.max_new_tokens or 128
    common = {"adapter": opts.adapter, "base_adapters": opts.base_adapter,
              "max_new_tokens": max_new, "temperature": 0.0}
    if name == "transformers":
        return TransformersPolicy(**common)
    if name == "llamacpp":
        return LlamaCppPolicy(**common, gguf_type=opts.gguf_type, parallel=opts.workers,
                              threads=opts.threads)
    raise SystemExit(f"unknown engine '{name}'; available: llamacpp")


def evaluate(policy: Any, world: str, count: int, opts: argparse.Namespace) -> dict[str, Any]:
    """Run ``count`` items of ``world``'s benchmark with ``orchestrl run``'s evaluation options."""
    from omegaconf import OmegaConf

    from orchestrl.build import build
    from orchestrl.config import compose
    from orchestrl.plugins.cache.factory import open_cache

    size = {"booking": "limit", "bfcl": "subset"}[world]
    cfg = compose([f"world={world}", f"data_dir={opts.data_dir}", "cache=memory"])
    node = OmegaConf.merge(cfg.benchmark, cfg.world.eval, {size: count, "progress": False})
    if world == "booking" and opts.booking_items:
        node["items"] = str(opts.booking_items)
    if "workers" in node:
        node.workers = opts.workers if policy.parallel_safe else 1
    if "plots" in node:
        node.plots = False
    cache = open_cache(cfg) if world == "booking" else None
    try:
        benchmark = build(node, cache=cache)
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            metrics = benchmark.evaluate(policy, output_dir=Path(out))
            seconds = time.perf_counter() - start
    finally:
        if cache is not None:
            cache.close()
    keys = BOOKING_METRICS if world == "booking" else BFCL_METRICS
    return {"items": count, "seconds": seconds, "items_per_s": count / seconds,
            **{k: metrics.get(k, float("nan")) for k in keys}}


PROBE_NEW_TOKENS = 128
"""New tokens of the batch-1 probe (the engine issue's protocol: one prompt + 128 greedy)."""


def probe(policy: Any, opts: argparse.Namespace) -> dict[str, float]:
    """Batch-1 prefill and decode tokens/s on one Booking prompt (no cache reuse)."""
    import torch

    from orchestrl.plugins.policies.chat_template import render_prompt
    from orchestrl.plugins.policies.openai_policy import post_json

    data = Path(opts.data_dir)
    tools = [json.loads(line) for line in (data / "tools.jsonl").read_text().splitlines()[:4]]
    tools = [{"type": "function", "function": t.get("function", t)} for t in tools]
    messages = [{"role": "user", "content": "Find a hotel in Paris for two adults from "
                 "2024-08-01 to 2024-08-04 and tell me the cheapest one."}]
    ids = render_prompt(policy.tokenizer, messages, tools)
    new = PROBE_NEW_TOKENS
    if hasattr(policy, "server"):
        body = {"prompt": ids, "n_predict": new, "cache_prompt": False, "temperature": 0.0,
                "ignore_eos": True}
        timings = post_json(policy.url, body, timeout_s=600)["timings"]
        return {"prompt_tokens": len(ids), "prefill_tok_s": timings["prompt_per_second"],
                "decode_tok_s": timings["predicted_per_second"]}
    model = policy.model
    inputs = torch.tensor([ids])
    with torch.no_grad():
        start = time.perf_counter()
        model(input_ids=inputs, logits_to_keep=1)
        prefill = time.perf_counter() - start
        start = time.perf_counter()
        model.generate(input_ids=inputs, max_new_tokens=new, min_new_tokens=new, do_sample=False,
                       temperature=None, top_p=None, top_k=None,
                       pad_token_id=policy.tokenizer.pad_token_id)
        total = time.perf_counter() - start
    return {"prompt_tokens": len(ids), "prefill_tok_s": len(ids) / prefill,
            "decode_tok_s": new / max(total - prefill, 1e-9)}


def print_report(rows: list[dict[str, Any]], probes: dict[str, dict[str, float]],
                 opts: argparse.Namespace) -> None:
    base = {r["world"]: r["items_per_s"] for r in rows if r["engine"] == "transformers"}
    print(f"\n{'engine':<14}{'world':<9}{'items':>6}{'s':>9}{'items/s':>10}{'ratio':>8}  metrics")
    for r in rows:
        keys = BOOKING_METRICS if r["world"] == "booking" else BFCL_METRICS
        ratio = (f"{r['items_per_s'] / base[r['world']]:.2f}x" if r["world"] in base else "-")
        shown = " ".join(f"{k}={r[k]:.3f}" for k in keys)
        print(f"{r['engine']:<14}{r['world']:<9}{r['items']:>6}{r['seconds']:>9.1f}"
              f"{r['items_per_s']:>10.4f}{ratio:>8}  {shown}")
    print(f"\n{'engine':<14}{'prompt tok':>11}{'prefill tok/s':>15}{'decode tok/s':>14}"
          f"   (batch 1, one Booking prompt, {PROBE_NEW_TOKENS} new tokens, server timings)")
    for name, p in probes.items():
        print(f"{name:<14}{p['prompt_tokens']:>11}{p['prefill_tok_s']:>15.0f}"
              f"{p['decode_tok_s']:>14.0f}")
    params, cores = 134.5e6, os.cpu_count() or 1
    weight_mb = {"f32": 540, "f16": 270, "q8_0": 145, "source": 98}.get(opts.gguf_type, 145)
    print(f"\nhardware estimate ({cores} cores x {opts.core_gflops:g} GFLOP/s, "
          f"{opts.mem_gbps:g} GB/s): prefill <= "
          f"{cores * opts.core_gflops * 1e9 / (2 * params):.0f} tok/s (compute-bound, "
          f"{2 * params / 1e9:.2f} GFLOP/token); batch-1 decode <= "
          f"{opts.mem_gbps * 1e3 / weight_mb:.0f} tok/s ({weight_mb} MB of {opts.gguf_type} "
          "weights read per token)")


if __name__ == "__main__":
    main()
