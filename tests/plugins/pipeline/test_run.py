"""`orchestrl run` end to end on the tiny model and a small Booking world (real data, real
TRL trainers, real environment and reward terms), as a two-preset multirun plus its report."""

import json
from pathlib import Path

import pytest

from orchestrl.plugins.synthesis.output import read_tasks

TINY = [
    "world=booking", "policy.model=tiny", "policy.max_new_tokens=16", "cache=memory", "synth.n=6",
    "run.sft.args.max_steps=2", "run.grpo.args.max_steps=1",
    "run.grpo.args.per_device_train_batch_size=2", "run.grpo.args.num_generations=2",
    "run.grpo.args.max_completion_length=24", "world.eval.limit=2", "world.eval.workers=1",
    "world.eval_policy.max_new_tokens=16", "run.heldout.tasks=6", "run.eval_engine=policy",
]


@pytest.fixture
def run_env(monkeypatch, tmp_path, booking_dir):
    monkeypatch.setenv("ORCHESTRL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ORCHESTRL_DATA_DIR", str(booking_dir))
    return tmp_path


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_multirun_of_two_presets_reports_one_row_each_and_reruns_resume(
    plugin_host, run_cli, run_env
):
    result = run_cli("run", "-m", "reward=graduated,binary", *TINY)
    assert result.exit_code == 0, result.stderr[-2000:]
    (sweep,) = (run_env / "outputs").glob("*/*")
    summaries = sorted(sweep.glob("*/summary.json"))
    assert len(summaries) == 2
    for path in summaries:
        summary = json.loads(path.read_text())
        assert set(summary["metrics"]) >= {"turn_accuracy", "success_rate", "call_accuracy"}
        assert summary["metrics_before"] is not None
        assert "orchestration" in summary["reward_curve"] or "binary" in summary["reward_curve"]
        assert (path.parent / "report.md").is_file()
        log = (path.parent / "run.log").read_text()
        for stage in ("split", "heldout", "synth", "sft", "grpo", "eval_base", "eval"):
            assert f"stage {stage}: " in log, log
        # trained on training templates, evaluated on the grounded tasks of held-out ones
        evaluated = summary["evaluated_on"]
        assert evaluated["items"] == "held-out tasks" and evaluated["tasks"] == 6
        stages = summary["stages"]
        heldout = read_tasks(Path(stages["heldout"]["directory"]) / "tasks.jsonl")
        train = read_tasks(Path(stages["synth"]["directory"]) / "tasks.jsonl")
        held_templates = {t.metadata["template"] for t in heldout}
        assert held_templates <= set(evaluated["templates"])
        assert not held_templates & {t.metadata["template"] for t in train}
        assert all(s.response is not None for t in heldout for s in t.steps)
        assert summary["intervals"]["turn_accuracy"]["items"] == 2
    first, second = (json.loads(p.read_text())["stages"] for p in summaries)
    # split, synth, sft and the base evaluation do not depend on the reward: the second job
    # reuses them
    for stage in ("split", "heldout", "synth", "sft", "eval_base"):
        assert first[stage]["key"] == second[stage]["key"]
        assert second[stage]["skipped"]
    assert first["grpo"]["key"] != second["grpo"]["key"]

    report = run_cli("report", str(sweep))
    assert report.exit_code == 0, report.stderr
    rows = [line for line in report.stdout.splitlines() if line.startswith("| reward=")]
    assert sorted(r.split("|")[1].strip() for r in rows) == ["reward=binary", "reward=graduated"]
    for row in rows:
        cells = [c.strip() for c in row.split("|")[3:-1]]
        assert cells and all("±" in c for c in cells if c != "-")

    again = run_cli("run", "reward=binary", *TINY)
    assert again.exit_code == 0, again.stderr[-2000:]
    (latest,) = sorted((run_env / "outputs").glob("*/*/summary.json"))[-1:]
    stages = json.loads(latest.read_text())["stages"]
    assert all(stage["skipped"] for stage in stages.values())


def test_unknown_world_is_a_one_line_error(plugin_host, run_cli, run_env):
    result = run_cli("run", *TINY, "world=mars")
    assert result.exit_code == 2
    assert "unknown world 'mars'; available: bfcl, booking" in result.stderr


def test_a_bad_eval_engine_is_a_one_line_error_before_any_stage(plugin_host, run_cli, run_env):
    result = run_cli("run", *TINY, "run.eval_engine=fast")
    assert result.exit_code == 2
    assert "run.eval_engine must be one of auto, policy, got 'fast'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (run_env / "home").exists() or not any((run_env / "home").rglob("split.json"))


def test_the_default_world_is_booking(plugin_host, run_cli, run_env):
    result = run_cli("config")
    assert result.exit_code == 0, result.stderr
    assert "_target_: orchestrl.plugins.worlds.booking.world.BookingWorld" in result.stdout


TINY_BFCL = [
    "world=bfcl", "policy.model=tiny", "policy.max_new_tokens=16", "cache=memory", "synth.n=4",
    "data_dir=/nonexistent/booking",  # the BFCL world needs nothing but the bfcl-eval package
    "run.sft.args.max_steps=1", "run.grpo.args.max_steps=1",
    "run.grpo.args.max_completion_length=24", "world.eval.subset=1",
    "world.eval.max_steps_per_turn=1", "world.eval_policy.max_new_tokens=16",
    "run.eval_engine=policy",
]


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_the_bfcl_world_runs_without_any_data_directory(
    plugin_host, run_cli, monkeypatch, tmp_path
):
    monkeypatch.setenv("ORCHESTRL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ORCHESTRL_DATA_DIR", raising=False)
    result = run_cli("run", *TINY_BFCL)
    assert result.exit_code == 0, result.stderr[-2000:]
    (path,) = (tmp_path / "outputs").glob("*/*/summary.json")
    summary = json.loads(path.read_text())
    assert summary["world"] == "bfcl"
    for metrics in (summary["metrics_before"], summary["metrics"]):
        assert metrics["multi_turn_base/entries"] == 1
        assert 0.0 <= metrics["accuracy"] <= metrics["partial"] <= 1.0
    tasks = read_tasks(Path(summary["stages"]["synth"]["directory"]) / "tasks.jsonl")
    assert len(tasks) == 4  # world.sampler: one-turn prefixes
    assert all(len(task.metadata["turns"]) == 1 for task in tasks)
    assert "(bfcl world)" in (path.parent / "report.md").read_text()


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")
def test_an_interrupted_evaluation_resumes_at_its_next_item(plugin_host, run_cli, run_env,
                                                            monkeypatch):
    from orchestrl.plugins.benchmarks.cfb import runner

    played: list[str] = []
    run_item = runner.run_item

    def interrupted_at_the_second(policy, task, *args, **kwargs):
        if len(played) == 1:
            raise KeyboardInterrupt  # Ctrl-C while the base evaluation plays its second item
        played.append(task.id)
        return run_item(policy, task, *args, **kwargs)

    monkeypatch.setattr(runner, "run_item", interrupted_at_the_second)
    first = run_cli("run", *TINY)
    assert first.exit_code != 0 and played and len(played) == 1
    (partial,) = (run_env / "home" / "artifacts").glob(".eval_base-*.partial")
    assert len((partial / runner.ITEMS_FILE).read_text().splitlines()) == 1

    played.clear()
    monkeypatch.setattr(runner, "run_item",
                        lambda policy, task, *a, **k: played.append(task.id) or run_item(
                            policy, task, *a, **k))
    again = run_cli("run", *TINY)
    assert again.exit_code == 0, again.stderr[-2000:]
    (summary,) = (run_env / "outputs").glob("*/*/summary.json")
    stages = json.loads(summary.read_text())["stages"]
    assert all(stages[s]["skipped"] for s in ("split", "heldout", "synth", "sft", "grpo"))
    # the base evaluation played only its second item; the evaluation after training both
    assert len(played) == 3 and played[1] != played[0] == played[2]
    base = Path(stages["eval_base"]["directory"])
    assert len((base / runner.ITEMS_FILE).read_text().splitlines()) == 2
    assert not partial.exists()  # renamed into place once complete
