"""The model and tokenizer a training run starts from.

The base model is the ``transformers`` policy's ``model`` (``smollm2``, ``tiny``, a directory or
a hub id), loaded in ``trainer.dtype``. ``trainer.init_from`` optionally names a LoRA adapter
(for example the ``final`` directory of an SFT run), merged into the base weights before a new
adapter is trained on top: GRPO after the SFT warm start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.models import load_model, load_tokenizer
from orchestrl.plugins.training.memory import prepare_cpu_training


def load_for_training(cfg: DictConfig) -> tuple[Any, Any]:
    """(model in train mode, tokenizer with a tool-aware template).

    Also applies :func:`~orchestrl.plugins.training.memory.prepare_cpu_training` (smaller
    logit tiles, freed blocks returned to the OS) before the trainer is built.
    """

    prepare_cpu_training()

    name = cfg.policy.get("model")
    if not name:
        raise ConfigError("training needs policy=transformers (a policy with a 'model')")
    model = load_model(str(name), dtype=str(cfg.trainer.get("dtype", "float32")))
    init_from = cfg.trainer.get("init_from")
    if init_from:
        if not (Path(str(init_from)) / "adapter_config.json").is_file():
            raise ConfigError(f"trainer.init_from '{init_from}' holds no adapter_config.json")
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(init_from)).merge_and_unload()
    model.train()
    return model, load_tokenizer(str(name))


def trl_args(config_cls: type, cfg: DictConfig, output_dir: Path, **fixed: Any) -> Any:
    """``config_cls`` (SFTConfig / GRPOConfig) from ``trainer.args`` plus ``fixed`` values."""
    from omegaconf import OmegaConf

    options = OmegaConf.to_container(cfg.trainer.get("args") or {}, resolve=True)
    assert isinstance(options, dict)
    options.update(fixed)
    options.setdefault("seed", int(cfg.seed))
    # On by default: stored activations are most of a CPU run's peak (see training.memory);
    # stating it also keeps TRL's own default from going through a deprecated alias.
    options.setdefault("activation_checkpointing", True)
    import torch

    options.setdefault("dataloader_pin_memory", torch.cuda.is_available())
    try:
        return config_cls(output_dir=str(output_dir), **options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"trainer.args: {str(exc).splitlines()[0]}") from None
