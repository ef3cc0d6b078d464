"""Every reward preset composes and builds; a third-party term sits next to the built-ins."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orchestrl import hookimpl
from orchestrl.api import RewardTerm, Task, Trajectory
from orchestrl.host import BUILTIN_PLUGINS
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.gold import gold_trajectory
from orchestrl.registry import Registry, RewardTermConfig

PRESETS = {
    "graduated": {
        "function_name",
        "param_names",
        "param_types",
        "param_values",
        "execution",
        "orchestration",
        "format",
        "binary",
    },
    "atomic_only": {"function_name", "param_names", "param_types", "param_values", "execution"},
    "orch_only": {"orchestration"},
    "binary": {"binary"},
    "paper": {"paper_atomic", "paper_orchestration"},
    "format_only": {"format"},
}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_composes_builds_and_scores_gold(preset, plugin_host, compose_config, eval_tasks):
    reward = CombinedReward.from_config(compose_config(f"reward={preset}").reward)
    assert set(reward.names) == PRESETS[preset]
    assert sum(reward.weights) == pytest.approx(1.0)
    task = eval_tasks[0]
    breakdown = reward.breakdown(gold_trajectory(task), task)
    assert 0.0 <= breakdown.total <= 1.0
    assert set(breakdown.terms) == PRESETS[preset]


def test_every_builtin_term_is_registered_with_a_documented_formula(plugin_host) -> None:
    registry = plugin_host.registry("reward_term")
    built_in = set().union(*PRESETS.values()) | {"efficiency"}
    assert built_in <= set(registry.names())
    for name in built_in:
        module = __import__(registry.get(name).cls.__module__, fromlist=["_"])
        assert "Formula" in (module.__doc__ or ""), name


def test_term_options_are_overridable(plugin_host, compose_config) -> None:
    cfg = compose_config(
        "reward=paper",
        "reward.terms.paper_atomic.response_chars=0",
        "+reward_term@reward.terms.efficiency=efficiency",
        "reward.terms.efficiency.slack=2",
        "reward.terms.efficiency.weight=0",
    )
    reward = CombinedReward.from_config(cfg.reward)
    assert reward.terms["paper_atomic"][0].response_chars == 0
    assert reward.terms["efficiency"][0].slack == 2


# ------------------------------------------------- a third-party term, registered by this module


@dataclass
class AnsweredConfig(RewardTermConfig):
    """No options beyond the weight."""


class Answered(RewardTerm):
    """Formula: 1 when the trajectory ends with a non-empty final answer, else 0."""

    def score(self, trajectory: Trajectory, task: Task) -> float:
        return 1.0 if trajectory.final_answer else 0.0


@hookimpl
def orchestrl_register_reward_term(registry: Registry) -> None:
    registry.add("answered", Answered, config=AnsweredConfig)


@pytest.fixture
def third_party_host(plugin_host_factory):
    return plugin_host_factory(builtins=(*BUILTIN_PLUGINS, __name__))


def test_third_party_term_joins_a_preset(third_party_host, compose_config, eval_tasks) -> None:
    cfg = compose_config(
        "reward=graduated",
        "+reward_term@reward.terms.answered=answered",
        "reward.terms.answered.weight=0.25",
    )
    reward = CombinedReward.from_config(cfg.reward)
    assert reward.names[-1] == "answered" and reward.weights[-1] == 0.25
    task = eval_tasks[0]
    gold = gold_trajectory(task)
    assert reward.breakdown(gold, task).terms["answered"] == 0.0
    gold.final_answer = "Here are the packages."
    assert reward.breakdown(gold, task).total == pytest.approx(1.25)


def test_third_party_term_in_a_multirun_ablation(third_party_host, run_cli) -> None:
    result = run_cli(
        "config",
        "-m",
        "reward=graduated,paper,orch_only",
        "+reward_term@reward.terms.answered=answered",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count(f"_target_: {Answered.__module__}.Answered") == 3
    assert "PaperOrchestration" in result.stdout and "ParamValues" in result.stdout
