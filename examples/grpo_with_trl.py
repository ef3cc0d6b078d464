"""Train with TRL's GRPOTrainer directly; orchestrl supplies the tasks, tools and reward.

    python examples/grpo_with_trl.py                                   # SmolLM2, Booking world
    python examples/grpo_with_trl.py --model tiny --steps 1 --out /tmp/grpo   # seconds

orchestrl's part is one call, :func:`orchestrl.plugins.training.parts.grpo_parts`: the dataset
of the world's training tasks, one reward function per term of the reward preset (with its
weight) and the ``environment_factory`` whose tools answer from the response cache. Everything
else is plain TRL and PEFT, configured here.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # environment_factory is experimental

from peft import LoraConfig
from trl import GRPOConfig, GRPOTrainer

from orchestrl.plugins.policies.models import load_model, load_tokenizer
from orchestrl.plugins.training.parts import grpo_parts


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="smollm2, tiny, a directory or hub id")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--reward", default="graduated", help="a reward preset (conf/reward)")
    parser.add_argument("--out", default="outputs/grpo_with_trl")
    parser.add_argument("overrides", nargs="*", help="orchestrl config overrides")
    opts = parser.parse_args(argv)

    parts = grpo_parts(["world=booking", "cache=memory", f"reward={opts.reward}",
                        "trainer.data.limit=16", *opts.overrides])
    args = GRPOConfig(
        output_dir=opts.out, max_steps=opts.steps, learning_rate=1e-5,
        per_device_train_batch_size=2, num_generations=2, max_completion_length=128,
        max_tool_calling_iterations=2, reward_weights=parts.reward_weights,
        logging_steps=1, save_strategy="no", report_to="none", use_cpu=True,
        activation_checkpointing=False,  # TRL sets the deprecated gradient_checkpointing otherwise
    )
    trainer = GRPOTrainer(
        model=load_model(opts.model),
        processing_class=load_tokenizer(opts.model),
        reward_funcs=parts.reward_funcs,
        args=args,
        train_dataset=parts.dataset,
        environment_factory=parts.environment_factory,
        peft_config=LoraConfig(r=8, lora_alpha=16, target_modules="all-linear"),
    )
    trainer.train()
    last = [entry for entry in trainer.state.log_history if "reward" in entry][-1]
    print({"steps": trainer.state.global_step, "reward": last["reward"]})
    return last


if __name__ == "__main__":
    main()
