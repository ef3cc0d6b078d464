"""Resumable runs over many items, and the written reports (JSON, Markdown, PNG)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrl.plugins.benchmarks.cfb.metrics import summarize
from orchestrl.plugins.benchmarks.cfb.report import PLOTS, SUMMARY_JSON, SUMMARY_MD, write_report
from orchestrl.plugins.benchmarks.cfb.runner import ITEMS_FILE, evaluate_items, read_results
from orchestrl.plugins.policies.scripted import ScriptedPolicy

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def count_items(monkeypatch) -> list[str]:
    """Record the ids of the items the runner plays."""
    from orchestrl.plugins.benchmarks.cfb import runner

    played: list[str] = []
    run_item = runner.run_item

    def counted(policy, task, *args, **kwargs):
        played.append(task.id)
        return run_item(policy, task, *args, **kwargs)

    monkeypatch.setattr(runner, "run_item", counted)
    return played


def test_an_interrupted_run_resumes_where_it_stopped(
    tmp_path: Path, cfb_items, cfb_observations, monkeypatch
) -> None:
    items = cfb_items[:12]
    fresh = evaluate_items(ScriptedPolicy(wrong_value=0.2), items, cfb_observations,
                           output_dir=tmp_path / "fresh", progress=False)
    out = tmp_path / "resumed"
    evaluate_items(ScriptedPolicy(wrong_value=0.2), items[:5], cfb_observations,
                   output_dir=out, progress=False)
    path = out / ITEMS_FILE
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:4]) + lines[4][: len(lines[4]) // 2])  # killed mid-write
    played = count_items(monkeypatch)
    resumed = evaluate_items(ScriptedPolicy(wrong_value=0.2), items, cfb_observations,
                             output_dir=out, progress=False)
    assert played == [t.id for t in items[4:]]
    assert [r.to_json() for r in resumed] == [r.to_json() for r in fresh]
    stored = read_results(path)
    assert list(stored) == [t.id for t in items]  # in the items' order once done
    assert all(json.loads(line) for line in path.read_text().splitlines())
    played.clear()
    evaluate_items(ScriptedPolicy(wrong_value=0.2), items, cfb_observations, output_dir=out,
                   progress=False)
    assert played == []


def test_results_of_another_policy_or_other_limits_are_refused(
    tmp_path: Path, cfb_items, cfb_observations
) -> None:
    from orchestrl.errors import ConfigError
    from orchestrl.plugins.benchmarks.cfb.protocol import ProtocolLimits

    items = cfb_items[:2]
    evaluate_items(ScriptedPolicy(), items, cfb_observations, output_dir=tmp_path,
                   progress=False)
    with pytest.raises(ConfigError, match=r"differs in rates\)"):
        evaluate_items(ScriptedPolicy(wrong_value=0.2), items, cfb_observations,
                       output_dir=tmp_path, progress=False)
    with pytest.raises(ConfigError, match=r"differs in max_model_turns\)"):
        evaluate_items(ScriptedPolicy(), items, cfb_observations, output_dir=tmp_path,
                       limits=ProtocolLimits(max_model_turns=3), progress=False)


def test_reports_hold_the_summary_tables_and_plots(
    tmp_path: Path, cfb_items, cfb_observations
) -> None:
    results = evaluate_items(ScriptedPolicy(wrong_value=0.15, seed=2), cfb_items,
                             cfb_observations, output_dir=tmp_path, progress=False)
    summary = summarize(results)
    paths = write_report(summary, tmp_path)
    assert {p.name for p in paths} == {SUMMARY_JSON, SUMMARY_MD, *PLOTS}
    for name in PLOTS:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000
    stored = json.loads((tmp_path / SUMMARY_JSON).read_text())
    assert stored["metrics"] == summary["metrics"]
    assert sum(g["items"] for g in stored["by_domain"].values()) == len(results)
    assert sum(g["items"] for g in stored["by_steps"].values()) == len(results)
    text = (tmp_path / SUMMARY_MD).read_text()
    for line in ("## By domain", "## By number of gold steps", "## Error taxonomy",
                 "## Missing gold observations", "| wrong_value |"):
        assert line in text
    for item in summary["missing_gold"]["by_item"]:
        assert f"| {item} |" in text
    accuracy = summary["metrics"]["turn_accuracy"]
    assert f"| turn_accuracy | {100 * accuracy:.1f}% |" in text
