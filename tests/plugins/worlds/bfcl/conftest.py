"""Fixtures of the BFCL world tests: the package's real entries, and BFCL's own checker.

The tests need the ``bfcl-eval`` package (installed ``--no-deps`` with ``mpmath``); they are
skipped when it is missing.
"""

from __future__ import annotations

import copy
import inspect
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
pytest.importorskip("mpmath", reason="mpmath (needed by the bfcl backends) is not installed")

from orchestrl.api import ToolCall
from orchestrl.plugins.worlds.bfcl.calls import format_call
from orchestrl.plugins.worlds.bfcl.entries import BfclEntry, load_entries
from orchestrl.plugins.worlds.bfcl.package import (
    BACKEND_MODULES,
    CHECKER_MODULE,
    backend_class,
    ensure_project_root,
    import_bfcl,
)


@pytest.fixture(scope="session", autouse=True)
def _bfcl_project_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep anything bfcl-eval writes under a temporary directory."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BFCL_PROJECT_ROOT", str(tmp_path_factory.mktemp("bfcl_root")))
    ensure_project_root()
    yield
    mp.undo()


@pytest.fixture(scope="session")
def base_entries() -> list[BfclEntry]:
    """The 200 entries of ``multi_turn_base``."""
    return load_entries("multi_turn_base")


@pytest.fixture(scope="session")
def restore_bfcl_defaults() -> Callable[[], None]:
    """Put back the pristine mutable defaults of the backend methods.

    BFCL's eval-based executor passes the shared default lists (``post_tweet(mentions=[])``),
    which later calls mutate; call this before running BFCL's own code.
    """
    saved = {}
    for class_name in BACKEND_MODULES:
        for _, function in inspect.getmembers(backend_class(class_name), inspect.isfunction):
            saved[function] = copy.deepcopy(function.__defaults__)

    def restore() -> None:
        for function, defaults in saved.items():
            function.__defaults__ = copy.deepcopy(defaults)

    return restore


@pytest.fixture(scope="session")
def bfcl_reference(
    restore_bfcl_defaults: Callable[[], None],
) -> Callable[[BfclEntry, list[list[list[ToolCall]]]], dict[str, Any]]:
    """BFCL's own ``multi_turn_checker`` (eval-based) on calls we wrote ourselves.

    BFCL's executor keeps instances in module globals by model name, so each run gets a fresh
    model name, and the pristine defaults back.
    """
    checker = import_bfcl(CHECKER_MODULE)
    counter = itertools.count()

    def run(entry: BfclEntry, turns: list[list[list[ToolCall]]]) -> dict[str, Any]:
        restore_bfcl_defaults()
        decoded = [[[format_call(c) for c in step] for step in turn if step] for turn in turns]
        test_entry = {
            "id": entry.id,
            "initial_config": entry.initial_config,
            "involved_classes": entry.involved_classes,
        }
        return checker.multi_turn_checker(
            decoded, entry.ground_truth, test_entry, entry.category, f"orl_ref_{next(counter)}"
        )

    return run
