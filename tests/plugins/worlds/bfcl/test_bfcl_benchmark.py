"""The ``bfcl`` benchmark: runs a policy turn by turn and scores with BFCL's checker."""

from __future__ import annotations

import json
import threading
import time

import pytest

from orchestrl.api import JSON, PolicyOutput, Task
from orchestrl.build import build
from orchestrl.plugins.benchmarks.bfcl import BfclBenchmark
from orchestrl.plugins.policies.bfcl_gold import BfclGoldPolicy, gold_turns
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.worlds.bfcl.entries import load_entries
from orchestrl.plugins.worlds.bfcl.tasks import entry_to_task


class DropLastTurn(BfclGoldPolicy):
    """The gold policy, except that it answers the last user turn without calling anything."""

    def begin_episode(self, task: Task) -> None:
        super().begin_episode(task)
        self.turns[-1] = []


class DropSomeLastTurns(BfclGoldPolicy):
    """The gold policy, except on entries with an odd number: there :class:`DropLastTurn`."""

    def begin_episode(self, task: Task) -> None:
        super().begin_episode(task)
        if int(task.id.rsplit("_", 1)[1]) % 2:
            self.turns[-1] = []


class RecordTools(BfclGoldPolicy):
    """The gold policy, remembering the tool names offered at each call of ``act``."""

    def __init__(self) -> None:
        super().__init__()
        self.offered: list[tuple[int, set[str]]] = []

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        users = sum(1 for m in messages if m.get("role") == "user")
        self.offered.append((users - 1, {t["function"]["name"] for t in tools}))
        return super().act(messages, tools)


class RecordSchemas(BfclGoldPolicy):
    """The gold policy, remembering every tool schema it was offered."""

    def __init__(self) -> None:
        super().__init__()
        self.schemas: list[dict[str, JSON]] = []

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        self.schemas.extend(tools)
        return super().act(messages, tools)


class AlwaysPwd(BfclGoldPolicy):
    """Calls ``pwd`` at every step and never ends a turn."""

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        return PolicyOutput(text='<tool_call>{"name": "pwd", "arguments": {}}</tool_call>')


def test_gold_policy_scores_every_base_entry_valid_with_full_reward(tmp_path, compose_config):
    reward = CombinedReward.from_config(compose_config("reward=graduated").reward)
    benchmark = BfclBenchmark(progress=False, reward=reward)
    metrics = benchmark.evaluate(BfclGoldPolicy(), output_dir=tmp_path)
    assert metrics["accuracy"] == 1.0 and metrics["partial"] == 1.0
    assert metrics["call_accuracy"] == 1.0
    assert metrics["multi_turn_base/entries"] == 200
    assert metrics["reward"] > 0.99
    rows = [json.loads(line) for line in (tmp_path / "bfcl_results.jsonl").read_text().splitlines()]
    assert len(rows) == 200 and all(r["valid"] for r in rows)
    assert json.loads((tmp_path / "bfcl_summary.json").read_text()) == metrics


def test_a_missing_last_turn_fails_with_bfcl_reason_and_partial_credit(tmp_path):
    benchmark = BfclBenchmark(subset=20, progress=False)
    benchmark.evaluate(DropLastTurn(), output_dir=tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "bfcl_results.jsonl").read_text().splitlines()]
    entries = {e.id: e for e in load_entries("multi_turn_base")}
    for row in rows:
        gold = entries[row["id"]].ground_truth
        assert row["valid"] is (not gold[-1])
        assert row["calls_gold"] - row["calls_matched"] == len(gold[-1])
        if gold[-1]:
            assert row["error_type"] == "multi_turn:empty_turn_model_response"
            scored = sum(1 for turn in gold if turn)
            assert row["partial"] == pytest.approx((scored - 1) / scored)
    # the per-entry counts add up to the summary's metrics (what intervals resample)
    counts = benchmark.item_counts(tmp_path)
    metrics = json.loads((tmp_path / "bfcl_summary.json").read_text())
    assert len(counts) == 20
    for name in ("accuracy", "partial", "call_accuracy", "reward"):
        num = sum(c[name][0] for c in counts.values())
        den = sum(c[name][1] for c in counts.values())
        assert num / den == pytest.approx(metrics[name])


def test_miss_func_offers_held_out_tools_only_from_their_turn(tmp_path):
    entry = load_entries("multi_turn_miss_func")[0]
    policy = RecordTools()
    benchmark = BfclBenchmark(categories=["multi_turn_miss_func"], ids=[entry.id],
                              progress=False)
    metrics = benchmark.evaluate(policy, output_dir=tmp_path)
    assert metrics["accuracy"] == 1.0
    (turn, names), = entry.missed_function.items()
    for at, offered in policy.offered:
        assert set(names) <= offered if at >= turn else not set(names) & offered


def test_compact_tool_descriptions_keep_names_and_types_and_still_score(tmp_path):
    full, compact = RecordSchemas(), RecordSchemas()
    BfclBenchmark(ids=["multi_turn_base_1"], progress=False).evaluate(
        full, output_dir=tmp_path / "full")
    metrics = BfclBenchmark(ids=["multi_turn_base_1"], tool_description_chars=0,
                            progress=False).evaluate(compact, output_dir=tmp_path / "compact")
    assert metrics["accuracy"] == 1.0
    assert len(json.dumps(compact.schemas)) < len(json.dumps(full.schemas)) / 2
    assert not any("description" in s["function"] for s in compact.schemas)
    for long, short in zip(full.schemas, compact.schemas, strict=True):
        assert long["function"]["name"] == short["function"]["name"]
        params = long["function"]["parameters"]
        assert params.get("required") == short["function"]["parameters"].get("required")
        assert {n: p.get("type") for n, p in params.get("properties", {}).items()} == {
            n: p.get("type") for n, p in short["function"]["parameters"]["properties"].items()}


def test_a_policy_that_never_stops_is_force_terminated(tmp_path):
    benchmark = BfclBenchmark(ids=["multi_turn_base_1"], max_steps_per_turn=3, progress=False)
    metrics = benchmark.evaluate(AlwaysPwd(), output_dir=tmp_path)
    row = json.loads((tmp_path / "bfcl_results.jsonl").read_text())
    assert metrics["accuracy"] == 0.0
    assert row["stop_reason"] == "max_turns"
    assert row["error_type"] == "multi_turn:force_terminated"
    assert len(row["calls"]) == 1 and len(row["calls"][0]) == 4


def test_benchmark_is_selected_and_built_from_config(compose_config, plugin_host):
    cfg = compose_config("benchmark=bfcl", "benchmark.subset=2", "benchmark.split=eval",
                         "benchmark.workers=2")
    benchmark = build(cfg.benchmark)
    assert isinstance(benchmark, BfclBenchmark) and benchmark.workers == 2
    tasks = benchmark.tasks()
    assert len(tasks) == 2


def test_bad_config_values_are_one_line_errors():
    from orchestrl.errors import ConfigError

    with pytest.raises(ConfigError, match="multi_turn_nope"):
        BfclBenchmark(categories=["multi_turn_nope"])
    with pytest.raises(ConfigError, match="split"):
        BfclBenchmark(split="test")
    with pytest.raises(ConfigError, match="tool_description_chars"):
        BfclBenchmark(tool_description_chars=-1)
    with pytest.raises(ConfigError, match="workers must be >= 1, got 0"):
        BfclBenchmark(workers=0)


def test_matched_calls_need_the_same_turn_exact_arguments_and_count_each_gold_call_once():
    from orchestrl.api import GoldStep, ToolCall
    from orchestrl.plugins.benchmarks.bfcl import matched_calls

    steps = [GoldStep(index=0, function="cd", arguments={"folder": "docs"}, turn=0),
             GoldStep(index=1, function="ls", arguments={}, turn=0),
             GoldStep(index=2, function="cat", arguments={"file_name": "a.txt"}, turn=1)]
    task = Task(id="t", query="q", tools=[], steps=steps)
    cd, ls = ToolCall("cd", {"folder": "docs"}), ToolCall("ls", {})
    assert matched_calls(task, [[[ls], [cd]], [[ToolCall("cat", {"file_name": "a.txt"})]]]) == 3
    assert matched_calls(task, [[[cd, cd]], []]) == 1            # a repeat matches once
    assert matched_calls(task, [[], [[cd], [ls]]]) == 0          # right calls, wrong turn
    assert matched_calls(task, [[[ToolCall("cd", {"folder": "Docs"})]]]) == 0


class ParallelGold(BfclGoldPolicy):
    """The gold policy (parallel-safe as shipped), pausing in each step so that entries really
    overlap; records which threads acted and how many steps were in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self._count = threading.Lock()
        self.threads: set[str] = set()
        self.in_flight = 0
        self.most_in_flight = 0

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        with self._count:
            self.threads.add(threading.current_thread().name)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.002)
        try:
            return super().act(messages, tools)
        finally:
            with self._count:
                self.in_flight -= 1


def _rows(path) -> list[dict[str, JSON]]:
    return [json.loads(line) for line in (path / "bfcl_results.jsonl").read_text().splitlines()]


def test_workers_give_the_sequential_results_in_the_same_order(tmp_path):
    options = {"categories": ["multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param"],
               "subset": 20, "progress": False}
    seq, par = ParallelGold(), ParallelGold()
    first = BfclBenchmark(workers=1, **options).evaluate(seq, output_dir=tmp_path / "seq")
    second = BfclBenchmark(workers=4, **options).evaluate(par, output_dir=tmp_path / "par")
    assert len(seq.threads) == 1 and seq.most_in_flight == 1
    assert len(par.threads) == 4 and par.most_in_flight > 1  # entries really overlapped
    assert second == first and first["accuracy"] == 1.0 and first["entries"] == 60
    rows = _rows(tmp_path / "par")
    assert rows == _rows(tmp_path / "seq")
    assert [r["id"] for r in rows] == [t.id for t in BfclBenchmark(**options).tasks()]


def test_each_entry_in_flight_has_its_own_environment_and_backends(tmp_path, monkeypatch):
    from orchestrl.plugins.worlds.bfcl.environment import BfclEnvironment

    episodes: list[tuple[BfclEnvironment, str]] = []
    reset = BfclEnvironment.reset

    def spy(self, task=None):  # type: ignore[no-untyped-def]
        if task is not None:
            episodes.append((self, task.id))
        reset(self, task)

    monkeypatch.setattr(BfclEnvironment, "reset", spy)
    benchmark = BfclBenchmark(subset=16, workers=4, progress=False)
    assert benchmark.evaluate(ParallelGold(), output_dir=tmp_path)["accuracy"] == 1.0
    assert len(episodes) == 16
    assert len({id(env) for env, _ in episodes}) == 16
    backends = [env._backends for env, _ in episodes if env._backends is not None]
    assert len({id(b) for b in backends}) == len(backends) > 0


def test_a_policy_that_is_not_parallel_safe_runs_in_the_calling_thread(tmp_path):
    threads: set[str] = set()

    class Gold(BfclGoldPolicy):
        parallel_safe = False

        def act(self, messages, tools):  # type: ignore[no-untyped-def]
            threads.add(threading.current_thread().name)
            return super().act(messages, tools)

    metrics = BfclBenchmark(subset=4, workers=4, progress=False).evaluate(
        Gold(), output_dir=tmp_path)
    assert metrics["accuracy"] == 1.0
    assert threads == {threading.current_thread().name}


def test_backend_calls_in_threads_do_not_see_each_others_mpmath_precision(monkeypatch):
    import mpmath

    from orchestrl.api import ToolCall
    from orchestrl.plugins.worlds.bfcl.executor import BfclBackends
    from orchestrl.plugins.worlds.bfcl.package import backend_class

    math_api = backend_class("MathAPI")
    entered, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def slow_precise(self, number: float) -> str:  # holds mp.dps = 50 for a while
        mpmath.mp.dps = 50
        entered.set()
        release.wait(2.0)
        return "done"

    def plain(self, number: float) -> str:
        seen.append(mpmath.mp.dps)
        return "done"

    monkeypatch.setattr(math_api, "slow_precise", slow_precise, raising=False)
    monkeypatch.setattr(math_api, "plain", plain, raising=False)
    default = mpmath.mp.dps
    first = BfclBackends({}, ["MathAPI"])
    second = BfclBackends({}, ["MathAPI"])
    a = threading.Thread(target=first.execute, args=(ToolCall("slow_precise", {"number": 1}),))
    b = threading.Thread(target=second.execute, args=(ToolCall("plain", {"number": 1}),))
    a.start()
    assert entered.wait(2.0)
    b.start()
    time.sleep(0.2)  # without the lock, b runs now, inside a's precision
    release.set()
    a.join()
    b.join()
    assert seen == [default] and mpmath.mp.dps == default


def count_episodes(policy: BfclGoldPolicy, crash_after: int | None = None) -> list[str]:
    """Record the ids of the episodes ``policy`` begins (on the instance: its identity is
    unchanged); with ``crash_after``, the episode after that many raises, as a killed run."""
    begun: list[str] = []
    lock = threading.Lock()
    begin = policy.begin_episode

    def counted(task: Task) -> None:
        with lock:
            if crash_after is not None and len(begun) >= crash_after:
                raise RuntimeError("killed")
            begun.append(task.id)
        begin(task)

    policy.begin_episode = counted  # type: ignore[method-assign]
    return begun


RESUME_OPTIONS = {"categories": ["multi_turn_base", "multi_turn_miss_func"], "subset": 8,
                  "progress": False}


@pytest.mark.parametrize("workers", [1, 4])
def test_an_interrupted_run_resumes_with_the_metrics_of_an_uninterrupted_one(tmp_path, workers):
    full = BfclBenchmark(workers=workers, **RESUME_OPTIONS).evaluate(
        DropSomeLastTurns(), output_dir=tmp_path / "full")
    assert 0 < full["accuracy"] < 1  # some entries fail: the rows differ from entry to entry
    out = tmp_path / "resumed"
    killed = DropSomeLastTurns()
    count_episodes(killed, crash_after=5)
    with pytest.raises(RuntimeError, match="killed"):
        BfclBenchmark(workers=workers, **RESUME_OPTIONS).evaluate(killed, output_dir=out)
    written = {r["id"] for r in _rows(out)}
    assert 5 <= len(written) < 16  # what finished before the kill was kept
    again = DropSomeLastTurns()
    played = count_episodes(again)
    resumed = BfclBenchmark(workers=workers, **RESUME_OPTIONS).evaluate(again, output_dir=out)
    assert sorted(played) == sorted(
        t.id for t in BfclBenchmark(**RESUME_OPTIONS).tasks() if t.id not in written)
    assert resumed == full
    assert _rows(out) == _rows(tmp_path / "full")  # every entry once, in the entries' order
    assert count_episodes_after_a_rerun(out) == []


def count_episodes_after_a_rerun(out) -> list[str]:
    policy = DropSomeLastTurns()
    played = count_episodes(policy)
    BfclBenchmark(**RESUME_OPTIONS).evaluate(policy, output_dir=out)
    return played


def test_a_last_line_cut_short_is_dropped_and_the_rows_before_it_are_kept(tmp_path):
    benchmark = BfclBenchmark(subset=6, progress=False)
    full = benchmark.evaluate(DropLastTurn(), output_dir=tmp_path)
    path = tmp_path / "bfcl_results.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])  # killed mid-write
    policy = DropLastTurn()
    played = count_episodes(policy)
    assert benchmark.evaluate(policy, output_dir=tmp_path) == full  # the same object again
    assert played == [json.loads(line)["id"] for line in lines[3:]]
    assert path.read_text().splitlines(keepends=True) == lines


def test_results_of_other_settings_or_another_policy_are_refused(tmp_path):
    from orchestrl.errors import ConfigError

    BfclBenchmark(subset=2, progress=False).evaluate(BfclGoldPolicy(), output_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"other settings \(differs in max_steps_per_turn\)"):
        BfclBenchmark(subset=2, max_steps_per_turn=3, progress=False).evaluate(
            BfclGoldPolicy(), output_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"differs in policy\)"):
        BfclBenchmark(subset=2, progress=False).evaluate(DropLastTurn(), output_dir=tmp_path)
    (tmp_path / "bfcl_results.jsonl.settings.json").unlink()
    with pytest.raises(ConfigError, match="results of unknown settings"):
        BfclBenchmark(subset=2, progress=False).evaluate(BfclGoldPolicy(), output_dir=tmp_path)
    # a larger selection under the same settings reuses the rows it shares
    other = tmp_path / "more"
    BfclBenchmark(subset=2, progress=False).evaluate(BfclGoldPolicy(), output_dir=other)
    policy = BfclGoldPolicy()
    played = count_episodes(policy)
    BfclBenchmark(subset=5, progress=False).evaluate(policy, output_dir=other)
    assert len(played) == 3 and len(_rows(other)) == 5


def test_the_gold_policy_keeps_each_threads_episode_apart():
    first, second = (entry_to_task(e) for e in load_entries("multi_turn_base")[:2])
    policy = BfclGoldPolicy()
    begun = threading.Barrier(2)
    outputs: dict[str, str] = {}

    def play(task: Task) -> None:
        policy.begin_episode(task)
        begun.wait(5)  # both episodes begun before either acts
        messages = [{"role": "user", "content": "q"}]
        outputs[task.id] = policy.act(messages, []).text

    threads = [threading.Thread(target=play, args=(t,)) for t in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for task in (first, second):
        expected = [s.function for s in task.steps if s.turn == 0]
        made = [json.loads(block.strip().split("\n")[1])["name"]
                for block in outputs[task.id].split("</tool_call>") if block.strip()]
        assert made == expected and made
    assert gold_turns(first) != gold_turns(second)
    with pytest.raises(RuntimeError, match="before begin_episode"):
        BfclGoldPolicy().act([{"role": "user", "content": "q"}], [])
