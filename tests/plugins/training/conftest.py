"""Fixtures of the training tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def tiny_lora() -> Callable[..., Any]:
    """Build the tiny model with TRL's fused LM head (log-probs and entropies) under a random,
    non-zero LoRA adapter (every linear layer), in train mode; seed torch first for the same
    adapter twice."""

    def build(checkpointing: bool = False, attention: str = "sdpa") -> Any:
        from peft import LoraConfig, get_peft_model
        from trl.trainer.utils import add_fused_lm_head

        from orchestrl.plugins.policies.models import load_model

        model = load_model("tiny")
        model.set_attn_implementation(attention)
        add_fused_lm_head(model, outputs=("log_probs", "entropy"))
        model = get_peft_model(model, LoraConfig(r=4, target_modules="all-linear",
                                                 init_lora_weights=False, task_type="CAUSAL_LM"))
        model.train()
        if checkpointing:
            model.activation_checkpointing_enable({"use_reentrant": False})
        return model

    return build
