"""Tiny randomly initialised causal LMs for tests and CI smoke runs.

``tiny`` is a 2-layer Llama with hidden size 32 and SmolLM2's tokenizer (so chats, tool
templates and parsing behave exactly as with the real model), built from a config with a fixed
seed and saved once in the model cache. It produces garbage, quickly: it exercises every code
path of rollouts and training without learning anything.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.model_files import atomic_dir, model_cache_dir, smollm2_gguf

_TINY = re.compile(r"^tiny(?:-(\d+)x(\d+))?$")


def parse_tiny_name(name: str) -> tuple[int, int]:
    """``tiny`` -> (32, 2); ``tiny-64x4`` -> (64, 4) as (hidden size, layers)."""
    match = _TINY.match(name)
    if not match:
        raise ConfigError(f"model name '{name}' is not 'tiny' or 'tiny-<hidden>x<layers>'")
    hidden, layers = match.groups()
    return (int(hidden), int(layers)) if hidden else (32, 2)


def tiny_model_dir(hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """Directory of the tiny model, built on first use (a second or two)."""

    target = model_cache_dir() / f"tiny-llama-{hidden}x{layers}-seed{seed}"
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(_smollm2_tokenizer_source())
    heads = max(1, hidden // 16)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|im_start|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    with atomic_dir(target) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
    return target


def _smollm2_tokenizer_source() -> str:
    """The converted SmolLM2 directory when it exists, else a tokenizer-only GGUF read."""

    gguf = smollm2_gguf()
    converted = model_cache_dir() / gguf.stem
    if (converted / "tokenizer.json").is_file():
        return str(converted)
    tokenizer_dir = model_cache_dir() / f"{gguf.stem}-tokenizer"
    if not (tokenizer_dir / "tokenizer.json").is_file():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        with atomic_dir(tokenizer_dir) as staging:
            tokenizer.save_pretrained(staging)
    return str(tokenizer_dir)
