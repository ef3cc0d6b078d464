"""``orchestrl train trainer=sft|grpo [overrides] [-m]``: train the policy's model with TRL.

``trainer=sft`` is the supervised warm start on synthesized traces; ``trainer=grpo`` is
reinforcement learning against the cached environment with the configured reward. Overrides
are checked before anything loads; ``-m`` sweeps (each run in its own directory). Each run
writes its checkpoints, the resolved config and data hashes to its output directory and
prints a one-line JSON summary.
"""

from __future__ import annotations

import json

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.commands import CommandTable, hydra_command
from orchestrl.errors import ConfigError
from orchestrl.plugins.training.sft import train_sft


def train(cfg: DictConfig) -> dict:
    """Run the configured trainer; return its summary."""
    name = str(cfg.trainer.get("name", ""))
    if name == "sft":
        summary = train_sft(cfg)
    elif name == "grpo":
        from orchestrl.plugins.training.grpo import train_grpo

        summary = train_grpo(cfg)
    else:
        raise ConfigError(f"unknown trainer '{name}'; available: grpo, sft")
    print(json.dumps(summary))
    return summary


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("train", hydra_command(train), help="train with TRL: trainer=sft or trainer=grpo")
