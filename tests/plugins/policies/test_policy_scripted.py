"""The scripted policy: exact gold replays, and each injected error doing what it says."""

from __future__ import annotations

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.scripted import ScriptedPolicy
from orchestrl.plugins.rollout.driver import rollout


def multi_step(tasks):
    return [t for t in tasks if len(t.steps) >= 3][:15]


def test_rates_outside_unit_interval_are_config_errors():
    with pytest.raises(ConfigError, match="wrong_value=1.5"):
        ScriptedPolicy(wrong_value=1.5)


def test_missing_step_at_rate_one_makes_no_call(train_tasks, make_env, graduated):
    task = multi_step(train_tasks)[0]
    policy = ScriptedPolicy(missing_step=1.0)
    trajectory = rollout(policy, make_env(), task)
    assert trajectory.calls == [] and trajectory.stop_reason == "answer"
    assert [kind for kind, _ in policy.injected] == ["missing_step"] * len(task.steps)
    assert graduated.score(trajectory, task) == 0.0


def test_unparsable_calls_stay_attempts(train_tasks, make_env, graduated):
    task = multi_step(train_tasks)[0]
    trajectory = rollout(ScriptedPolicy(unparsable=1.0), make_env(), task)
    assert len(trajectory.calls) == len(task.steps)
    assert all(r.call is None and r.parse_error for r in trajectory.calls)
    assert graduated.score(trajectory, task) == 0.0


def test_wrong_values_change_one_argument_per_call_and_lower_the_reward(
    train_tasks, make_env, graduated
):
    for task in multi_step(train_tasks):
        trajectory = rollout(ScriptedPolicy(wrong_value=1.0), make_env(), task)
        for record, step in zip(trajectory.calls, task.steps, strict=True):
            changed = [k for k in step.arguments if record.call.arguments[k] != step.arguments[k]]
            assert len(changed) == (1 if step.arguments else 0)
        assert graduated.score(trajectory, task) < 1.0


def test_wrong_order_swaps_two_adjacent_turns(train_tasks, make_env, graduated):
    task = multi_step(train_tasks)[0]
    policy = ScriptedPolicy(wrong_order=1.0)
    trajectory = rollout(policy, make_env(), task)
    names = [r.call.name for r in trajectory.calls]
    gold = [s.function for s in task.steps]
    assert sorted(names) == sorted(gold) and policy.injected[0][0] == "wrong_order"
    swapped = [i for i in range(len(gold)) if names[i] != gold[i]]
    assert len(swapped) in (0, 2)  # same-name neighbours swap invisibly
    if swapped:
        assert swapped[1] == swapped[0] + 1
        assert graduated.score(trajectory, task) < 1.0


def test_injections_are_reproducible_per_seed_and_vary_across_seeds(train_tasks):
    tasks = multi_step(train_tasks)

    def plan(seed):
        out = []
        for task in tasks:
            policy = ScriptedPolicy(wrong_value=0.3, missing_step=0.3, seed=seed)
            policy.begin_episode(task)
            out.append(list(policy.injected))
        return out

    assert plan(1) == plan(1)
    assert plan(1) != plan(2)


def test_mean_reward_falls_as_the_error_rate_rises(train_tasks, make_env, graduated):
    tasks = multi_step(train_tasks)

    def mean_reward(rate):
        policy = ScriptedPolicy(wrong_value=rate, missing_step=rate, seed=3)
        return sum(graduated.score(rollout(policy, make_env(), t), t) for t in tasks) / len(tasks)

    clean, some, most = mean_reward(0.0), mean_reward(0.3), mean_reward(0.8)
    assert clean == pytest.approx(1.0)
    assert clean > some > most
