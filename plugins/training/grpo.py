"""``trainer=grpo``: TRL's ``GRPOTrainer`` against the cached environment, graduated reward.

* The environment reaches TRL through ``environment_factory`` (one class per tool set, see
  :mod:`~orchestrl.plugins.training.trl_env`); TRL runs the multi-turn loop for up to
  ``max_tool_calling_iterations`` tool rounds and masks tool-result tokens out of the loss.
* Each reward term is its own reward function (TRL logs ``rewards/<term>/mean``) with its
  config weight in ``GRPOConfig.reward_weights``
  (:func:`~orchestrl.plugins.rewards.trl_adapter.trl_reward_functions`). Before scoring, each
  completion's attempts are merged with its episode's records (once per batch, shared by all
  the reward functions), so the terms see every attempt with the environment's metadata.
* LoRA through ``peft_config``; ``trainer.init_from`` starts from an SFT adapter.
* :class:`~orchestrl.plugins.training.callbacks.ZeroStdWarning` warns when most groups have zero
  reward variance (TRL's ``frac_reward_zero_std``).

Dataset columns: ``prompt`` (system + query), ``task`` (the task as JSON, for the reward),
``task_id`` (for the environment's reset) and ``environment`` (the tool-set class).
"""

from __future__ import annotations

import os
from typing import Any

from omegaconf import DictConfig

from orchestrl.plugins.training import data, run
from orchestrl.plugins.training.callbacks import ZeroStdWarning
from orchestrl.plugins.training.lora import lora_config
from orchestrl.plugins.training.memory import checkpointing_aliases_quiet
from orchestrl.plugins.training.model import load_for_training, trl_args
from orchestrl.plugins.training.parts import grpo_parts


def train_grpo(cfg: DictConfig) -> dict[str, Any]:
    """Run GRPO as configured; return a summary (output dir, steps, mean reward)."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl import GRPOConfig, GRPOTrainer

    out = run.output_dir(cfg)
    parts = grpo_parts(cfg)
    settings = cfg.trainer
    args = trl_args(
        GRPOConfig, cfg, out,
        reward_weights=parts.reward_weights,
        max_tool_calling_iterations=int(settings.max_tool_calling_iterations),
    )
    peft_config = lora_config(settings.get("lora"))  # bad values fail before the model loads
    warning = ZeroStdWarning(float(settings.get("zero_std_warn", 0.5)))
    model, tokenizer = load_for_training(cfg)
    resume = run.resume_point(cfg, out)
    names = [f.__name__ for f in parts.reward_funcs]
    run.write_run_record(
        cfg, out, data_files=data.data_files(cfg, parts.split),
        tasks=parts.split.train, resume=resume,
        extra={"reward_terms": dict(zip(names, parts.reward_weights, strict=True)),
               "holdout": [task.id for task in parts.split.holdout]},
    )
    with checkpointing_aliases_quiet():
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=parts.reward_funcs,
            args=args,
            train_dataset=parts.dataset,
            processing_class=tokenizer,
            peft_config=peft_config,
            environment_factory=parts.environment_factory,
            callbacks=[warning],
        )
        trainer.train(resume_from_checkpoint=resume)
    final = out / "final"
    trainer.save_model(str(final))
    history = [entry for entry in trainer.state.log_history if "reward" in entry]
    curves: dict[str, list[list[float]]] = {}
    for entry in history:
        for key, value in entry.items():
            if key.startswith("rewards/") and key.endswith("/mean"):
                term = key[len("rewards/"):-len("/mean")]
                curves.setdefault(term, []).append([int(entry.get("step", 0)), value])
    return {"output_dir": str(out), "final": str(final), "steps": trainer.state.global_step,
            "reward": [entry["reward"] for entry in history],
            "reward_curve": curves,
            "frac_reward_zero_std": [entry.get("frac_reward_zero_std") for entry in history],
            "zero_std_warnings": warning.warnings}
