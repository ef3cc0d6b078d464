"""``run.eval_engine``: ``auto`` evaluates the transformers policy's model on the llama.cpp engine
where its server is installed (same model and decoding options), and falls back to the configured
policy, saying so, where it is not; ``policy`` keeps the configured policy."""

from __future__ import annotations

import pytest

from orchestrl.config import compose
from orchestrl.errors import ConfigError
from orchestrl.plugins.pipeline import stages
from orchestrl.plugins.pipeline.stages import evaluation_config

LLAMACPP = "orchestrl.plugins.policies.llamacpp_policy.LlamaCppPolicy"
TRANSFORMERS = "orchestrl.plugins.policies.transformers_policy.TransformersPolicy"


@pytest.fixture
def engine_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(stages, "find_server_binary", lambda: tmp_path / "llama-server")


@pytest.fixture
def engine_missing(monkeypatch):
    def missing():
        raise ConfigError("policy llamacpp needs llama.cpp's llama-server")

    monkeypatch.setattr(stages, "find_server_binary", missing)


def test_auto_swaps_transformers_for_the_engine_with_the_same_model_and_decoding(
        plugin_host, engine_installed):
    cfg = compose(["policy.model=tiny", "policy.max_new_tokens=17", "policy.temperature=0.5",
                   "policy.seed=3"])
    assert cfg.policy._target_ == TRANSFORMERS and cfg.run.eval_engine == "auto"
    chosen = evaluation_config(cfg).policy
    assert chosen._target_ == LLAMACPP
    assert (chosen.model, chosen.max_new_tokens, chosen.temperature, chosen.seed) == (
        "tiny", 17, 0.5, 3)
    group = compose(["policy=llamacpp"]).policy  # every other option: the engine's defaults
    shared = {"model", "max_new_tokens", "temperature", "top_p", "seed"}
    assert {k: v for k, v in chosen.items() if k not in shared} == {
        k: v for k, v in group.items() if k not in shared}
    assert cfg.policy._target_ == TRANSFORMERS  # the training config is left alone


def test_auto_falls_back_to_the_configured_policy_and_says_so(plugin_host, engine_missing,
                                                              capsys):
    cfg = compose(["policy.model=tiny"])
    assert evaluation_config(cfg).policy._target_ == TRANSFORMERS
    assert "evaluating with the transformers policy" in capsys.readouterr().err


@pytest.mark.parametrize("overrides", [["run.eval_engine=policy"], ["policy=openai"]])
def test_policy_or_another_engine_is_kept_as_configured(plugin_host, engine_installed, overrides):
    cfg = compose(overrides)
    assert evaluation_config(cfg).policy._target_ == cfg.policy._target_


def test_an_unknown_engine_is_a_config_error(plugin_host):
    with pytest.raises(ConfigError, match="run.eval_engine must be one of auto, policy"):
        evaluation_config(compose(["run.eval_engine=fast"]))
