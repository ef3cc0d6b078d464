"""Resumable runs of a benchmark over many items, shared by ComplexFuncBench and BFCL.

:func:`run_resumable` plays items and appends each item's record (one JSON object per line)
to a results file as soon as the item finishes, flushed. On a rerun into the same directory
it reads the file back and plays only the items whose id is not in it:

* a line cut short by an interruption (or otherwise not a record) is dropped, the earlier
  lines are kept, and the file is rewritten without it; for an id written twice the last
  record wins;
* the settings the records were computed under (the benchmark's options that change an
  item's record, and the policy's :meth:`~orchestrl.api.Policy.identity`) are kept beside the
  file in ``<file>.settings.json``; a rerun under other settings, or into a results file without
  one, is a one-line :class:`~orchestrl.errors.ConfigError` naming the file and what differs.
  Which items are selected is not a setting: a run over more items reuses the records of the
  items it shares with an earlier run;
* when every item is done the file is rewritten with the records of exactly the run's items,
  in the items' order (what the benchmark's summary covers).

Items run in threads (``workers`` at once) when the caller says the policy is parallel-safe;
records are returned in the items' order either way, so the results are those of a serial run.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

from tqdm import tqdm

from orchestrl.api import JSON, Task
from orchestrl.errors import ConfigError

R = TypeVar("R")

SETTINGS_SUFFIX = ".settings.json"


class ResultFile(Generic[R]):
    """A JSONL file of per-item records, each decoded to ``R`` and keyed by its ``id``.

    ``encode`` turns a record into a JSON object with an ``"id"`` field; ``decode`` reads one
    back and raises (``TypeError``, ``KeyError``, ``ValueError``, ``AttributeError``) on
    anything that is not such a record.
    """

    def __init__(self, path: Path, encode: Callable[[R], dict[str, Any]],
                 decode: Callable[[dict[str, Any]], R]) -> None:
        self.path = Path(path)
        self.encode = encode
        self.decode = decode
        self.settings_path = self.path.with_name(self.path.name + SETTINGS_SUFFIX)
        self._lock = threading.Lock()

    def read(self) -> dict[str, R]:
        """The records in the file by id (none when it is missing); damaged lines are dropped
        and the file rewritten without them."""
        if not self.path.is_file():
            return {}
        found: dict[str, R] = {}
        kept: list[str] = []
        damaged = False
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                    key = str(record["id"])
                    found[key] = self.decode(record)
                except (json.JSONDecodeError, TypeError, KeyError, ValueError, AttributeError):
                    damaged = damaged or bool(line.strip())
                    continue
                kept.append(line if line.endswith("\n") else line + "\n")
        if damaged:
            self._replace("".join(kept))
        return found

    def check_settings(self, settings: dict[str, JSON]) -> None:
        """Raise ConfigError when the file holds records of other settings; record the
        settings when it holds none yet."""
        wanted = json.loads(json.dumps(settings, sort_keys=True, default=str))
        if self.settings_path.is_file():
            stored = json.loads(self.settings_path.read_text(encoding="utf-8"))
            if stored != wanted:
                names = sorted(k for k in {*stored, *wanted} if stored.get(k) != wanted.get(k))
                raise ConfigError(
                    f"'{self.path}' holds results computed with other settings (differs in "
                    f"{', '.join(names)}); use another output directory or delete the file")
            return
        if self.path.is_file() and self.path.stat().st_size:
            raise ConfigError(f"'{self.path}' holds results of unknown settings (no "
                              f"{self.settings_path.name}); use another output directory or "
                              "delete the file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.settings_path.write_text(json.dumps(wanted, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")

    def append(self, record: R) -> None:
        """Append one record and flush it (safe from several threads)."""
        line = json.dumps(self.encode(record), ensure_ascii=False, default=str) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()

    def rewrite(self, records: Sequence[R]) -> None:
        """Replace the file by ``records``, in this order (atomically)."""
        self._replace("".join(json.dumps(self.encode(r), ensure_ascii=False, default=str) + "\n"
                              for r in records))

    def _replace(self, text: str) -> None:
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)


def run_resumable(
    items: Sequence[Task],
    play: Callable[[Task], R],
    results: ResultFile[R],
    settings: dict[str, JSON],
    *,
    workers: int = 1,
    parallel: bool = False,
    desc: str = "items",
    progress: bool = True,
) -> list[R]:
    """Play every item of ``items`` whose id is not yet in ``results`` (after checking
    ``settings``), appending each record as it finishes; return the records of ``items`` in
    their order. With ``parallel`` and ``workers > 1``, that many items are in flight at once;
    on an error or Ctrl-C no new item starts, those running finish, and what finished is kept."""
    results.check_settings(settings)
    done = results.read()
    todo = [task for task in items if task.id not in done]
    lock = threading.Lock()
    bar = tqdm(total=len(items), initial=len(items) - len(todo), desc=desc, unit="item",
               disable=not progress)

    def one(task: Task) -> None:
        record = play(task)
        results.append(record)
        with lock:
            done[task.id] = record
            bar.update()

    in_flight = min(workers, len(todo)) if parallel else 1
    pool = ThreadPoolExecutor(max_workers=in_flight) if in_flight > 1 else None
    try:
        if pool is not None:
            list(pool.map(one, todo))
        else:
            for task in todo:
                one(task)
    finally:
        if pool is not None:  # on failure or Ctrl-C: no new items, wait for those running
            pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    ordered = [done[task.id] for task in items]
    results.rewrite(ordered)
    return ordered


def class_name(component: object) -> str | None:
    """A component's class as a setting (``module.Qualname``); None for None."""
    if component is None:
        return None
    cls = type(component)
    return f"{cls.__module__}.{cls.__qualname__}"
