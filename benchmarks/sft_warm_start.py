"""SFT warm start of SmolLM2-135M: parseable tool calls on held-out tasks, before and after.

Trains ``trainer=sft`` (LoRA, assistant-only loss) on synthesized Booking traces, then lets the
base model and the tuned model take the first assistant turn of each held-out task through the
rollout engine and reports the share that emit at least one tool call that parses (and the
share whose first call names a gold function), plus seconds per SFT step. The same measurement
backs the slow test ``tests/plugins/training/test_training_smollm2.py``.

    python benchmarks/sft_warm_start.py --steps 30 --holdout 8
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from typing import Any

from orchestrl.config import compose


def warm_start(steps: int, holdout: int, data_dir: str, model: str = "smollm2",
               max_new_tokens: int = 96) -> dict[str, Any]:
    """Run SFT and the before/after measurement; return the figures."""
    from orchestrl.plugins.policies.transformers_policy import TransformersPolicy
    from orchestrl.plugins.training import data
    from orchestrl.plugins.training.probe import first_turn_rates
    from orchestrl.plugins.training.sft import train_sft

    with tempfile.TemporaryDirectory() as out:
        cfg = compose([
            "world=booking", "trainer=sft", f"policy.model={model}", "cache=memory",
            f"data_dir={data_dir}",
            f"trainer.output_dir={out}", "trainer.resume=never", f"trainer.data.holdout={holdout}",
            f"trainer.args.max_steps={steps}", f"trainer.args.save_steps={steps + 1}",
        ])
        split = data.load_split(cfg)
        limits = data.rollout_limits(cfg)
        make_env = data.env_factory(cfg)
        base = TransformersPolicy(model=model, max_new_tokens=max_new_tokens)
        before = first_turn_rates(base, split.holdout, make_env, limits)
        del base
        start = time.perf_counter()
        summary = train_sft(cfg)
        seconds = time.perf_counter() - start
        tuned = TransformersPolicy(model=model, adapter=summary["final"],
                                   max_new_tokens=max_new_tokens)
        after = first_turn_rates(tuned, split.holdout, make_env, limits)
    return {"model": model, "sft_steps": summary["steps"], "train_loss": summary["train_loss"],
            "seconds_per_sft_step": round(seconds / max(1, summary["steps"]), 2),
            "holdout_tasks": len(split.holdout), "before": before, "after": after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--holdout", type=int, default=8)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--data-dir", default="../shared/data/booking")
    opts = parser.parse_args()
    figures = warm_start(opts.steps, opts.holdout, opts.data_dir, opts.model)
    before, after = figures["before"]["parseable"], figures["after"]["parseable"]
    figures["parseable_gain"] = round(after - before, 3)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
