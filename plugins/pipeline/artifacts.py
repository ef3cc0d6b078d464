"""Content-addressed stage outputs, so that a rerun resumes instead of starting over.

A stage's key is the SHA-256 of its name, its config (resolved, canonical JSON) and the keys of
the stages it consumes. Its outputs live in ``<root>/<stage>-<key[:16]>/``; a stage is done when
that directory holds ``stage.json`` (written last, atomically). A rerun with the same key finds
it and skips the stage; a changed config or input gives a new key and a fresh directory, so no
earlier result is overwritten or half-written.

A stage whose body can pick up its own partial output (``resumable``: the evaluations, whose
runner keeps each finished item, :mod:`~orchestrl.plugins.benchmarks.resume`) works in a scratch
directory named by its key, ``.<stage>-<key[:16]>.partial``, that an interruption leaves in
place, so the next run with the same key continues from it; any other stage starts from an
empty scratch directory of its own.

Concurrent jobs (a joblib multirun) that need the same stage take an exclusive lock on its key
first: one computes it, the others wait and then reuse its result instead of computing it
again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "stage.json"


@dataclass(frozen=True)
class StageResult:
    """A finished stage: where its outputs are, its key, and what it reported."""

    name: str
    key: str
    directory: Path
    summary: dict[str, Any]
    skipped: bool
    seconds: float | None = None
    """How long the stage's body ran when it was computed (also when this run reused it)."""


def content_key(name: str, config: Any, inputs: Iterable[str] = ()) -> str:
    """SHA-256 over the stage name, its config as canonical JSON, and its input keys."""
    payload = json.dumps(
        {"stage": name, "config": config, "inputs": sorted(inputs)},
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def hash_files(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of files (directories are walked in sorted order)."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode("utf-8") + b"\0")
            with file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


class ArtifactStore:
    """Directory of finished stages, keyed by content."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def directory(self, name: str, key: str) -> Path:
        """Where the outputs of stage ``name`` with ``key`` live."""
        return self.root / f"{name}-{key[:16]}"

    def run(
        self,
        name: str,
        config: Any,
        inputs: Iterable[str],
        body: Callable[[Path], dict[str, Any]],
        *,
        resumable: bool = False,
    ) -> StageResult:
        """Return the finished stage for this key, running ``body(work_dir)`` only if needed.

        ``body`` writes its outputs into ``work_dir`` and returns a JSON-compatible summary (paths
        in it that point into ``work_dir`` are rewritten to the final directory). It runs in a
        scratch directory that is renamed into place only when it returns, so an
        interrupted stage leaves nothing that a later run could mistake for a result. With
        ``resumable`` the scratch directory is the key's own and kept across runs (the lock
        below makes it one job's at a time), so ``body`` finds what an interrupted run wrote.
        """
        key = content_key(name, config, inputs)
        final = self.directory(name, key)
        marker = final / MARKER
        if marker.is_file():
            return self._finished(name, key, final)
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock(final):
            if marker.is_file():  # another job computed it while this one waited
                return self._finished(name, key, final)
            return self._compute(name, key, final, config, list(inputs), body, resumable)

    @staticmethod
    def _finished(name: str, key: str, final: Path, skipped: bool = True) -> StageResult:
        record = json.loads((final / MARKER).read_text(encoding="utf-8"))
        return StageResult(name, key, final, record["summary"], skipped=skipped,
                           seconds=record.get("seconds"))

    @contextlib.contextmanager
    def _lock(self, final: Path) -> Iterator[None]:
        """An exclusive lock on one stage key, across processes (released on exit or crash)."""
        with (self.root / f".{final.name}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _compute(self, name: str, key: str, final: Path, config: Any, inputs: list[str],
                 body: Callable[[Path], dict[str, Any]], resumable: bool) -> StageResult:
        if resumable:
            scratch = self.root / f".{final.name}.partial"
        else:
            scratch = self.root / f".{final.name}.{os.getpid()}.tmp"
            shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True, exist_ok=True)
        started = time.time()
        summary = body(scratch)
        record = {"stage": name, "key": key, "config": config, "inputs": inputs,
                  "seconds": round(time.time() - started, 3), "summary": summary}
        # the body saw the scratch directory: its summary must name the final one
        text = json.dumps(record, indent=2, default=str).replace(str(scratch), str(final))
        tmp_marker = scratch / f".{MARKER}.tmp"
        tmp_marker.write_text(text, encoding="utf-8")
        os.replace(tmp_marker, scratch / MARKER)
        if final.exists():  # a concurrent run finished the same stage first: keep theirs
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            os.replace(scratch, final)
        return self._finished(name, key, final, skipped=False)
