from __future__ import annotations

from orchestrl.plugins.samplers.unconstrained import UnconstrainedSampler
from orchestrl.plugins.synthesis.derivability import derivability_problems


def test_baseline_keeps_only_traces_that_hit(booking_dir, seed_cache) -> None:
    sampler = UnconstrainedSampler(data_dir=str(booking_dir), cache=seed_cache, progress=False,
                                   max_attempts=3000)
    tasks = list(sampler.sample(5, seed=0))
    summary = sampler.summary
    assert summary.attempts <= 3000
    assert summary.valid == len(tasks)
    assert summary.dropped["miss"] > 0
    for task in tasks:
        for step in task.steps:
            entry = seed_cache.lookup(step.function, step.arguments)
            assert entry is not None and entry.response == step.response
        assert derivability_problems(task) == []


def test_baseline_is_far_less_efficient_than_constrained(booking_dir, seed_cache) -> None:
    from orchestrl.plugins.samplers.constrained import ConstrainedSampler

    base = UnconstrainedSampler(data_dir=str(booking_dir), cache=seed_cache, progress=False,
                                max_attempts=2000)
    list(base.sample(100, seed=0))
    constrained = ConstrainedSampler(data_dir=str(booking_dir), cache=seed_cache, progress=False)
    list(constrained.sample(100, seed=0))
    rate = constrained.summary.valid / constrained.summary.attempts
    assert rate > 10 * (base.summary.valid / base.summary.attempts)
