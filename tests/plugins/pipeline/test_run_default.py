"""The default `orchestrl run` (real SmolLM2 on the CPU budget) completes and its report shows
the evaluation before and after training: on the default BFCL world, which needs no data
directory, and on the paper's Booking world. Slow: about 15 minutes each on 2 idle CPU cores."""

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
def test_default_run_on_bfcl_completes_with_a_before_after_report(
    plugin_host, run_cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(tmp_path / "no-booking-data"))
    summary, report = _run(run_cli, tmp_path, monkeypatch)
    assert summary["world"] == "bfcl"
    for metrics in (summary["metrics_before"], summary["metrics"]):
        assert metrics["multi_turn_base/entries"] == 2
        assert 0.0 <= metrics["accuracy"] <= metrics["partial"] <= 1.0
    assert "| partial |" in report and "(bfcl world)" in report


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_booking_run_completes_with_a_before_after_report(
    plugin_host, run_cli, tmp_path, monkeypatch, booking_dir
):
    summary, report = _run(run_cli, tmp_path, monkeypatch, "world=booking",
                           f"data_dir={booking_dir}")
    for metric in ("turn_accuracy", "call_accuracy", "success_rate"):
        assert metric in summary["metrics_before"] and metric in summary["metrics"]
    assert "| turn_accuracy |" in report
