"""Seconds per BFCL evaluation entry with and without the transformers policy's prefix cache.

A multi-turn BFCL episode re-renders the whole conversation at every assistant step; without
the prefix cache every step prefills it again (quadratic in the episode's length), with it only
the new messages are prefilled. Both policies run the same entries of the held-out split with
greedy decoding, in one process, and the script prints seconds per entry, prompt tokens reused,
the speed-up ratio and whether the two produced the same calls.

    python benchmarks/policy_prefix_cache.py                    # SmolLM2-135M, 2 entries
    python benchmarks/policy_prefix_cache.py --model tiny       # random tiny model, seconds
    python benchmarks/policy_prefix_cache.py --base-adapter <sft>/final --adapter <grpo>/final
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--entries", type=int, default=2)
    parser.add_argument("--steps-per-turn", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--description-chars", type=int, default=0)
    parser.add_argument("--adapter", default=None, help="a LoRA adapter (e.g. a run's GRPO)")
    parser.add_argument("--base-adapter", action="append", default=[],
                        help="adapters merged first (e.g. the run's SFT), in order")
    opts = parser.parse_args()

    from orchestrl.plugins.benchmarks.bfcl import BfclBenchmark
    from orchestrl.plugins.policies.transformers_policy import TransformersPolicy

    rows = {}
    calls = {}
    for label, reuse in (("no prefix cache", False), ("prefix cache", True)):
        policy = TransformersPolicy(model=opts.model, max_new_tokens=opts.max_new_tokens,
                                    adapter=opts.adapter, base_adapters=opts.base_adapter,
                                    prefix_cache=reuse)
        benchmark = BfclBenchmark(split="eval", subset=opts.entries, progress=False,
                                  max_steps_per_turn=opts.steps_per_turn, response_chars=512,
                                  tool_description_chars=opts.description_chars,
                                  reward_preset="")
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            benchmark.evaluate(policy, output_dir=Path(out))
            seconds = time.perf_counter() - start
            results = (Path(out) / "bfcl_results.jsonl").read_text().splitlines()
        calls[label] = [json.loads(line)["calls"] for line in results]
        rows[label] = {"seconds_per_entry": round(seconds / opts.entries, 2),
                       "reused_prompt_tokens": policy.reused_tokens}
    print(f"{'policy':<18}{'s/entry':>10}{'reused tokens':>16}")
    for label, row in rows.items():
        print(f"{label:<18}{row['seconds_per_entry']:>10}{row['reused_prompt_tokens']:>16}")
    ratio = rows["no prefix cache"]["seconds_per_entry"] / rows["prefix cache"]["seconds_per_entry"]
    same = calls["no prefix cache"] == calls["prefix cache"]
    print(f"speed-up: {ratio:.2f}x; same calls: {same}")


if __name__ == "__main__":
    main()
