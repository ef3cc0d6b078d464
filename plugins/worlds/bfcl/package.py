"""Access to the installed ``bfcl-eval`` package: its data files and its backend classes.

Importing ``bfcl_eval`` modules can create result folders under ``BFCL_PROJECT_ROOT`` (inside
site-packages when the variable is unset), so :func:`ensure_project_root` points it at a
directory of ours, ``$ORCHESTRL_HOME/bfcl`` (:func:`orchestrl.home.bfcl_root`), before any
``bfcl_eval`` import. Only the narrow modules the multi-turn world needs are imported: the
executable backends (which need ``mpmath``) and the checker's pure comparison functions.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType

from orchestrl.errors import DataError
from orchestrl.home import bfcl_root

BACKEND_MODULE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
CHECKER_MODULE = "bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker"

BACKEND_MODULES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
"""Backend class name -> module (and function-doc file stem) of the multi-turn categories."""

FUNC_DOC_FILES: dict[str, str] = {name: f"{mod}.json" for name, mod in BACKEND_MODULES.items()}
"""Backend class name -> its function-doc file under ``data/multi_turn_func_doc``."""

STATELESS_CLASSES = frozenset({"MathAPI"})
"""Backends built without a scenario (BFCL's ``STATELESS_CLASSES``)."""


def ensure_project_root() -> Path:
    """Set ``BFCL_PROJECT_ROOT`` to our directory unless the user set it; return it."""

    root = bfcl_root()
    os.environ["BFCL_PROJECT_ROOT"] = str(root)
    return root


def package_dir() -> Path:
    """The installed ``bfcl_eval`` package directory; DataError when it is not installed."""
    ensure_project_root()
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or spec.origin is None:
        raise DataError(
            "the bfcl-eval package is not installed; install bfcl-eval==2026.3.23 with --no-deps "
            "and mpmath==1.3.0"
        )
    return Path(spec.origin).parent


def data_dir() -> Path:
    """``bfcl_eval/data``: questions, possible answers and multi-turn function docs."""
    return package_dir() / "data"


def import_bfcl(module: str) -> ModuleType:
    """Import a ``bfcl_eval`` module after pointing ``BFCL_PROJECT_ROOT`` at our directory."""
    package_dir()
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DataError(f"cannot import '{module}' from bfcl-eval: {exc}") from None


def backend_class(class_name: str) -> type:
    """The executable backend class called ``class_name`` (e.g. ``GorillaFileSystem``)."""
    try:
        module = BACKEND_MODULES[class_name]
    except KeyError:
        known = ", ".join(sorted(BACKEND_MODULES))
        raise DataError(f"unknown bfcl backend class '{class_name}'; known: {known}") from None
    return getattr(import_bfcl(f"{BACKEND_MODULE}.{module}"), class_name)
