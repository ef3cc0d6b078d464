"""The replayer remembers a bounded number of answers: memory stays bounded on large caches,
forgotten calls are simply sent again, and the outcome never changes."""

from __future__ import annotations

import copy

from orchestrl.plugins.env.environment import CachedEnvironment
from orchestrl.plugins.synthesis.verify import Replayer


def fresh(tasks):
    tasks = copy.deepcopy(tasks)
    for task in tasks:
        for step in task.steps:
            step.response = None
    return tasks


def test_bounded_memo_forgets_oldest_and_gives_the_same_verdicts(seed_cache, train_tasks):
    env = CachedEnvironment(seed_cache.schemas, seed_cache, "strict")
    unbounded, bounded = Replayer(env), Replayer(env, memo_size=8)
    tasks = fresh(train_tasks)
    verdicts = [unbounded.replay(t) for t in tasks]
    again = fresh(train_tasks)
    assert [bounded.replay(t) for t in again] == verdicts
    assert any(v is None for v in verdicts)
    longest = max(len(t.steps) for t in tasks)
    assert len(bounded.answers) <= 8 + longest
    assert len(unbounded.answers) > 8 + longest
    for done, other in zip(again, tasks, strict=True):
        assert [s.response for s in done.steps] == [s.response for s in other.steps]
    # a second pass: the unbounded one sends nothing more, the bounded one resends
    sent = unbounded.calls_sent, bounded.calls_sent
    for task in fresh(train_tasks):
        unbounded.replay(task)
    for task in fresh(train_tasks):
        bounded.replay(task)
    assert unbounded.calls_sent == sent[0]
    assert bounded.calls_sent > sent[1]
