"""The default `orchestrl run` (real SmolLM2 on the CPU budget) completes and its report shows
the evaluation before and after training: on the default Booking world (24 grounded held-out
tasks, each stage's time and peak memory), and on BFCL's world, which needs no data directory.
Slow: about 15 minutes each on 2 idle CPU cores."""

import json

import pytest


def _run(run_cli, tmp_path, monkeypatch, *overrides: str) -> tuple[dict, str]:
    monkeypatch.setenv("ORCHESTRL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ORCHESTRL_CACHE_DIR", str(tmp_path / "cache"))
    result = run_cli("run", *overrides)
    assert result.exit_code == 0, result.stderr[-3000:]
    (summary_path,) = (tmp_path / "outputs").glob("*/*/summary.json")
    summary = json.loads(summary_path.read_text())
    print("before", summary["metrics_before"], "\nafter", summary["metrics"])
    assert (summary_path.parent / "before_after.png").is_file()
    return summary, (summary_path.parent / "report.md").read_text()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_default_run_evaluates_24_held_out_tasks_before_and_after(
    plugin_host, run_cli, tmp_path, monkeypatch, booking_dir
):
    summary, report = _run(run_cli, tmp_path, monkeypatch, f"data_dir={booking_dir}")
    assert summary["world"] == "booking"
    assert summary["evaluated_on"]["items"] == "held-out tasks"
    for metric in ("turn_accuracy", "call_accuracy", "success_rate"):
        assert summary["intervals"][metric]["items"] == 24
        assert summary["intervals_before"][metric]["items"] == 24
        assert summary["changes"][metric]["items"] == 24
    assert summary["peak_rss_gib"] is not None and summary["peak_rss_gib"] > 0.2
    assert "| turn_accuracy |" in report and "held-out workflow templates" in report
    assert "After training, " in report


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_bfcl_run_completes_with_a_before_after_report(
    plugin_host, run_cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(tmp_path / "no-booking-data"))
    summary, report = _run(run_cli, tmp_path, monkeypatch, "world=bfcl")
    assert summary["world"] == "bfcl"
    for metrics in (summary["metrics_before"], summary["metrics"]):
        assert metrics["multi_turn_base/entries"] == 2
        assert 0.0 <= metrics["accuracy"] <= metrics["partial"] <= 1.0
    assert "| partial |" in report and "(bfcl world)" in report
