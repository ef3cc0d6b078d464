"""``orchestrl synth [overrides] [-m]``: synthesize tasks with the configured sampler.

The configured world (:meth:`orchestrl.api.World.synthesize`) draws ``synth.n`` tasks for
``seed`` with the configured sampler and writes, under the Hydra run directory, ``synth.output``
(``tasks.jsonl``: the tasks, see :mod:`orchestrl.plugins.synthesis.output`) and ``summary.json``.
The Booking world (``world=booking``) samples over the response cache (an empty one is seeded
from ``data_dir``'s traces) with the ``strict`` miss policy; its summary holds the sampler's
counts, the check of the shipped templates' edges against the data and the overlap with
``synth.overlap_with``. The BFCL world (``world=bfcl``) draws verified turn prefixes of the
training scenarios from the installed ``bfcl-eval`` package; its summary holds the sampler's
counts (candidates, accepted, rejections by reason).

It prints the summary's headline as one JSON line.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from orchestrl import hookimpl
from orchestrl.build import build_world
from orchestrl.commands import CommandTable, hydra_command
from orchestrl.errors import ConfigError


def run_dir() -> Path:
    """Hydra's run directory (``outputs/synth`` outside a Hydra run)."""
    from hydra.core.hydra_config import HydraConfig

    try:
        return Path(HydraConfig.get().runtime.output_dir)
    except ValueError:
        return Path("outputs") / "synth"


def synth(cfg: DictConfig, out: Path | None = None) -> dict:
    """Run the configured world's synthesis into ``out`` (default: the Hydra run directory);
    return the summary."""

    if cfg.get("sampler") is None:
        raise ConfigError("the config chooses no sampler; add sampler=constrained")
    n = int((cfg.get("synth") or {}).get("n", 100))
    if n < 1:
        raise ConfigError(f"synth.n must be at least 1, got {n}")
    return build_world(cfg).synthesize(cfg, n, out if out is not None else run_dir())


@hookimpl
def orchestrl_register_commands(commands: CommandTable) -> None:
    commands.add("synth", hydra_command(synth), help="synthesize tasks from the cache")
