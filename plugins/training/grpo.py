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
* ``trainer.generation.engine=llamacpp`` samples the rollouts on a llama.cpp server serving the
  current weights (:mod:`~orchestrl.plugins.training.engine_generation`); the default,
  ``transformers``, is TRL's ``model.generate``.
* ``trainer.shared_prompt`` (on by default) computes a group's shared prompt once in each
  log-prob forward (loss, reference, old policy), packing its rollouts into one sequence
  (:mod:`~orchestrl.plugins.training.shared_prompt`): the same log-probs, less compute.
* :class:`~orchestrl.plugins.training.callbacks.ZeroStdWarning` warns when most groups have zero
  reward variance (TRL's ``frac_reward_zero_std``).

Dataset columns: ``prompt`` (system + query), ``task`` (the task as JSON, for the reward),
``task_id`` (for the environment's reset) and ``environment`` (the tool-set class).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from omegaconf import DictConfig

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.gguf_export import source_gguf
from orchestrl.plugins.policies.llama_server import find_server_binary
from orchestrl.plugins.training import data, run
from orchestrl.plugins.training.callbacks import ZeroStdWarning
from orchestrl.plugins.training.engine_generation import ENGINES, EngineGeneration, sampling_of
from orchestrl.plugins.training.lora import lora_config
from orchestrl.plugins.training.memory import checkpointing_aliases_quiet
from orchestrl.plugins.training.model import load_for_training, trl_args
from orchestrl.plugins.training.parts import grpo_parts
from orchestrl.plugins.training.shared_prompt import shared_prompt_trainer


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
    engine = generation_engine(cfg, args)  # a missing server fails before the model loads
    model, tokenizer = load_for_training(cfg)
    resume = run.resume_point(cfg, out)
    names = [f.__name__ for f in parts.reward_funcs]
    run.write_run_record(
        cfg, out, data_files=data.data_files(cfg, parts.split),
        tasks=parts.split.train, resume=resume,
        extra={"reward_terms": dict(zip(names, parts.reward_weights, strict=True)),
               "holdout": [task.id for task in parts.split.holdout]},
    )
    trainer_class = GRPOTrainer if engine is None else engine_trainer(GRPOTrainer, engine)
    if settings.shared_prompt:
        trainer_class = shared_prompt_trainer(trainer_class)
    try:
        with checkpointing_aliases_quiet():
            trainer = trainer_class(
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
    finally:
        if engine is not None:
            engine.close()
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
            "zero_std_warnings": warning.warnings,
            "generation": "transformers" if engine is None else f"llamacpp ({engine.gguf_type})"}


def generation_engine(cfg: DictConfig, args: Any) -> EngineGeneration | None:
    """The engine of ``trainer.generation`` (None: TRL's own generation). Bad options are
    ConfigErrors; so is a missing server or a model without a GGUF for ``llamacpp``, while
    ``auto`` then says so in one line on stderr and keeps TRL's generation."""
    node = cfg.trainer.generation  # typed (GenerationNode): conf/trainer/grpo.yaml's values
    name = str(node.engine)
    if name not in ENGINES:
        raise ConfigError(f"trainer.generation.engine must be one of {', '.join(ENGINES)}, "
                          f"got '{name}'")
    if name == "transformers":
        return None
    if name == "auto":
        try:
            find_server_binary()
            source_gguf(str(cfg.policy.model))
        except ConfigError as unavailable:
            print(f"trainer.generation.engine=auto: generating with transformers "
                  f"({unavailable})", file=sys.stderr)
            return None
    return EngineGeneration(str(cfg.policy.model), sampling_of(args),
                            gguf_type=str(node.gguf_type), parallel=int(node.parallel),
                            ctx_per_slot=int(node.ctx_per_slot), threads=int(node.threads))


def engine_trainer(base: type, engine: EngineGeneration) -> type:
    """``base`` (TRL's ``GRPOTrainer``) generating every turn of its tool loop on ``engine``,
    refreshed with the trained weights once per optimizer step."""

    class EngineGRPOTrainer(base):  # type: ignore[misc, valid-type]
        def _generate_single_turn(self, prompt_ids, images, multimodal_fields,  # type: ignore[no-untyped-def]
                                  num_generations, has_tool_images=False):
            if images or multimodal_fields:  # text only: images go through TRL's own path
                return super()._generate_single_turn(prompt_ids, images, multimodal_fields,
                                                     num_generations, has_tool_images)
            engine.refresh(self.accelerator.unwrap_model(self.model), self.state.global_step)
            return engine.generate([list(ids) for ids in prompt_ids]), None

    return EngineGRPOTrainer
