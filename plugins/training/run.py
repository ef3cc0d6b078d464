"""Run records: where a training run writes, what it was given, and where it resumes.

Every run directory holds ``config.yaml`` (the resolved config) and ``run.json``: the trainer,
the model, SHA-256 hashes of the data files and of the task ids trained on, package versions
and the resume point. Checkpoints are TRL/transformers ``checkpoint-<step>`` directories;
with ``trainer.resume=auto`` a run whose directory already holds one continues from the latest
(so re-running the same command after an interruption resumes it).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.api import Task
from orchestrl.errors import ConfigError

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
PACKAGES = ("orchestrl", "torch", "transformers", "trl", "peft", "accelerate", "datasets")


def output_dir(cfg: DictConfig) -> Path:
    """``trainer.output_dir`` when set, else Hydra's run directory (``outputs/train`` outside)."""
    configured = cfg.trainer.get("output_dir")
    if configured:
        return Path(str(configured))
    try:
        from hydra.core.hydra_config import HydraConfig

        return Path(HydraConfig.get().runtime.output_dir)
    except ValueError:  # not under hydra.main
        return Path("outputs") / "train"


def latest_checkpoint(directory: Path) -> Path | None:
    """The ``checkpoint-<step>`` subdirectory with the highest step, or None."""
    if not directory.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in directory.iterdir()
             if p.is_dir() and (m := _CHECKPOINT.match(p.name))]
    return max(found)[1] if found else None


def resume_point(cfg: DictConfig, directory: Path) -> str | None:
    """What to pass as ``resume_from_checkpoint``: ``trainer.resume`` is auto, never or a path."""
    resume = str(cfg.trainer.get("resume", "auto"))
    if resume == "never":
        return None
    if resume == "auto":
        found = latest_checkpoint(directory)
        return str(found) if found else None
    if not Path(resume).is_dir():
        raise ConfigError(f"trainer.resume '{resume}' is not a checkpoint directory")
    return resume


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tasks_sha256(tasks: Iterable[Task]) -> str:
    """SHA-256 of the task ids, in order (identifies the exact training set)."""
    return hashlib.sha256("\n".join(task.id for task in tasks).encode()).hexdigest()


def write_run_record(cfg: DictConfig, directory: Path, *, data_files: Iterable[Path],
                     tasks: Iterable[Task], resume: str | None, extra: dict[str, Any]) -> Path:
    """Write ``config.yaml`` and ``run.json`` into ``directory``; return the latter's path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    tasks = list(tasks)
    record = {
        "trainer": str(cfg.trainer.name),
        "model": str(cfg.policy.get("model", "")),
        "data": {str(p): file_sha256(Path(p)) for p in data_files},
        "tasks": {"count": len(tasks), "sha256": tasks_sha256(tasks)},
        "resumed_from": resume,
        "versions": {name: _version(name) for name in PACKAGES},
        **extra,
    }
    path = directory / "run.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
