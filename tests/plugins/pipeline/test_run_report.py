"""report.md of one run: links that resolve from the report's directory, filled summaries."""

from __future__ import annotations

import re
from pathlib import Path

from orchestrl.plugins.pipeline.artifacts import StageResult
from orchestrl.plugins.pipeline.run_report import write_run_report


def test_report_links_resolve_from_the_report_and_stage_summaries_show_metrics(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # artifacts are addressed relative to the working directory
    stage_dir = Path(".orchestrl/artifacts/eval_base/abc")
    stage_dir.mkdir(parents=True)
    (stage_dir / "results.md").write_text("# results\n")
    out = Path("outputs/2026-12-01/21-00-00")
    out.mkdir(parents=True)
    metrics = {"turn_accuracy": 0.25, "call_accuracy": 0.5}
    stages = {"eval_base": StageResult("eval_base", "abc", stage_dir, {"metrics": metrics}, False)}
    summary = {"world": "booking", "metrics": metrics, "metrics_before": None}
    report = write_run_report(summary, stages, out)
    text = report.read_text()
    links = re.findall(r"\]\(([^)]+)\)", text)
    local = [link for link in links if not link.endswith((".png", ".yaml", ".json"))]
    assert local, text
    for link in local:
        assert (report.parent / link).exists(), f"{link} does not resolve from {report.parent}"
    assert "metrics.turn_accuracy=0.250" in text and "{}" not in text


def test_the_report_states_the_paired_change_with_its_interval_in_one_sentence(
    tmp_path: Path
) -> None:
    from orchestrl.plugins.pipeline.intervals import interval, paired
    from orchestrl.plugins.pipeline.run_report import before_after_table, what_changed

    before = {f"e{i}": {"accuracy": (float(i % 4 == 0), 1.0)} for i in range(40)}
    after = {f"e{i}": {"accuracy": (float(i % 2 == 0), 1.0)} for i in range(40)}
    summary = {"world": "bfcl", "metrics": {"accuracy": 0.5}, "metrics_before": {"accuracy": 0.25},
               "intervals": {"accuracy": interval(after, "accuracy")},
               "intervals_before": {"accuracy": interval(before, "accuracy")},
               "changes": {"accuracy": paired(before, after, "accuracy")}}
    sentence = what_changed(summary)
    assert sentence.startswith("After training, accuracy changed by +0.250 [")
    assert "on the same 40 held-out items; its 95% interval excludes 0." in sentence
    table = before_after_table(summary["metrics_before"], summary["metrics"], summary)
    row = next(line for line in table.splitlines() if line.startswith("| accuracy"))
    assert row.count("[") == 3  # before, after and the change, each with its interval
    same = {**summary, "changes": {"accuracy": paired(after, after, "accuracy")}}
    assert "includes 0, so no change is detectable" in what_changed(same)
    report = write_run_report(summary, {}, tmp_path).read_text()
    assert sentence in report


def test_the_sentence_states_the_headline_accuracy_before_other_metrics():
    from orchestrl.plugins.pipeline.intervals import paired
    from orchestrl.plugins.pipeline.run_report import what_changed

    before = {f"t{i}": {"turn_accuracy": (0.0, 1.0), "call_accuracy": (0.0, 1.0)}
              for i in range(8)}
    after = {f"t{i}": {"turn_accuracy": (1.0, 1.0), "call_accuracy": (0.0, 1.0)}
             for i in range(8)}
    changes = {m: paired(before, after, m) for m in ("call_accuracy", "turn_accuracy")}
    sentence = what_changed({"changes": changes})
    assert sentence.startswith("After training, turn_accuracy changed by +1.000")
