"""``orchestrl train``: 2 SFT steps, a resume, and 2 GRPO steps with a tiny random model through
the real TRL trainers, the real environment and the real reward terms; configs and run records."""

from __future__ import annotations

import hashlib
import json

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.training import run

# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
)

TINY = ["policy.model=tiny", "cache=memory", "trainer.data.limit=4", "trainer.data.holdout=2"]


def test_sft_then_resume_then_grpo(run_cli, tmp_path, booking_dir):
    sft_dir, grpo_dir = tmp_path / "sft", tmp_path / "grpo"
    common = [*TINY, "world=booking", f"data_dir={booking_dir}"]
    result = run_cli("train", "trainer=sft", *common, f"trainer.output_dir={sft_dir}",
                     "trainer.args.max_steps=2", "trainer.args.save_steps=2")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 2 and summary["chats"] == 4
    assert (sft_dir / "checkpoint-2").is_dir()
    assert (sft_dir / "final" / "adapter_config.json").is_file()
    record = json.loads((sft_dir / "run.json").read_text())
    train_file = booking_dir / "train_101.jsonl"
    assert record["data"][str(train_file)] == hashlib.sha256(train_file.read_bytes()).hexdigest()
    assert record["tasks"]["count"] == 4 and len(record["holdout"]) == 2
    assert record["resumed_from"] is None
    assert "max_steps: 2" in (sft_dir / "config.yaml").read_text()

    result = run_cli("train", "trainer=sft", *common, f"trainer.output_dir={sft_dir}",
                     "trainer.args.max_steps=3", "trainer.args.save_steps=100")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["steps"] == 3
    assert json.loads((sft_dir / "run.json").read_text())["resumed_from"].endswith("checkpoint-2")

    result = run_cli(
        "train", "trainer=grpo", *common, f"trainer.output_dir={grpo_dir}",
        f"trainer.init_from={sft_dir / 'final'}", "trainer.args.max_steps=2",
        "trainer.args.per_device_train_batch_size=2", "trainer.args.num_generations=2",
        "trainer.args.max_completion_length=24", "trainer.max_tool_calling_iterations=2",
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 2 and len(summary["reward"]) == 2
    assert all(0.0 <= r <= 1.0 for r in summary["reward"])
    # a random model earns the same (zero) reward in every group: the warning must fire
    assert summary["zero_std_warnings"] == 2 and "zero reward variance" in result.stderr
    record = json.loads((grpo_dir / "run.json").read_text())
    assert set(record["reward_terms"]) >= {"function_name", "orchestration", "execution"}
    assert (grpo_dir / "final" / "adapter_config.json").is_file()


def test_bad_trainer_values_are_one_line_errors(run_cli, tmp_path, booking_dir):
    result = run_cli("train", "trainer=sft", *TINY, f"data_dir={booking_dir}",
                     f"trainer.output_dir={tmp_path}", "trainer.args.max_stepz=2")
    assert result.exit_code == 2 and "max_stepz" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("train", "trainer=sft", *TINY, f"data_dir={booking_dir}",
                     "trainer.data.holdout=500")
    assert result.exit_code == 2 and "holdout=500" in result.stderr
    result = run_cli("train", "trainer=ppo")
    assert result.exit_code != 0 and "ppo" in result.stderr


PAPER = ["experiment=paper_qwen3_8b", "trainer.args.bf16=false"]  # bf16 needs the GPU


@pytest.mark.parametrize("overrides", [["trainer=sft"], ["trainer=grpo"], PAPER])
def test_trainer_configs_build_trl_configs(compose_config, overrides, tmp_path):
    from trl import GRPOConfig, SFTConfig

    from orchestrl.plugins.training.lora import lora_config
    from orchestrl.plugins.training.model import trl_args

    cfg = compose_config(*overrides)
    config_cls = GRPOConfig if cfg.trainer.name == "grpo" else SFTConfig
    args = trl_args(config_cls, cfg, tmp_path)
    assert args.max_steps == cfg.trainer.args.max_steps
    lora = lora_config(cfg.trainer.lora)
    assert (lora is None) == (not cfg.trainer.lora.enabled)
    if overrides == PAPER:
        assert cfg.policy.model == "Qwen/Qwen3-8B"
        assert (args.learning_rate, args.beta, args.num_generations) == (1e-6, 0.001, 16)
        assert cfg.trainer.max_tool_calling_iterations == 20 and args.use_vllm


def test_resume_points(tmp_path, compose_config):
    cfg = compose_config("trainer.resume=auto")
    assert run.resume_point(cfg, tmp_path) is None
    for step in (5, 40, 10):
        (tmp_path / f"checkpoint-{step}").mkdir()
    (tmp_path / "checkpoint-x").mkdir()
    assert run.resume_point(cfg, tmp_path) == str(tmp_path / "checkpoint-40")
    assert run.resume_point(compose_config("trainer.resume=never"), tmp_path) is None
    with pytest.raises(ConfigError, match="nowhere"):
        run.resume_point(compose_config(f"trainer.resume={tmp_path / 'nowhere'}"), tmp_path)
