import json

import pytest
import yaml

from orchestrl.errors import DataError
from orchestrl.plugins.pipeline.report import collect, markdown_table, write_report


def make_job(root, num, overrides, metrics, curve=None):
    job = root / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    summary = {"metrics": metrics, "reward_terms": {"orchestration": metrics["turn_accuracy"]}}
    if curve:
        summary["reward_curve"] = curve
    (job / "summary.json").write_text(json.dumps(summary))


def test_runs_group_by_config_across_seeds(tmp_path):
    make_job(tmp_path, 0, ["reward=graduated", "seed=0"], {"turn_accuracy": 0.5})
    make_job(tmp_path, 1, ["reward=graduated", "seed=1"], {"turn_accuracy": 0.7})
    make_job(tmp_path, 2, ["reward=binary", "seed=0"], {"turn_accuracy": 0.2})
    groups = collect(tmp_path)
    assert [g.label for g in groups] == ["reward=graduated", "reward=binary"]
    assert groups[0].metrics["turn_accuracy"] == [0.5, 0.7]
    table = markdown_table(groups)
    rows = table.splitlines()
    assert len(rows) == 4  # header, rule, one row per configuration
    assert "| reward=graduated | 2 | " in rows[2]
    assert "0.600 ± 0.141 (2)" in rows[2]
    assert "0.200 ± 0.000 (1)" in rows[3]


def test_report_writes_markdown_and_plots(tmp_path):
    curve = {"orchestration": [[1, 0.1], [2, 0.3]]}
    make_job(tmp_path, 0, ["reward=graduated", "seed=0"], {"turn_accuracy": 0.5}, curve)
    make_job(tmp_path, 1, ["reward=binary", "seed=0"], {"turn_accuracy": 0.4}, curve)
    path = write_report(tmp_path)
    text = path.read_text()
    assert "| reward=binary | 1 |" in text
    assert (tmp_path / "accuracy_by_config.png").stat().st_size > 1000
    assert (tmp_path / "reward_curves.png").stat().st_size > 1000


def test_empty_or_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no finished runs"):
        collect(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        collect(tmp_path / "nope")


def test_labels_keep_only_the_overrides_that_vary(tmp_path):
    make_job(tmp_path, 0, ["cache=memory", "reward=graduated", "seed=0"], {"turn_accuracy": 0.5})
    make_job(tmp_path, 1, ["cache=memory", "reward=binary", "seed=0"], {"turn_accuracy": 0.2})
    assert [g.label for g in collect(tmp_path)] == ["reward=graduated", "reward=binary"]
