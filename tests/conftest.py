"""Test isolation and shared fixtures.

Tests never see plugins the developer happens to have installed: entry-point autoload is off
unless a test turns it on. The real Booking data is read from ``ORCHESTRL_DATA_DIR`` or
``../shared/data/booking`` beside the checkout; it is never copied into the project.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["ORCHESTRL_DISABLE_PLUGIN_AUTOLOAD"] = "1"
os.environ.pop("ORCHESTRL_BLOCK_PLUGINS", None)

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def booking_dir() -> Path:
    """The directory of the real Booking data (tools, templates, traces)."""
    path = Path(os.environ.get("ORCHESTRL_DATA_DIR", REPO_ROOT.parent / "shared/data/booking"))
    if not (path / "tools.jsonl").is_file():
        pytest.skip(f"real Booking data not found at {path}; set ORCHESTRL_DATA_DIR")
    return path
