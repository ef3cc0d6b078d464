"""GGUF export: the q/k permutation inverts transformers' GGUF loader, the base written as f32 is
the shipped file's weights exactly, a merged LoRA lands in the right tensors, and files are
cached by content."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.gguf_export import export_gguf, permute_rotary


@pytest.mark.parametrize("heads", [1, 3, 9])
def test_permute_rotary_inverts_the_transformers_gguf_loader(heads):
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    weight = np.random.default_rng(0).normal(size=(heads * 64, 40)).astype(np.float32)
    loader = LlamaTensorProcessor(config={"num_attention_heads": heads,
                                          "num_key_value_heads": heads})
    unpermuted = loader.process(weight, "blk.0.attn_q.weight").weights
    assert not np.array_equal(unpermuted, weight)
    assert np.array_equal(permute_rotary(unpermuted, heads), weight)


def test_bad_inputs_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown gguf_type 'int4'"):
        export_gguf("smollm2", gguf_type="int4")
    with pytest.raises(ConfigError, match="not a PEFT adapter directory"):
        export_gguf("smollm2", adapter=str(tmp_path))
    with pytest.raises(ConfigError, match="neither 'smollm2' nor a .gguf"):
        export_gguf(str(tmp_path))
    (tmp_path / "adapter_config.json").write_text("{}")
    with pytest.raises(ConfigError, match="'source' serves the base file"):
        export_gguf("smollm2", adapter=str(tmp_path), gguf_type="source")


# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
@pytest.mark.slow
def test_smollm2_with_a_merged_lora_round_trips_exactly_as_f32(tmp_path):
    """No adapter: every tensor equals the shipped file's, de-quantized. With a LoRA on q_proj:
    only the attn_q tensors change, by the permuted LoRA delta; the second export is cached."""
    import gguf
    import torch
    from peft import LoraConfig, get_peft_model

    from orchestrl.plugins.policies.gguf_export import source_gguf
    from orchestrl.plugins.policies.models import load_model

    def tensors(path):
        return {t.name: gguf.quants.dequantize(t.data, t.tensor_type).reshape(
            [int(d) for d in reversed(t.shape)]) for t in gguf.GGUFReader(path).tensors}

    shipped = tensors(source_gguf("smollm2"))
    base = tensors(export_gguf("smollm2", gguf_type="f32", cache_dir=tmp_path))
    assert base.keys() == shipped.keys()
    assert all(np.array_equal(base[k], shipped[k]) for k in shipped)

    torch.manual_seed(0)
    lora = get_peft_model(load_model("smollm2"), LoraConfig(
        r=2, lora_alpha=2, target_modules=["q_proj"], init_lora_weights=False))
    lora.save_pretrained(tmp_path / "adapter")
    layer = lora.base_model.model.model.layers[0].self_attn.q_proj
    delta = (layer.lora_B["default"].weight @ layer.lora_A["default"].weight).detach().numpy()
    path = export_gguf("smollm2", adapter=str(tmp_path / "adapter"), gguf_type="f32",
                       cache_dir=tmp_path)
    merged = tensors(path)
    changed = {k for k in shipped if not np.array_equal(merged[k], shipped[k])}
    assert changed == {f"blk.{i}.attn_q.weight" for i in range(30)}
    np.testing.assert_allclose(merged["blk.0.attn_q.weight"] - shipped["blk.0.attn_q.weight"],
                               permute_rotary(delta, 9), atol=1e-5)
    mtime = path.stat().st_mtime_ns
    assert export_gguf("smollm2", adapter=str(tmp_path / "adapter"), gguf_type="f32",
                       cache_dir=tmp_path) == path
    assert path.stat().st_mtime_ns == mtime
