"""Running named stages through the artifact store, with progress and a log.

Shared by ``orchestrl run`` and the study: each stage prints a rule and its outcome on stderr,
writes its start, end, wall time, peak memory (this process and its children: the engine's
server) and summary to the job's ``run.log``, and frees the models it
loaded before the next stage starts (so a job's peak is its largest stage's, not their sum).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from orchestrl.plugins.pipeline.artifacts import ArtifactStore, StageResult
from orchestrl.plugins.pipeline.memory_watch import PeakRss
from orchestrl.plugins.training.memory import release_freed_memory


class StageRunner:
    """Runs stages in ``store``, logging to stderr and to ``log_file``; keeps their results."""

    def __init__(self, store: ArtifactStore, log_file: TextIO) -> None:
        self.store = store
        self.console = Console(stderr=True)
        self.log_file = log_file
        self.logged = Console(file=log_file, width=100, no_color=True, log_path=False)
        self.results: dict[str, StageResult] = {}
        self.seconds: dict[str, float] = {}
        self.peak_gib: dict[str, float | None] = {}
        """Per stage, the peak resident memory of this process and its children (GiB)."""

    def __call__(self, name: str, config: Any, inputs: list[str],
                 body: Callable[[Path], dict[str, Any]], *, resumable: bool = False) -> StageResult:
        """Run (or reuse) stage ``name``; see :meth:`ArtifactStore.run` (``resumable``: the
        body continues from what an interrupted run of the same stage wrote)."""
        self.console.rule(f"[bold]stage {name}")
        self.log(f"stage {name}: started")
        started = time.perf_counter()
        with PeakRss() as peak:
            try:
                result = self.store.run(name, config, inputs, body, resumable=resumable)
            finally:  # the stage's trainer or policy (and its model) must not outlive it
                release_freed_memory()
        verb = "skipped (unchanged)" if result.skipped else "done"
        seconds = self.seconds[name] = time.perf_counter() - started
        self.peak_gib[name] = peak.gib
        memory = f", peak {peak.gib:.2f} GiB" if peak.gib is not None else ""
        self.console.print(f"{name}: {verb} in {seconds:.0f} s{memory} -> {result.directory}")
        self.log(f"stage {name}: {verb} in {seconds:.1f} s{memory} -> {result.directory} "
                 f"{json.dumps(result.summary, default=str)[:2000]}")
        self.results[name] = result
        return result

    def log(self, message: str) -> None:
        """One timestamped line in ``run.log``, flushed."""
        self.logged.log(message)
        self.log_file.flush()
