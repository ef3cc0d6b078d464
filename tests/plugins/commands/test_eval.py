"""``orchestrl eval``: builds policy and benchmark from the config, writes results, resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def eval_args(booking_dir: Path) -> tuple[str, ...]:
    return ("benchmark=complexfuncbench", "policy=scripted", "cache=memory",
            f"data_dir={booking_dir}", "benchmark.progress=false", "benchmark.plots=false")


def test_eval_prints_the_headline_table_and_writes_results(
    plugin_host, run_cli, eval_args, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = run_cli("eval", *eval_args, "benchmark.limit=6", f"hydra.run.dir={out}")
    assert result.exit_code == 0, result.stderr
    assert "| turn_accuracy | 100.0% |" in result.stdout
    assert "| call_accuracy | 100.0% |" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["benchmark"] == "complexfuncbench" and summary["policy"] == "scripted"
    assert summary["metrics"]["turn_accuracy"] == 1.0 and summary["metrics"]["items"] == 6
    assert len((out / "cfb_items.jsonl").read_text().splitlines()) == 6
    again = run_cli("eval", *eval_args, "benchmark.limit=9", f"hydra.run.dir={out}")
    assert again.exit_code == 0, again.stderr
    assert len((out / "cfb_items.jsonl").read_text().splitlines()) == 9


def test_eval_sweeps_with_multirun(plugin_host, run_cli, eval_args, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = run_cli("eval", "-m", *eval_args, "benchmark.limit=10",
                     "policy.missing_step=0,1", f"hydra.sweep.dir={sweep}")
    assert result.exit_code == 0, result.stderr
    first, second = (json.loads((sweep / str(i) / "summary.json").read_text()) for i in (0, 1))
    assert first["metrics"]["turn_accuracy"] == 1.0
    assert second["metrics"]["success_rate"] == 0.0


def test_eval_reports_bad_overrides_in_one_line(plugin_host, run_cli, eval_args) -> None:
    result = run_cli("eval", *eval_args, "benchmark.missing_gold=guess")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert "missing_gold 'guess' is not one of truncate, skip" in line
    assert "Traceback" not in result.stderr
    typo = run_cli("eval", *eval_args, "benchmark.limt=3")
    assert typo.exit_code == 2 and "limt" in typo.stderr
    assert len(typo.stderr.strip().splitlines()) == 1


def test_an_empty_tools_file_is_an_error_not_zero_accuracy(
    plugin_host, run_cli, eval_args, booking_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("eval_80.jsonl", "train_101.jsonl", "workflow_templates.json"):
        (data / name).write_bytes((booking_dir / name).read_bytes())
    (data / "tools.jsonl").write_text("")
    args = [a for a in eval_args if not a.startswith("data_dir=")]
    for world in ("world=booking", "world=bfcl"):
        result = run_cli("eval", world, *args, f"data_dir={data}", "benchmark.limit=2",
                         f"hydra.run.dir={tmp_path / 'run'}")
        assert result.exit_code == 2
        assert "tools.jsonl' holds no tool schemas" in result.stderr
        assert not (tmp_path / "run" / "summary.json").exists()


@pytest.mark.parametrize("benchmark", ["complexfuncbench", "bfcl"])
def test_a_miss_policy_the_benchmark_ignores_is_refused(
    plugin_host, run_cli, eval_args, benchmark: str, tmp_path: Path
) -> None:
    args = [a for a in eval_args if not a.startswith("benchmark")]
    result = run_cli("eval", f"benchmark={benchmark}", *args, "env.miss_policy=strict",
                     f"hydra.run.dir={tmp_path / 'run'}")
    assert result.exit_code == 2
    assert f"benchmark '{benchmark}' does not answer calls through the environment" in (
        result.stderr)
    assert "env.miss_policy=strict would have no effect" in result.stderr


def test_report_of_a_file_says_it_is_not_a_run_directory(
    plugin_host, run_cli, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text("{}")
    result = run_cli("report", str(summary))
    assert result.exit_code == 2
    assert "is a file, not a multirun directory" in result.stderr
