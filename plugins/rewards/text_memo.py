"""A memo of values computed from long texts, looked up without hashing the whole text.

Scoring receives the same long texts again and again as new string objects (tool outputs in
TRL's ``tool`` messages, the task column of every row), and hashing a new 8,000-character
string costs more than the lookup it serves. :class:`TextMemo` is looked up by a text's
:func:`fingerprint` (its length, head and tail) and a hit is confirmed by comparing the
whole text, so a value is only ever reused for an equal text. It forgets the least recently
used texts first, keeping at most ``max_chars`` characters of text in all.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, TypeVar

V = TypeVar("V")

_EDGE = 96
"""Characters of each end of a text in its fingerprint."""


def fingerprint(text: str) -> str | tuple[int, str, str]:
    """The text itself when short, else its length, head and tail (equal texts: equal
    fingerprints; a fingerprint may stand for several texts, each checked in full)."""
    if len(text) <= 4 * _EDGE:
        return text
    return (len(text), text[:_EDGE], text[-_EDGE:])


class TextMemo(Generic[V]):
    """An LRU map from texts to values (one text per fingerprint, the last one stored),
    bounded by the total length of the texts held; a text longer than ``max_chars // 8``
    is never held."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self._entries: OrderedDict[Any, tuple[str, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, text: str) -> V | None:
        """The value stored for a text equal to ``text``, or None."""
        key = fingerprint(text)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == text:
            self._entries.move_to_end(key)
            return hit[1]
        return None

    def put(self, text: str, value: V) -> None:
        """Store ``value`` for ``text`` (replacing the text that had its fingerprint)."""
        if len(text) > self.max_chars // 8:
            return
        key = fingerprint(text)
        replaced = self._entries.pop(key, None)
        if replaced is not None:
            self.chars -= len(replaced[0])
        self._entries[key] = (text, value)
        self.chars += len(text)
        while self.chars > self.max_chars:
            _, (evicted, _) = self._entries.popitem(last=False)
            self.chars -= len(evicted)

    def clear(self) -> None:
        """Forget every text."""
        self._entries.clear()
        self.chars = 0
