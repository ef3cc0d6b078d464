"""The real SmolLM2 on a ComplexFuncBench subset, before and after the SFT warm start (slow).

Trains the default ``trainer=sft`` (LoRA, 30 steps on the synthesized traces) and evaluates the
base model and the adapter on the same items with the same prompt budget as training (short
tool messages, compact tool descriptions). Prints both rows of figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from orchestrl.build import build

pytestmark = [
    pytest.mark.slow,
    # peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
    pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"),
]

SUBSET = 8


def _format_errors_per_turn(output_dir: Path) -> float:
    import json

    rows = [json.loads(line) for line in (output_dir / "cfb_items.jsonl").read_text().splitlines()]
    turns = sum(r["model_turns"] for r in rows)
    errors = sum(1 for r in rows for e in r["errors"] if e["kind"] == "format_error")
    return errors / turns if turns else math.nan


def test_smollm2_before_and_after_sft_warm_start(
    plugin_host, compose_config, booking_dir: Path, tmp_path: Path
) -> None:
    from orchestrl.plugins.training.sft import train_sft

    common = ["world=booking", f"data_dir={booking_dir}", "cache=memory", "policy=transformers",
              "policy.max_new_tokens=160", f"benchmark.limit={SUBSET}",
              "benchmark.max_model_turns=6", "benchmark.response_chars=512",
              "benchmark.tool_description_chars=0", "benchmark.progress=false",
              "benchmark.plots=false"]
    trained = train_sft(compose_config(*common, "trainer=sft",
                                       f"trainer.output_dir={tmp_path / 'sft'}"))
    figures = {}
    for label, extra in (("before", []), ("after", [f"policy.adapter={trained['final']}"])):
        cfg = compose_config(*common, *extra)
        out = tmp_path / label
        metrics = build(cfg.benchmark).evaluate(build(cfg.policy), output_dir=out)
        figures[label] = {**metrics, "format_errors_per_turn": _format_errors_per_turn(out)}
    for label, row in figures.items():
        print(label, {k: round(v, 3) for k, v in row.items()})
    before, after = figures["before"], figures["after"]
    # format errors are not compared: a model that never calls has none
    assert after["turn_accuracy"] >= before["turn_accuracy"]
