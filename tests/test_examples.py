"""The examples are real programs: each runs here on the tiny model."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

REPO_ROOT = Path(__file__).resolve().parents[1]

# peft 0.21 and trl read transformers 5's deprecated `is_gradient_checkpointing` alias.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
)


def test_grpo_with_trl_trains_one_step_through_the_public_parts(
    tmp_path: Path, booking_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = REPO_ROOT / "examples" / "grpo_with_trl.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--model", "tiny", "--steps", "1",
                                      "--out", str(tmp_path), f"data_dir={booking_dir}",
                                      "trainer.data.limit=2"])
    namespace = runpy.run_path(str(script), run_name="example")
    last = namespace["main"]()
    assert last["step"] == 1
    assert 0.0 <= last["reward"] <= 1.0
    assert "rewards/param_values/mean" in last, "each reward term reaches TRL as a function"
