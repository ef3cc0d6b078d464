"""``orchestrl config [overrides] [-m]``: compose the config and print it as YAML.

The smallest Hydra-backed command: it checks overrides exactly like the pipeline commands
and shows what a run would use, which makes it the smoke test of a fresh install.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from orchestrl import hookimpl
from orchestrl.commands import CommandTable, hydra_command


def show_config(cfg: DictConfig) -> None:
    """Print the composed config (interpolations resolved where they can be)."""
    print(OmegaConf.to_yaml(cfg))


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("config", hydra_command(show_config), help="print the composed config")
