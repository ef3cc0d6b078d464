"""Slow: the SFT warm start teaches the real SmolLM2-135M the tool-call format.

Before SFT the pretrained model answers held-out Booking queries in prose; after ~30 LoRA steps
on synthesized traces it emits parseable tool calls. The rates are printed (``-s``) so the
before/after figures can be reported; ``benchmarks/sft_warm_start.py`` measures the same.
"""

from __future__ import annotations

import pytest

from orchestrl.plugins.policies.transformers_policy import TransformersPolicy
from orchestrl.plugins.training import data
from orchestrl.plugins.training.probe import first_turn_rates
from orchestrl.plugins.training.sft import train_sft

pytestmark = [
    pytest.mark.slow,
    # peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
    pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"),
]


def test_sft_warm_start_makes_smollm2_emit_parseable_calls(compose_config, tmp_path, booking_dir):
    cfg = compose_config("world=booking", "trainer=sft", "policy.model=smollm2", "cache=memory",
                         f"data_dir={booking_dir}", f"trainer.output_dir={tmp_path}",
                         "trainer.data.holdout=6", "trainer.args.max_steps=30",
                         "trainer.args.save_steps=1000")
    split = data.load_split(cfg)
    limits = data.rollout_limits(cfg)
    make_env = data.env_factory(cfg)
    before = first_turn_rates(TransformersPolicy(model="smollm2", max_new_tokens=96),
                              split.holdout, make_env, limits)
    summary = train_sft(cfg)
    tuned = TransformersPolicy(model="smollm2", adapter=summary["final"], max_new_tokens=96)
    after = first_turn_rates(tuned, split.holdout, make_env, limits)
    print(f"\nparseable tool calls on {len(split.holdout)} held-out tasks: "
          f"before {before['parseable']:.2f}, after {after['parseable']:.2f}; "
          f"gold function first: before {before['gold_function']:.2f}, "
          f"after {after['gold_function']:.2f}")
    assert after["parseable"] >= 0.5
    assert after["parseable"] > before["parseable"]
