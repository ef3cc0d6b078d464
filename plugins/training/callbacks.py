"""Trainer callbacks: a loud warning when GRPO groups carry no learning signal.

GRPO's advantage is the reward minus its group mean, so a group whose rollouts all score the
same contributes nothing. TRL logs the share of such groups as ``frac_reward_zero_std``; when it
exceeds ``threshold`` the run is mostly burning compute, and :class:`ZeroStdWarning` says so on
stderr and in the log (raise temperature or group size, lower task difficulty, or warm-start
with SFT first).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from transformers import TrainerCallback

log = logging.getLogger(__name__)


class ZeroStdWarning(TrainerCallback):
    """Warns whenever a logged ``frac_reward_zero_std`` exceeds ``threshold``."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.warnings = 0

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None,
               **kwargs: Any) -> None:
        value = (logs or {}).get("frac_reward_zero_std")
        if value is None or value <= self.threshold:
            return
        self.warnings += 1
        message = (
            f"WARNING: {value:.0%} of GRPO groups at step {state.global_step} have zero reward "
            f"variance (threshold {self.threshold:.0%}); they give no gradient. Raise the "
            "temperature or num_generations, or warm-start with trainer=sft."
        )
        log.warning(message)
        print(f"\n\033[1;33m{message}\033[0m", file=sys.stderr)
