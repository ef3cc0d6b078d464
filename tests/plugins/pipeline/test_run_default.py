"""The default `orchestrl run` (real SmolLM2, Booking world, CPU budget) completes and its report
shows the evaluation before and after training. Slow: about 15-25 minutes on 2 CPU cores."""

import json

import pytest


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_default_run_completes_with_a_before_after_report(
    plugin_host, run_cli, tmp_path, monkeypatch, booking_dir
):
    monkeypatch.setenv("ORCHESTRL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ORCHESTRL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    result = run_cli("run")
    assert result.exit_code == 0, result.stderr[-3000:]
    (summary_path,) = (tmp_path / "outputs").glob("*/*/summary.json")
    summary = json.loads(summary_path.read_text())
    before, after = summary["metrics_before"], summary["metrics"]
    for metric in ("turn_accuracy", "call_accuracy", "success_rate"):
        assert metric in before and metric in after
    print("before", before, "\nafter", after)
    report = (summary_path.parent / "report.md").read_text()
    assert "| turn_accuracy |" in report
    assert (summary_path.parent / "before_after.png").is_file()
