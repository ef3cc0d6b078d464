import json

import pytest

from orchestrl.plugins.pipeline.artifacts import ArtifactStore, content_key, hash_files


def test_same_config_and_inputs_skip_the_stage(tmp_path):
    store = ArtifactStore(tmp_path)
    calls = []

    def body(work):
        calls.append(work)
        (work / "out.txt").write_text("result")
        return {"n": 3}

    first = store.run("synth", {"n": 3}, ["data"], body)
    again = store.run("synth", {"n": 3}, ["data"], body)
    assert len(calls) == 1
    assert not first.skipped and again.skipped
    assert again.summary == {"n": 3}
    assert (again.directory / "out.txt").read_text() == "result"


def test_a_reused_stage_keeps_the_time_of_the_run_that_computed_it(tmp_path):
    import time

    store = ArtifactStore(tmp_path)

    def slow(work):
        time.sleep(0.2)
        return {}

    first = store.run("sft", {}, [], slow)
    again = store.run("sft", {}, [], slow)
    assert first.seconds is not None and first.seconds >= 0.2
    assert again.skipped and again.seconds == first.seconds


def test_a_changed_config_or_input_reruns_into_a_new_directory(tmp_path):
    store = ArtifactStore(tmp_path)
    a = store.run("synth", {"n": 3}, ["data"], lambda w: {"v": 1})
    b = store.run("synth", {"n": 4}, ["data"], lambda w: {"v": 2})
    c = store.run("synth", {"n": 3}, ["data2"], lambda w: {"v": 3})
    assert len({a.directory, b.directory, c.directory}) == 3
    assert a.directory.exists()  # the earlier result is kept


def test_an_interrupted_stage_leaves_no_result(tmp_path):
    store = ArtifactStore(tmp_path)

    def boom(work):
        (work / "partial.txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.run("train", {}, [], boom)
    assert not store.directory("train", content_key("train", {}, [])).exists()
    done = store.run("train", {}, [], lambda w: {"ok": True})
    assert not done.skipped
    assert json.loads((done.directory / "stage.json").read_text())["summary"] == {"ok": True}


def test_key_is_order_insensitive_for_dict_keys_and_inputs():
    assert content_key("s", {"a": 1, "b": 2}, ["x", "y"]) == content_key("s", {"b": 2, "a": 1},
                                                                           ["y", "x"])
    assert content_key("s", {"a": 1}, []) != content_key("t", {"a": 1}, [])


def test_hash_files_changes_with_content(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text("1")
    h1 = hash_files([tmp_path])
    f.write_text("2")
    assert hash_files([tmp_path]) != h1


def test_paths_in_the_summary_name_the_final_directory(tmp_path):
    store = ArtifactStore(tmp_path)

    def body(work):
        (work / "final").mkdir()
        return {"final": str(work / "final")}

    result = store.run("sft", {}, [], body)
    assert result.summary["final"] == str(result.directory / "final")
    again = store.run("sft", {}, [], body)
    assert again.summary["final"] == str(result.directory / "final")


def _slow_stage(root: str, log: str) -> tuple[str, bool]:
    """A stage run in a separate process: appends to ``log`` when its body runs."""
    import time as _time

    def body(work):
        with open(log, "a") as handle:
            handle.write("ran\n")
        _time.sleep(1.0)
        (work / "out.txt").write_text("shared")
        return {"ok": True}

    result = ArtifactStore(root).run("sft", {"steps": 30}, ["synth-key"], body)
    return str(result.directory), result.skipped


def test_concurrent_jobs_compute_a_shared_stage_once(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    log = tmp_path / "log.txt"
    with ProcessPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(_slow_stage, [str(tmp_path / "store")] * 3, [str(log)] * 3))
    assert log.read_text().splitlines() == ["ran"]  # the waiting jobs reused the result
    assert len({directory for directory, _ in results}) == 1
    assert sorted(skipped for _, skipped in results) == [False, True, True]
    assert not list((tmp_path / "store").glob(".*.tmp"))


def test_a_resumable_stage_continues_from_what_an_interrupted_run_wrote(tmp_path):
    store = ArtifactStore(tmp_path)
    seen = []

    def evaluate(work, stop):
        seen.append(sorted(p.name for p in work.iterdir()))
        for item in ("a", "b", "c"):
            if not (work / item).exists():
                if item == stop:
                    raise KeyboardInterrupt
                (work / item).write_text(item)
        return {"items": 3}

    with pytest.raises(KeyboardInterrupt):
        store.run("eval", {}, [], lambda w: evaluate(w, "c"), resumable=True)
    final = store.directory("eval", content_key("eval", {}, []))
    assert not final.exists()  # nothing a later run could take for a result
    done = store.run("eval", {}, [], lambda w: evaluate(w, None), resumable=True)
    assert seen == [[], ["a", "b"]]  # the rerun found the first run's items
    assert not done.skipped and done.directory == final
    assert sorted(p.name for p in final.iterdir()) == ["a", "b", "c", "stage.json"]
    assert not list(tmp_path.glob(".*.partial"))
    # another key, or a stage that is not resumable, starts from an empty directory
    other = store.run("eval", {"n": 1}, [], lambda w: evaluate(w, None), resumable=True)
    assert seen[-1] == [] and other.directory != final
    with pytest.raises(KeyboardInterrupt):
        store.run("sft", {}, [], lambda w: evaluate(w, "c"))
    store.run("sft", {}, [], lambda w: evaluate(w, None))
    assert seen[-1] == []
