"""While a sampler runs, young garbage collections are rarer; afterwards (finished, closed
early, or failed) the process's thresholds are exactly what they were."""

from __future__ import annotations

import gc

import pytest

from orchestrl.plugins.samplers.constrained import ConstrainedSampler
from orchestrl.plugins.samplers.unconstrained import UnconstrainedSampler
from orchestrl.plugins.synthesis.collector import THRESHOLD


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*before)


@pytest.mark.parametrize("cls", [ConstrainedSampler, UnconstrainedSampler])
def test_thresholds_raised_while_sampling_and_restored_after(cls, thresholds, booking_dir,
                                                               seed_cache):
    sampler = cls(data_dir=str(booking_dir), cache=seed_cache, progress=False,
                  max_attempts=300)
    seen = []
    call = sampler.env.call

    def watched(*args, **kwargs):
        seen.append(gc.get_threshold())
        return call(*args, **kwargs)

    sampler.env.call = watched
    list(sampler.sample(3, seed=1))
    assert seen and all(t == (THRESHOLD, 10, 10) for t in seen)
    assert gc.get_threshold() == thresholds
    if cls is ConstrainedSampler:  # the baseline rarely yields at all on the seed cache
        early = sampler.sample(50, seed=2)
        next(early)
        assert gc.get_threshold()[0] == THRESHOLD
        early.close()
        assert gc.get_threshold() == thresholds


def test_a_failing_consumer_still_restores(thresholds, booking_dir, seed_cache):
    sampler = ConstrainedSampler(data_dir=str(booking_dir), cache=seed_cache, progress=False)

    def consume() -> None:
        for _ in sampler.sample(10, seed=0):
            raise RuntimeError("consumer failed")

    with pytest.raises(RuntimeError, match="consumer"):
        consume()
    assert gc.get_threshold() == thresholds
