"""``orchestrl run experiment=study`` end to end on the tiny model and the real Booking data:
the template split, grounded held-out tasks, SFT, GRPO arms, every evaluation with intervals,
paired comparisons and the report; a rerun reuses every stage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from orchestrl.plugins.pipeline.study import _commit
from orchestrl.plugins.synthesis.output import read_tasks

TINY_STUDY = [
    "experiment=study", "policy=transformers", "policy.model=tiny", "policy.max_new_tokens=16",
    "cache=memory", "synth.n=6", "run.heldout.tasks=6", "study.arms=[graduated,binary]",
    "study.seeds=[0]", "study.eval.heldout_limit=3", "study.eval.eval80_limit=2",
    "study.resamples=200", "run.sft.args.max_steps=2", "run.grpo.args.max_steps=1",
    "run.grpo.args.per_device_train_batch_size=2", "run.grpo.args.num_generations=2",
    "run.grpo.args.max_completion_length=24", "world.eval_policy.max_new_tokens=16",
    "world.eval.workers=1", "~world.eval_policy.parallel",  # llama.cpp's slots: not transformers'
]


@pytest.fixture
def study_env(monkeypatch, tmp_path, booking_dir):
    monkeypatch.setenv("ORCHESTRL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    monkeypatch.setenv("ORCHESTRL_OUTPUT_DIR", str(tmp_path / "outputs"))
    return tmp_path


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_study_runs_every_stage_reports_intervals_and_resumes(plugin_host, run_cli, study_env):
    result = run_cli("run", *TINY_STUDY)
    assert result.exit_code == 0, result.stderr[-3000:]
    (run_dir,) = (study_env / "outputs").glob("*/*")
    study = json.loads((run_dir / "study.json").read_text())

    # held-out and training tasks come from disjoint templates, every held-out step is grounded
    split = json.loads(next(Path(study_env / "home").rglob("split.json")).read_text())
    heldout_file = next(Path(study_env / "home").rglob("heldout-*/tasks.jsonl"))
    train_file = next(Path(study_env / "home").rglob("synth-*/tasks.jsonl"))
    heldout, train = read_tasks(heldout_file), read_tasks(train_file)
    assert len(heldout) == 6 and len(train) == 6
    held_templates = {t.metadata["template"] for t in heldout}
    train_templates = {t.metadata["template"] for t in train}
    assert held_templates <= set(split["heldout"]) and train_templates <= set(split["train"])
    assert not held_templates & train_templates
    assert all(2 <= len(t.steps) <= 6 for t in heldout)
    assert all(s.response is not None for t in heldout for s in t.steps)

    # every policy on both sets, each metric with an interval around its value
    for eval_set, items in (("heldout", 3), ("eval_80", 2)):
        table = study["tables"][eval_set]
        assert set(table) == {"base", "sft", "graduated_seed0", "binary_seed0", "graduated",
                              "binary"}
        for row in table.values():
            found = row["turn_accuracy"]
            assert found["items"] == items
            assert found["low"] <= found["value"] <= found["high"]
        pairs = {(p["a"], p["b"]) for p in study["comparisons"][eval_set]}
        assert pairs == {("base", "sft"), ("sft", "graduated"), ("sft", "binary"),
                         ("binary", "graduated")}
    assert set(study["grpo"]) == {"graduated_seed0", "binary_seed0"}
    assert study["grpo"]["binary_seed0"]["frac_reward_zero_std"]
    assert study["run"]["commit"] and study["run"]["stage_seconds"]["sft"] > 0

    report = (run_dir / "results.md").read_text()
    assert "## Grounded held-out tasks" in report and "Paired differences" in report
    assert (run_dir / "results_heldout.png").is_file() and (run_dir / "results_grpo.png").is_file()

    # orchestrl report regenerates it elsewhere; a rerun reuses every stage
    docs = study_env / "docs"
    regenerated = run_cli("report", str(run_dir), "--out", str(docs))
    assert regenerated.exit_code == 0, regenerated.stderr
    assert (docs / "results.md").read_text().split("## Setup")[0] == report.split("## Setup")[0]
    again = run_cli("run", *TINY_STUDY)
    assert again.exit_code == 0, again.stderr[-3000:]
    latest = sorted((study_env / "outputs").glob("*/*/study.json"))[-1]
    rerun = json.loads(latest.read_text())
    assert len(rerun["run"]["stages_reused"]) == len(rerun["run"]["stage_seconds"])


def test_an_unknown_arm_is_one_line_before_any_stage(plugin_host, run_cli, study_env):
    result = run_cli("run", *TINY_STUDY, "study.arms=[graduated,grad]")
    assert result.exit_code == 2
    assert "grad" in result.stderr and "Traceback" not in result.stderr
    assert not list((study_env / "home").rglob("split.json"))


def test_an_unknown_first_set_is_one_line_before_any_stage(plugin_host, run_cli, study_env):
    result = run_cli("run", *TINY_STUDY, "study.eval.first=eval_90")
    assert result.exit_code == 2
    assert "study.eval.first must be one of heldout, eval_80, got 'eval_90'" in result.stderr
    assert not list((study_env / "home").rglob("split.json"))


def test_an_evaluation_option_the_policy_lacks_is_one_line_before_any_stage(
    plugin_host, run_cli, study_env
):
    overrides = [o for o in TINY_STUDY if o != "~world.eval_policy.parallel"]
    result = run_cli("run", *overrides)  # study.yaml's one llama.cpp slot, on transformers
    assert result.exit_code == 2
    assert "world.eval_policy does not fit the policy node" in result.stderr
    assert "parallel" in result.stderr and "Traceback" not in result.stderr
    assert not list((study_env / "home").rglob("split.json"))


def test_a_world_without_held_out_templates_is_a_one_line_error(plugin_host, run_cli, study_env):
    overrides = [o for o in TINY_STUDY if not o.startswith(("run.heldout", "world.eval."))]
    result = run_cli("run", *overrides, "world=bfcl")
    assert result.exit_code == 2, result.stderr[-2000:]
    assert "the study needs held-out templates (run.heldout)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_recorded_commit_says_when_the_checkout_has_changes(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                              cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    assert _commit(tmp_path) is None  # not a checkout
    git("init", "-q")
    (tmp_path / "study.yaml").write_text("steps: 6\n")
    git("add", "study.yaml")
    git("commit", "-qm", "x")
    head = git("rev-parse", "--short", "HEAD").strip()
    assert _commit(tmp_path) == head
    (tmp_path / "study.yaml").write_text("steps: 8\n")
    assert _commit(tmp_path) == head + "+changes"
