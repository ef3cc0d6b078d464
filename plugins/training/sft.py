"""``trainer=sft``: supervised warm start on synthesized traces rendered as chats.

Chats come from :mod:`~orchestrl.plugins.training.chats` (gold replays through the rollout
engine: assistant tool calls, tool results, a final answer). TRL's ``SFTTrainer`` trains with
``assistant_only_loss=True`` (the chat template's ``{% generation %}`` markers; system, user and
tool-result tokens carry no loss) and LoRA by default (``trainer.lora``). The adapter is saved
to ``<output_dir>/final``; checkpoints, the resolved config and data hashes are kept beside it.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from orchestrl.errors import DataError
from orchestrl.plugins.training import data, run
from orchestrl.plugins.training.chats import training_chats
from orchestrl.plugins.training.lora import lora_config
from orchestrl.plugins.training.memory import checkpointing_aliases_quiet
from orchestrl.plugins.training.model import load_for_training, trl_args


def train_sft(cfg: DictConfig) -> dict[str, Any]:
    """Run SFT as configured; return a summary (output dir, steps, chats, final loss)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    out = run.output_dir(cfg)
    split = data.load_split(cfg)
    limits = data.rollout_limits(cfg)
    chats = training_chats(split.train, data.env_factory(cfg), limits)
    if not chats.rows:
        raise DataError(f"{split.source}: no task replays cleanly; nothing to train on")
    args = trl_args(SFTConfig, cfg, out, assistant_only_loss=True)  # checked before the model loads
    peft_config = lora_config(cfg.trainer.get("lora"))
    model, tokenizer = load_for_training(cfg)
    resume = run.resume_point(cfg, out)
    run.write_run_record(
        cfg, out, data_files=data.data_files(cfg, split),
        tasks=split.train, resume=resume,
        extra={"chats": len(chats.rows), "skipped_tasks": chats.skipped,
               "holdout": [task.id for task in split.holdout]},
    )
    with checkpointing_aliases_quiet():
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_list(chats.rows),
            processing_class=tokenizer,
            peft_config=peft_config,
        )
        result = trainer.train(resume_from_checkpoint=resume)
    final = out / "final"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    return {"output_dir": str(out), "final": str(final), "steps": trainer.state.global_step,
            "chats": len(chats.rows), "skipped": len(chats.skipped),
            "train_loss": float(result.training_loss)}
