"""Real Booking tasks (train and eval traces) for the reward tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrl.api import Task
from orchestrl.plugins.worlds.booking.data import load_tasks, load_templates, load_tools


@pytest.fixture(scope="session")
def train_tasks(booking_dir: Path) -> list[Task]:
    tools, templates = load_tools(booking_dir), load_templates(booking_dir)
    return load_tasks(booking_dir / "train_101.jsonl", tools, templates)


@pytest.fixture(scope="session")
def eval_tasks(booking_dir: Path) -> list[Task]:
    tools, templates = load_tools(booking_dir), load_templates(booking_dir)
    return load_tasks(booking_dir / "eval_80.jsonl", tools, templates)


@pytest.fixture(scope="session")
def all_tasks(train_tasks: list[Task], eval_tasks: list[Task]) -> list[Task]:
    return train_tasks + eval_tasks
