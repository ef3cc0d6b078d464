"""Training inputs in the BFCL world: nothing but the installed bfcl-eval package is needed."""

from __future__ import annotations

import pytest

from orchestrl.plugins.cache.factory import open_cache
from orchestrl.plugins.training import data
from orchestrl.plugins.training.chats import training_chats
from orchestrl.plugins.worlds.bfcl.environment import BfclEnvironment

NO_DATA = "data_dir=/nonexistent/booking"


@pytest.fixture
def bfcl_cfg(compose_config):
    return compose_config("world=bfcl", "cache=memory", NO_DATA, "synth.n=6",
                          "trainer.data.holdout=1")


def test_without_a_tasks_file_bfcl_tasks_come_from_its_sampler(bfcl_cfg):
    split = data.load_split(bfcl_cfg)
    assert len(split.train) == 5 and len(split.holdout) == 1
    assert all(t.metadata["world"] == "bfcl" and t.steps for t in split.train + split.holdout)
    assert data.data_files(bfcl_cfg, split) == []  # no data directory file was read


def test_a_bfcl_tasks_file_is_recorded_but_no_booking_schemas(bfcl_cfg, tmp_path):
    from omegaconf import OmegaConf

    from orchestrl.plugins.synthesis.output import write_tasks

    write_tasks(data.load_split(bfcl_cfg).train, tmp_path / "tasks.jsonl")
    OmegaConf.update(bfcl_cfg, "trainer.data.tasks_file", str(tmp_path / "tasks.jsonl"))
    split = data.load_split(bfcl_cfg)
    assert data.data_files(bfcl_cfg, split) == [tmp_path / "tasks.jsonl"]


def test_bfcl_cache_needs_no_schemas_and_the_environment_replays_gold(bfcl_cfg):
    cache = open_cache(bfcl_cfg)
    assert not cache.schemas
    env = data.env_factory(bfcl_cfg)()
    assert isinstance(env, BfclEnvironment)
    split = data.load_split(bfcl_cfg)
    chats = training_chats(split.train, lambda: env, data.rollout_limits(bfcl_cfg),
                           progress=False)
    assert len(chats.rows) == len(split.train) and not chats.skipped


def test_bfcl_training_prompts_use_the_benchmark_system_turn(bfcl_cfg, compose_config):
    from orchestrl.plugins.benchmarks.bfcl import SYSTEM_PROMPT
    from orchestrl.plugins.rollout.prompt import DEFAULT_SYSTEM_PROMPT

    assert data.rollout_limits(bfcl_cfg).system_prompt == SYSTEM_PROMPT
    booking = compose_config("world=booking")
    assert data.rollout_limits(booking).system_prompt == DEFAULT_SYSTEM_PROMPT
    custom = compose_config("world=bfcl", "+trainer.rollout.system_prompt=Be brief.")
    assert data.rollout_limits(custom).system_prompt == "Be brief."


def test_booking_cache_still_demands_its_schemas(compose_config):
    from orchestrl.errors import ConfigError

    with pytest.raises(ConfigError, match="tools.jsonl"):
        open_cache(compose_config("world=booking", "cache=memory", NO_DATA))
