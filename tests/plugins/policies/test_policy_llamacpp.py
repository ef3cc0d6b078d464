"""The llamacpp policy: the prompt it sends is the transformers policy's token ids; with the real
llama-server (the ``engine`` extra) it serves SmolLM2 and a merged LoRA adapter, greedy output
matching transformers on the same weights. Real-server tests skip when llama-server is absent."""

from __future__ import annotations

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.llama_server import find_server_binary

MESSAGES = [{"role": "user", "content": "What is the weather in Paris? Use the tool."}]
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


def engine_binary() -> str | None:
    try:
        return str(find_server_binary())
    except ConfigError:
        return None


needs_engine = pytest.mark.skipif(
    engine_binary() is None,
    reason="llama.cpp's llama-server is not installed (the engine extra: make setup)")


def test_the_prompt_sent_is_the_transformers_policy_token_ids(fake_binary, monkeypatch):
    import torch

    from orchestrl.plugins.policies.llamacpp_policy import LlamaCppPolicy
    from orchestrl.plugins.policies.transformers_policy import TransformersPolicy

    seen = {}

    class Recorder(torch.nn.Module):
        """Stands in for the model: records the ids generate() is given."""

        config = None

        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def generate(self, input_ids, **kwargs):
            seen["ids"] = input_ids[0].tolist()
            return input_ids

    with LlamaCppPolicy(gguf_type="source", binary=fake_binary, max_new_tokens=3) as policy:
        hf = TransformersPolicy.from_loaded(Recorder(), policy.tokenizer)
        hf.act(MESSAGES, TOOLS)
        from orchestrl.plugins.policies.openai_policy import post_json

        ids = policy.render(MESSAGES, TOOLS)
        echoed = post_json(policy.url, {"prompt": ids, "n_predict": 1})["request"]["prompt"]
        output = policy.act(MESSAGES, TOOLS)
        assert policy.stats.requests == 1 and policy.stats.decoded_tokens == 3
    assert ids == seen["ids"] == echoed
    assert "<tools>" in policy.tokenizer.decode(ids)
    # The stand-in repeats the prompt's last token ("\n" after "assistant"): decoded as text.
    assert output.text == policy.tokenizer.decode([ids[-1]] * 3, skip_special_tokens=True)
    assert not policy.server.healthy()


def test_bad_options_fail_before_anything_loads(fake_binary):
    from orchestrl.plugins.policies.llamacpp_policy import LlamaCppPolicy

    with pytest.raises(ConfigError, match="unknown gguf_type 'q3'"):
        LlamaCppPolicy(gguf_type="q3", binary=fake_binary)
    with pytest.raises(ConfigError, match="max_new_tokens >= 1"):
        LlamaCppPolicy(max_new_tokens=0, binary=fake_binary)
    with pytest.raises(ConfigError, match="not a PEFT adapter directory"):
        LlamaCppPolicy(adapter="/nonexistent", binary=fake_binary)
    with pytest.raises(ConfigError, match="neither 'smollm2' nor a .gguf"):
        LlamaCppPolicy(model="tiny", binary=fake_binary)


@needs_engine
def test_the_server_reads_our_token_ids_as_the_same_text():
    from orchestrl.plugins.policies.llamacpp_policy import LlamaCppPolicy
    from orchestrl.plugins.policies.openai_policy import post_json

    with LlamaCppPolicy(gguf_type="source", parallel=1, ctx_per_slot=2048) as policy:
        ids = policy.render(MESSAGES, TOOLS)
        text = policy.tokenizer.decode(ids)
        served = post_json(policy.server.base_url + "/tokenize",
                           {"content": text, "add_special": False, "parse_special": True})
    assert served["tokens"] == ids


@needs_engine
# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
@pytest.mark.slow
def test_greedy_output_matches_transformers_on_the_same_weights(tmp_path):
    """SmolLM2 with a random (seeded: cached after the first run) LoRA adapter merged, served
    as f32: the same greedy text as the transformers policy with that adapter."""
    import torch
    from peft import LoraConfig, get_peft_model

    from orchestrl.plugins.policies.llamacpp_policy import LlamaCppPolicy
    from orchestrl.plugins.policies.models import load_model
    from orchestrl.plugins.policies.transformers_policy import TransformersPolicy

    torch.manual_seed(0)
    lora = get_peft_model(load_model("smollm2"), LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj"],
        init_lora_weights=False))
    lora.save_pretrained(tmp_path / "adapter")
    hf = TransformersPolicy(adapter=str(tmp_path / "adapter"), max_new_tokens=24)
    with LlamaCppPolicy(adapter=str(tmp_path / "adapter"), gguf_type="f32", parallel=1,
                        ctx_per_slot=2048, max_new_tokens=24) as policy:
        served = policy.act(MESSAGES, TOOLS).text
    assert served == hf.act(MESSAGES, TOOLS).text
