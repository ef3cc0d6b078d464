"""The LoRA adapter configuration (PEFT) from ``trainer.lora``; None when LoRA is off."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.errors import ConfigError


def lora_config(node: DictConfig | None) -> Any:
    """A ``peft.LoraConfig`` for causal LMs, or None when ``enabled`` is false."""
    if node is None or not node.get("enabled", True):
        return None
    from peft import LoraConfig

    options = OmegaConf.to_container(node, resolve=True)
    assert isinstance(options, dict)
    options.pop("enabled", None)
    options.setdefault("task_type", "CAUSAL_LM")
    try:
        return LoraConfig(**options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"trainer.lora: {exc}") from None
