"""Typed config nodes: a wrong type in env, trainer or synth, or a bad seed, is one line at parse
time, before any model loads."""

from __future__ import annotations

import pytest


def _one_error(result) -> str:
    lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
    assert result.exit_code == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "key"), [
    (("train", "world=booking", "trainer=sft", "env.max_response_chars=abc"),
     "env.max_response_chars=abc"),
    (("train", "world=booking", "trainer=sft", "trainer.rollout.max_turns=abc"),
     "trainer.rollout.max_turns=abc"),
    (("train", "world=booking", "trainer=grpo", "trainer.zero_std_warn=abc"),
     "trainer.zero_std_warn=abc"),
    (("train", "world=booking", "trainer=grpo", "trainer.lora.r=abc"), "trainer.lora.r=abc"),
    (("train", "trainer=grpo", "trainer.data.holdout=x"), "trainer.data.holdout=x"),
    (("synth", "world=booking", "synth.n=abc"), "synth.n=abc"),
    (("eval", "env.max_response_chars=abc"), "env.max_response_chars=abc"),
    (("run", "run.grpo.max_tool_calling_iterations=many"),
     "run.grpo.max_tool_calling_iterations=many"),
    (("config", "trainer.rollout.max_turn=3"), "trainer.rollout.max_turn"),
])
def test_a_wrongly_typed_override_is_one_line_naming_the_key(plugin_host, run_cli, args, key):
    line = _one_error(run_cli(*args))
    assert key in line


@pytest.mark.parametrize("command", ["eval", "train", "synth", "run"])
def test_a_bad_seed_is_one_line(plugin_host, run_cli, command):
    assert "seed must be an integer, got 'abc'" in _one_error(run_cli(command, "seed=abc"))


def test_typed_nodes_keep_the_yaml_values(compose_config):
    from omegaconf import OmegaConf

    from orchestrl.nodes import GRPOTrainerNode, TrainerNode, given

    cfg = compose_config("world=booking", "trainer=grpo")
    assert OmegaConf.get_type(cfg.trainer) is GRPOTrainerNode
    assert OmegaConf.get_type(cfg.run.sft) is TrainerNode
    assert cfg.trainer.rollout.max_turns == 20 and cfg.run.grpo.args.max_steps == 3
    assert "token_budget" not in given(cfg.trainer.rollout)  # unset: the engine's default
    paper = compose_config("experiment=paper_qwen3_8b")
    assert paper.trainer.rollout.token_budget == 16384
    assert paper.trainer.rollout.tool_description_chars is None
    assert compose_config("+trainer.args.warmup_steps=3").trainer.args.warmup_steps == 3


def test_rollout_limits_use_the_engine_defaults_for_unset_fields(compose_config):
    from orchestrl.plugins.rollout.engine import RolloutLimits
    from orchestrl.plugins.training.data import rollout_limits

    limits = rollout_limits(compose_config("world=booking", "trainer=sft"))
    assert limits.token_budget == RolloutLimits().token_budget
    assert limits.system_prompt == RolloutLimits().system_prompt
    assert (limits.max_turns, limits.response_chars) == (20, 512)
