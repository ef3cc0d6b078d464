"""The text memo reuses a value only for an equal text, and stays within its bound."""

from __future__ import annotations

import json

from orchestrl.plugins.rewards import task_codec
from orchestrl.plugins.rewards.text_memo import TextMemo, fingerprint


def fresh(text: str) -> str:
    """An equal text in a new string object (as TRL hands texts over)."""
    copy = json.loads(json.dumps(text))
    assert copy is not text
    return copy


def test_equal_texts_hit_and_texts_with_equal_ends_do_not() -> None:
    memo: TextMemo[int] = TextMemo(1_000_000)
    long = "a" * 500 + "middle" + "z" * 500
    other = "a" * 500 + "MIDDLE" + "z" * 500  # same length, head and tail
    assert fingerprint(long) == fingerprint(other)
    memo.put(long, 1)
    assert memo.get(fresh(long)) == 1
    assert memo.get(other) is None
    memo.put(other, 2)  # replaces the text holding that fingerprint
    assert memo.get(other) == 2 and memo.get(long) is None
    memo.put("short", 3)
    assert memo.get(fresh("short")) == 3 and memo.get("shorT") is None


def test_the_memo_is_bounded_by_characters_least_recent_first() -> None:
    memo: TextMemo[int] = TextMemo(8_000)
    texts = [f"{i:04d}" + "x" * 996 for i in range(12)]
    for i, text in enumerate(texts[:8]):
        memo.put(text, i)
    assert memo.chars == 8_000
    memo.get(texts[0])  # used: kept
    memo.put(texts[8], 8)
    assert memo.chars <= 8_000
    assert memo.get(texts[0]) == 0 and memo.get(texts[1]) is None
    memo.put("y" * 1_001, 9)  # longer than max_chars // 8: never held
    assert memo.get("y" * 1_001) is None
    memo.clear()
    assert len(memo) == 0 and memo.chars == 0


def test_task_texts_decode_once_and_only_for_equal_texts(train_tasks) -> None:
    first, second = (task_codec.task_to_json(t) for t in train_tasks[:2])
    task = task_codec.task_from_json(first)
    assert task_codec.task_from_json(fresh(first)) is task
    assert task_codec.task_from_json(second) is not task
    assert task_codec.task_from_json(second).id == train_tasks[1].id
    changed = first.replace(train_tasks[0].query, train_tasks[0].query + "?", 1)
    assert len(changed) > len(first)
    assert task_codec.task_from_json(changed).query == train_tasks[0].query + "?"
