"""Benchmark ``bfcl``: BFCL v4 multi-turn, run turn by turn and scored by BFCL's own checker.

For every selected entry the policy sees the conversation grow as in BFCL's inference loop:
the user messages of turn *t* are appended (for a ``miss_func`` hold-out turn, BFCL's "I have
updated some more functions" message, and the held-out tools join the offered ones), then the
policy acts step after step through the rollout engine's :class:`~orchestrl.plugins.rollout.
engine.Episode` (tool schemas in OpenAI form, rendered by the policy's chat template; calls
parsed from structured ``tool_calls`` or ``<tool_call>`` text), each call executed on the real
backends by :class:`~orchestrl.plugins.worlds.bfcl.environment.BfclEnvironment`, until a step has no
call. More than ``max_steps_per_turn`` steps in a turn, the token budget, or a policy failure
ends the entry early (BFCL's force-termination: the entry fails).

Scores per entry: ``valid`` (BFCL's all-or-nothing verdict from
:func:`~orchestrl.plugins.worlds.bfcl.checker.check_entry`, with its error type), ``partial``
(the share of scored turns passing BFCL's state and response checks) and, when a ``reward`` runtime
dependency is given (anything with ``score(trajectory, task)``, e.g. the configured
:class:`~orchestrl.plugins.rewards.combined.CombinedReward`) or else ``reward_preset`` names a
shipped preset (default ``graduated``), the graduated reward of the trajectory; and the
number of gold calls the model made in their turn with exactly the gold arguments
(``calls_matched`` of ``calls_gold``: a finer signal than the all-or-nothing verdict). Headline
metrics: ``accuracy``, ``partial``, ``call_accuracy`` (matched / gold calls) and ``reward``
overall (entry- or call-weighted) and per category as ``<category>/<metric>``. Files under
``output_dir``: ``bfcl_results.jsonl`` (one line per entry, appended as each entry finishes;
a rerun into the same directory plays only the entries not in it, and refuses a file written
under other settings: see :mod:`~orchestrl.plugins.benchmarks.resume`), its
``bfcl_results.jsonl.settings.json`` and ``bfcl_summary.json``.

Entries run in threads (``workers`` in flight) when the policy is ``parallel_safe`` (e.g.
``policy=llamacpp``, ``policy=openai`` or ``policy=bfcl_gold``); otherwise one after another.
Each entry has its own environment and backends, the backends' calls hold the executor's
process-wide lock (:mod:`~orchestrl.plugins.worlds.bfcl.executor`), and the rows are returned
and finally written in the entries' order, so the results are those of the sequential run.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from orchestrl import hookimpl
from orchestrl.api import RESPONSE_CHARS, Benchmark, Policy, Task, ToolCall, Trajectory
from orchestrl.errors import ConfigError
from orchestrl.jsonl import read_jsonl
from orchestrl.plugins.benchmarks.resume import ResultFile, class_name, run_resumable
from orchestrl.plugins.rewards.presets import preset_reward
from orchestrl.plugins.rollout.driver import Rules, drive
from orchestrl.plugins.rollout.engine import Episode, RolloutLimits
from orchestrl.plugins.rollout.prompt import openai_tools
from orchestrl.plugins.worlds.bfcl.calls import format_call
from orchestrl.plugins.worlds.bfcl.checker import check_entry
from orchestrl.plugins.worlds.bfcl.entries import CATEGORIES, load_entries, tools_for_turn
from orchestrl.plugins.worlds.bfcl.environment import BfclEnvironment, bfcl_cache, exact_json
from orchestrl.plugins.worlds.bfcl.prompt import SYSTEM_PROMPT
from orchestrl.plugins.worlds.bfcl.split import SPLITS, select
from orchestrl.plugins.worlds.bfcl.tasks import entry_to_task, task_to_entry
from orchestrl.registry import Registry

log = logging.getLogger(__name__)

RESULTS_FILE = "bfcl_results.jsonl"


def results_file(path: Path) -> ResultFile[dict[str, Any]]:
    """The per-entry results file at ``path`` (rows are JSON objects with an ``id``)."""
    return ResultFile(path, dict, _row)


def _row(record: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(record, dict) or "valid" not in record or "category" not in record:
        raise ValueError("not a bfcl result row")
    return record


ADDITIONAL_FUNCTION_PROMPT = (
    "I have updated some more functions you can choose from. What about now?"
)
"""BFCL's user message of a ``miss_func`` hold-out turn."""


class BfclBenchmark(Benchmark):
    """BFCL multi-turn evaluation (see the module doc). Runtime dependencies: ``reward``
    (optional scorer of trajectories) and ``cache`` (optional response cache without schemas,
    which then records every executed call)."""

    def __init__(
        self,
        categories: list[str] | None = None,
        split: str = "all",
        subset: int = 0,
        ids: list[str] | None = None,
        max_steps_per_turn: int = 20,
        max_calls_per_step: int = 64,
        token_budget: int = 65_536,
        response_chars: int = RESPONSE_CHARS,
        tool_description_chars: int | None = None,
        system_prompt: str = SYSTEM_PROMPT,
        reward_preset: str = "graduated",
        progress: bool = True,
        workers: int = 4,
        reward: Any = None,
        cache: Any = None,
    ) -> None:
        """Options (the config node ``benchmark=bfcl`` is derived from this signature):

        ``categories``: any of multi_turn_base, multi_turn_miss_func, multi_turn_miss_param,
        multi_turn_long_context (default multi_turn_base). ``split``: all | eval | train, the
        scenarios of the documented split (:mod:`orchestrl.plugins.worlds.bfcl.split`).
        ``subset``: the first ``subset`` selected entries of each category (0: all). ``ids``:
        only these entry ids. ``max_steps_per_turn``: BFCL's MAXIMUM_STEP_LIMIT, assistant
        steps per user turn before force-termination. ``token_budget``: tokens the policy may
        generate over one entry. ``tool_description_chars``: compact the tool descriptions to
        this many characters (0: names, types and enums only; None: BFCL's full docs); set it as in
        training so the evaluated model sees the prompts it was trained on.
        ``system_prompt``: the system turn ("" for none). ``reward_preset``: the reward preset
        (conf/reward) scoring each trajectory when the run loop passes no ``reward``; "" for
        none. ``workers``: entries in flight at once when the policy is ``parallel_safe``
        (else 1). ``reward`` and ``cache`` are runtime dependencies, never config.
        """

        self.categories = list(categories or ["multi_turn_base"])
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise ConfigError(
                f"unknown bfcl category '{unknown[0]}'; available: {', '.join(CATEGORIES)}"
            )
        if split not in SPLITS:
            raise ConfigError(f"bfcl split '{split}' is not one of {', '.join(SPLITS)}")
        if subset < 0 or max_steps_per_turn < 1 or max_calls_per_step < 1 or token_budget < 1:
            raise ConfigError("bfcl subset must be >= 0 and the step, call and token limits >= 1")
        if workers < 1:
            raise ConfigError(f"bfcl workers must be >= 1, got {workers}")
        self.workers = workers
        self.split = split
        self.subset = subset
        self.ids = set(ids or [])
        self.max_steps_per_turn = max_steps_per_turn
        self.max_calls_per_step = max_calls_per_step
        self.token_budget = token_budget
        self.response_chars = response_chars
        if tool_description_chars is not None and tool_description_chars < 0:
            raise ConfigError(
                f"bfcl tool_description_chars must be >= 0 or null, got {tool_description_chars}"
            )
        self.tool_description_chars = tool_description_chars
        self.system_prompt = system_prompt or None
        self.progress = progress
        self.reward_preset = reward_preset
        self.reward = reward
        self.reward_name = class_name(reward) if reward is not None else reward_preset or None
        """The scorer as a setting of the results: the runtime reward's class, else the preset."""

        self.cache = bfcl_cache(cache)

    def tasks(self) -> list[Task]:
        """The selected entries as tasks, category by category."""

        tasks = []
        for category in self.categories:
            entries = select(load_entries(category), self.split)
            if self.ids:
                entries = [e for e in entries if e.id in self.ids]
            if self.subset:
                entries = entries[: self.subset]
            tasks.extend(entry_to_task(e) for e in entries)
        return tasks

    def evaluate(self, policy: Policy, *, output_dir: Path) -> dict[str, float]:
        """Run every selected entry not yet in ``bfcl_results.jsonl`` (a rerun into the same
        ``output_dir`` resumes, see :mod:`~orchestrl.plugins.benchmarks.resume`), write the
        per-entry results and summary, return metrics."""
        output_dir = Path(output_dir)
        tasks = self.tasks()
        if not tasks:
            raise ConfigError("the bfcl benchmark selected no entries")
        if self.reward is None and self.reward_preset:
            self.reward = preset_reward(self.reward_preset)

        def one(task: Task) -> dict[str, Any]:
            return self.run_entry(policy, BfclEnvironment(self.cache, miss_policy="live"), task)

        rows = run_resumable(tasks, one, results_file(output_dir / RESULTS_FILE),
                             self.settings(policy), workers=self.workers,
                             parallel=policy.parallel_safe, desc="bfcl", progress=self.progress)
        summary = summarize(rows)
        (output_dir / "bfcl_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary

    def settings(self, policy: Policy) -> dict[str, Any]:
        """What an entry's row depends on besides the entry: the options of the episode and
        of its scoring, and the policy's identity (a resumed run must match them)."""
        return {
            "max_steps_per_turn": self.max_steps_per_turn,
            "max_calls_per_step": self.max_calls_per_step,
            "token_budget": self.token_budget,
            "response_chars": self.response_chars,
            "tool_description_chars": self.tool_description_chars,
            "system_prompt": self.system_prompt,
            "reward": self.reward_name,
            **policy.identity(),
        }

    def item_counts(self, output_dir: Path) -> dict[str, dict[str, tuple[float, float]]]:
        """Per entry of ``bfcl_results.jsonl``: accuracy, partial, call accuracy (matched of
        gold calls) and reward, the counts :func:`summarize` averages."""

        path = Path(output_dir) / RESULTS_FILE
        counts: dict[str, dict[str, tuple[float, float]]] = {}
        for _, row in read_jsonl(path) if path.is_file() else ():
            counts[str(row["id"])] = {
                "accuracy": (float(row["valid"]), 1.0),
                "partial": (float(row["partial"]), 1.0),
                "call_accuracy": (float(row.get("calls_matched", 0)),
                                  float(row.get("calls_gold", 0))),
                **({"reward": (float(row["reward"]), 1.0)} if "reward" in row else {}),
            }
        return counts

    def run_entry(self, policy: Policy, env: Any, task: Task) -> dict[str, Any]:
        """One entry: the episode, BFCL's verdict, the partial score and the reward."""

        trajectory, model_turns = self.episode(policy, env, task)
        entry = task_to_entry(task)
        entry.category = task.metadata.get("category", entry.category)
        verdict = check_entry(entry, model_turns)
        row: dict[str, Any] = {
            "id": task.id,
            "category": entry.category,
            "valid": verdict.valid,
            "error_type": verdict.error_type,
            "error_message": verdict.error_message,
            "partial": verdict.partial,
            "turn_passed": verdict.turn_passed,
            "calls_gold": len(task.steps),
            "calls_matched": matched_calls(task, model_turns),
            "stop_reason": trajectory.stop_reason,
            "calls": [[[_call_text(c) for c in step] for step in turn] for turn in model_turns],
        }
        if self.reward is not None:
            row["reward"] = float(self.reward.score(trajectory, task))
        return row

    def episode(
        self, policy: Policy, env: Any, task: Task
    ) -> tuple[Trajectory, list[list[list[ToolCall]]]]:
        """Roll the policy out over the task's user turns (the rollout driver with
        :class:`UserTurns`); return the trajectory and its calls per turn and step (parsed
        calls only, as BFCL decodes them)."""

        limits = RolloutLimits(
            max_calls_per_turn=self.max_calls_per_step,
            token_budget=self.token_budget,
            response_chars=self.response_chars,
            system_prompt=self.system_prompt,
        )
        episode = Episode(task, env, limits)
        rules = UserTurns(task, self.max_steps_per_turn, self.tool_description_chars)
        stop = drive(policy, episode, rules)
        return episode.trajectory(stop), rules.model_turns


class UserTurns(Rules):
    """BFCL's inference loop as rules of the rollout driver: a step without a call ends the
    user turn and the next turn's user messages are appended (for a ``miss_func`` hold-out
    turn, :data:`ADDITIONAL_FUNCTION_PROMPT`, and the held-out tools join the offered ones);
    more than ``max_steps`` steps in a turn force-quit the entry (``max_turns``); the token
    budget ends it (``token_budget``). The turn BFCL force-quits in is kept in
    :attr:`model_turns`."""

    def __init__(self, task: Task, max_steps: int, tool_description_chars: int | None) -> None:
        self.entry = task_to_entry(task)
        self.user_turns: list[list[dict[str, Any]]] = task.metadata["turns"]
        self.held_out = {int(k) for k in task.metadata.get("missed_function", {})}
        self.max_steps = max_steps
        self.tool_description_chars = tool_description_chars
        self.turn = 0
        self.steps = 0
        self.model_turns: list[list[list[ToolCall]]] = [[]]
        self._tools = self._turn_tools()

    def tools(self, episode: Episode) -> list[dict[str, Any]]:
        return self._tools

    def after_turn(self, episode: Episode, output: Any, records: list[Any]) -> str | None:
        self.steps += 1
        calls = [r.call for r in records if r.call is not None]
        if calls:
            self.model_turns[-1].append(calls)
        if not records:
            return self._next_user_turn(episode)
        if episode.tokens >= episode.limits.token_budget:
            return "token_budget"
        return "max_turns" if self.steps > self.max_steps else None

    def _next_user_turn(self, episode: Episode) -> str | None:
        self.turn += 1
        if self.turn >= len(self.user_turns):
            return "answer"
        messages = self.user_turns[self.turn]
        if self.turn in self.held_out and not messages:
            messages = [{"role": "user", "content": ADDITIONAL_FUNCTION_PROMPT}]
        episode.messages.extend(dict(m) for m in messages)
        self.steps = 0
        self.model_turns.append([])
        self._tools = self._turn_tools()
        return None

    def _turn_tools(self) -> list[dict[str, Any]]:
        return openai_tools(tools_for_turn(self.entry, self.turn), self.tool_description_chars)


def summarize(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Accuracy, partial score and reward means, overall and per category."""
    metrics: dict[str, float] = {}
    groups: dict[str, list[dict[str, Any]]] = {"": rows}
    for row in rows:
        groups.setdefault(row["category"] + "/", []).append(row)
    for prefix, group in groups.items():
        metrics[f"{prefix}accuracy"] = sum(r["valid"] for r in group) / len(group)
        metrics[f"{prefix}partial"] = sum(r["partial"] for r in group) / len(group)
        gold = sum(r.get("calls_gold", 0) for r in group)
        if gold:
            metrics[f"{prefix}call_accuracy"] = sum(r["calls_matched"] for r in group) / gold
        rewards = [r["reward"] for r in group if "reward" in r]
        if rewards:
            metrics[f"{prefix}reward"] = sum(rewards) / len(rewards)
        metrics[f"{prefix}entries"] = float(len(group))
    return metrics


def matched_calls(task: Task, model_turns: list[list[list[ToolCall]]]) -> int:
    """Gold calls the model made in their own user turn with exactly the gold arguments (each
    model call matches at most one gold call; order within the turn is not required)."""

    matched = 0
    for turn, steps in enumerate(model_turns):
        made = Counter(exact_json([c.name, c.arguments]) for step in steps for c in step)
        for step in task.steps:
            text = exact_json([step.function, dict(step.arguments)])
            if (step.turn or 0) == turn and made[text] > 0:
                made[text] -= 1
                matched += 1
    return matched


def _call_text(call: ToolCall) -> str:
    return format_call(call)


@hookimpl
def orchestrl_register_benchmark(registry: Registry) -> None:
    registry.add("bfcl", BfclBenchmark)
