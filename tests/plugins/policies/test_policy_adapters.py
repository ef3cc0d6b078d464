"""A policy evaluates a GRPO adapter the way it was trained: on top of the merged SFT adapter."""

from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning",
    "ignore::UserWarning",
)


def random_adapter(model, path, seed):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)
    peft_model = get_peft_model(model, config)
    peft_model.save_pretrained(path)
    return peft_model


def logits(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits


def test_base_adapters_are_merged_before_the_adapter(tmp_path):
    from peft import PeftModel

    from orchestrl.plugins.policies.models import load_model
    from orchestrl.plugins.policies.transformers_policy import TransformersPolicy

    sft, grpo = tmp_path / "sft", tmp_path / "grpo"
    random_adapter(load_model("tiny"), sft, seed=1)
    merged = PeftModel.from_pretrained(load_model("tiny"), sft).merge_and_unload()
    random_adapter(merged, grpo, seed=2)  # trained on the merged model, as GRPO does
    expected = PeftModel.from_pretrained(
        PeftModel.from_pretrained(load_model("tiny"), sft).merge_and_unload(), grpo
    ).eval()

    ids = torch.tensor([[1, 2, 3, 4, 5]])
    stacked = TransformersPolicy(model="tiny", base_adapters=[str(sft)], adapter=str(grpo))
    grpo_only = TransformersPolicy(model="tiny", adapter=str(grpo))
    assert torch.allclose(logits(stacked.model, ids), logits(expected, ids), atol=1e-5)
    assert not torch.allclose(logits(grpo_only.model, ids), logits(expected, ids), atol=1e-3)
