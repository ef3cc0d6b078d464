"""The fixture distribution tests/fixtures/orchestrl-brevity, pip-installed by CI and `make test`,
is discovered through the `orchestrl` entry-point group and usable next to the built-ins."""

import importlib.metadata
import os
import subprocess
import sys

import pytest

try:
    importlib.metadata.distribution("orchestrl-brevity")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - CI installs it
    pytest.skip(
        "fixture plugin not installed: pip install tests/fixtures/orchestrl-brevity",
        allow_module_level=True,
    )


def orchestrl(*args, tmp_path, **env):
    environ = {**os.environ, "ORCHESTRL_DISABLE_PLUGIN_AUTOLOAD": "", **env}
    environ["ORCHESTRL_OUTPUT_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "orchestrl.cli", *args],
        capture_output=True, text=True, env=environ, timeout=120, cwd=tmp_path,
    )


def test_fixture_plugin_is_listed_with_its_distribution_and_component(tmp_path):
    result = orchestrl("plugins", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "brevity (orchestrl-brevity 0.1.0)" in result.stdout
    assert "reward_term: brevity" in result.stdout


def test_block_switch_removes_the_fixture_plugin(tmp_path):
    result = orchestrl("plugins", tmp_path=tmp_path, ORCHESTRL_BLOCK_PLUGINS="brevity")
    assert result.returncode == 0, result.stderr
    assert "brevity" not in result.stdout


def test_fixture_term_is_selectable_next_to_builtins_in_a_multirun(tmp_path):
    result = orchestrl(
        "config", "-m", "+reward_term@reward.terms.brevity=brevity",
        "reward.terms.brevity.max_chars=10,20", tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("_target_: orchestrl_brevity.Brevity") == 2
    assert "max_chars: 10" in result.stdout and "max_chars: 20" in result.stdout
    assert "orchestrl.plugins.rewards.format_validity.FormatValidity" in result.stdout


def test_fixture_term_builds_and_scores(plugin_host_factory, compose_config):
    from orchestrl.api import Task, Trajectory
    from orchestrl.build import build_reward_terms

    plugin_host_factory(autoload=True)
    cfg = compose_config("+reward_term@reward.terms.brevity=brevity",
                         "reward.terms.brevity.max_chars=4")
    terms = build_reward_terms(cfg.reward)
    brevity, weight = terms["brevity"]
    task = Task("t", "q", [], [])
    assert weight == 1.0
    assert brevity.score(Trajectory("t", [], [], final_answer="12345678"), task) == 0.5
    assert brevity.score(Trajectory("t", [], [], final_answer="ok"), task) == 1.0
