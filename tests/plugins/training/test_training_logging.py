"""Training logs go where the config says: `trainer.args.report_to=tensorboard` writes event
files holding the training loss (TensorBoard is part of the `train` extra)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning",
    "ignore::DeprecationWarning",
)


def test_report_to_tensorboard_writes_loss_events(run_cli, tmp_path, booking_dir):
    pytest.importorskip("tensorboard", reason="tensorboard is installed by the train extra")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "sft"
    result = run_cli("train", "trainer=sft", "policy.model=tiny", "cache=memory",
                     f"data_dir={booking_dir}", "trainer.data.limit=2", "trainer.data.holdout=1",
                     f"trainer.output_dir={out}", "trainer.args.max_steps=2",
                     "trainer.args.logging_steps=1", "trainer.args.report_to=tensorboard")
    assert result.exit_code == 0, result.stderr
    (events,) = out.rglob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events.parent))
    accumulator.Reload()
    losses = accumulator.Scalars("train/loss")
    assert [event.step for event in losses] == [1, 2]
    assert all(event.value > 0 for event in losses)
