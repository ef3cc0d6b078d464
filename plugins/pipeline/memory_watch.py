"""The peak resident memory of a job's process tree while a stage runs.

A stage's memory is its own process's plus that of the processes it starts (the llama.cpp
server of an evaluation), so the peak is sampled: :class:`PeakRss` reads the resident set of
this process and of every descendant from ``/proc`` every ``interval`` seconds on a daemon
thread, and keeps the largest sum. Where ``/proc`` is missing (not Linux) it reports ``None``.
Sampling can miss a spike shorter than the interval, so where this process's own lifetime peak
(``ru_maxrss``) rose during the block, that new peak is a lower bound too.
"""

from __future__ import annotations

import resource
import threading
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")
INTERVAL_S = 0.25


def tree_rss_bytes(pid: int | None = None) -> int | None:
    """Resident bytes of process ``pid`` (default: this one) and all its descendants."""
    root = PROC / str(pid or "self")
    if not (root / "status").is_file():
        return None
    total, todo, seen = 0, [root.resolve().name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss(current)
        for task in (PROC / current / "task").glob("*/children"):
            try:
                todo.extend(task.read_text().split())
            except OSError:  # the task ended while we looked
                continue
    return total


def _rss(pid: str) -> int:
    try:
        for line in (PROC / pid / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _own_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class PeakRss:
    """``with PeakRss() as peak: ...`` then ``peak.bytes``: the largest resident size of this
    process tree seen while the block ran (None where ``/proc`` is missing)."""

    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.bytes: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakRss:
        self._own_before = _own_peak()
        self._sample()
        if self.bytes is not None:
            self._thread = threading.Thread(target=self._watch, name="peak-rss", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        own_after = _own_peak()
        if self.bytes is not None and own_after > self._own_before:  # a new peak, in this block
            self.bytes = max(self.bytes, own_after)

    @property
    def gib(self) -> float | None:
        return None if self.bytes is None else self.bytes / 2**30

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        found = tree_rss_bytes()
        if found is not None:
            self.bytes = found if self.bytes is None else max(self.bytes, found)
