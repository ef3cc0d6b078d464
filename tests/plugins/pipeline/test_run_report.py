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
