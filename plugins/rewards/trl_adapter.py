"""Reward terms as TRL reward functions, for ``GRPOTrainer(reward_funcs=..., args=GRPOConfig(
reward_weights=...))``.

:func:`trl_reward_functions` returns one callable per term, named after the term (TRL logs
``rewards/<term>/mean``), and the weights list in the same order. TRL 1.16 calls each as
``func(prompts=..., completions=..., completion_ids=..., **columns)`` where ``columns`` are the
dataset's other columns, one value per completion, plus ``trainer_state``, ``log_extra``,
``log_metric`` and, with ``environment_factory``, ``environments``. The task travels as the
dataset column ``task`` (JSON text from :func:`~orchestrl.plugins.rewards.task_codec.task_to_json`,
best with ``with_responses=False``; a :class:`~orchestrl.api.Task` object is accepted too).

A completion becomes a :class:`~orchestrl.api.Trajectory`:

* a string (standard mode): its tool-call attempts, each with the ``<tool_response>`` block
  that follows it when the text carries responses inline (the reference's and verl's format,
  :mod:`~orchestrl.plugins.rewards.text_trajectory`); without responses none is executed;
* a list of messages (conversational/tool mode, where TRL appends ``tool`` messages with the
  tool's output after each assistant message that has ``tool_calls``): the calls of each
  assistant message (:func:`~orchestrl.plugins.parsing.tool_calls.parse_message`), each paired
  with its ``tool`` message (by ``tool_call_id`` when present, else in order).

Execution metadata comes from the environment when it keeps it: when ``environments[i]`` has a
``calls`` attribute holding :class:`~orchestrl.api.CallRecord` objects (as the rollout engine's
episodes do), those records — with the environment's ``ToolResult`` — are the trajectory's
calls. Otherwise each call's result is read from its ``tool`` message: ``ok`` when the content
is JSON that is not an error payload (an object with an ``error`` key, ``status`` false, or
``{}``); text that is not JSON counts as a failure.

All functions built together share one batch's conversion and scores: the first function
called on a batch converts, analyses and scores it for every term, so a batch is parsed and
analysed once however many terms there are, and the others return their term's column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

from orchestrl.api import CallRecord, RewardTerm, Task, Trajectory
from orchestrl.errors import ConfigError
from orchestrl.plugins.parsing.tool_calls import parse_message
from orchestrl.plugins.rewards.combined import CombinedReward
from orchestrl.plugins.rewards.task_codec import task_from_json
from orchestrl.plugins.rewards.text_trajectory import records_from_text, result_from_text

TASK_COLUMN = "task"


class _BatchCache:
    """The last batch's trajectories and every term's scores, shared by the functions of one
    reward: the first function called on a batch scores all the terms (one analysis per
    trajectory, :meth:`CombinedReward.breakdown`), the others read their column.

    A batch is recognised by its ``completions`` and ``environments`` objects (TRL hands the
    same ones to every reward function of a step, and new ones for every step); the last
    batch is held until the next one arrives.
    """

    def __init__(self, task_column: str, reward: CombinedReward) -> None:
        self.task_column = task_column
        self.reward = reward
        self._batch: tuple[Any, Any] | None = None
        self.columns: dict[str, list[float]] = {}

    def scores(self, completions: Sequence[Any], kwargs: Mapping[str, Any]) -> dict:
        """Each term's scores of the batch, by term name (computed once per batch: one
        :meth:`CombinedReward.scored` per completion)."""
        environments = kwargs.get("environments")
        batch = self._batch
        if batch is None or batch[0] is not completions or batch[1] is not environments:
            tasks = kwargs.get(self.task_column)
            if tasks is None:
                raise ConfigError(
                    f"the dataset has no '{self.task_column}' column; add the task as JSON "
                    "text (orchestrl.plugins.rewards.task_codec.task_to_json)"
                )
            scored = self.reward.scored
            rows = [
                scored(to_trajectory(completion, env, task_id=task.id), task)[1]
                for completion, task, env in zip(
                    completions,
                    batch_tasks(tasks),
                    environments or [None] * len(completions),
                    strict=True,
                )
            ]
            columns = {name: list(column) for name, column in zip(
                self.reward.names, zip(*rows, strict=True) if rows else repeat(()), strict=False
            )}
            self.columns, self._batch = columns, (completions, environments)
        return self.columns


class TermRewardFunction:
    """One reward term as a TRL reward function; ``__name__`` is the term name."""

    def __init__(self, name: str, term: RewardTerm, cache: _BatchCache) -> None:
        self.__name__ = name
        self.term = term
        self._cache = cache

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any
    ) -> list[float]:
        return list(self._cache.scores(completions, kwargs)[self.__name__])

    def __repr__(self) -> str:
        return f"<reward function {self.__name__}: {type(self.term).__name__}>"


def trl_reward_functions(
    reward: CombinedReward | Mapping[str, tuple[RewardTerm, float]],
    *,
    task_column: str = TASK_COLUMN,
) -> tuple[list[TermRewardFunction], list[float]]:
    """One TRL reward function per term, and the matching ``reward_weights``."""
    combined = reward if isinstance(reward, CombinedReward) else CombinedReward(reward)
    cache = _BatchCache(task_column, combined)
    functions = [
        TermRewardFunction(name, term, cache) for name, (term, _) in combined.terms.items()
    ]
    return functions, combined.weights


def to_trajectory(completion: Any, environment: Any = None, *, task_id: str = "") -> Trajectory:
    """The trajectory of one TRL completion (see the module docstring)."""
    recorded = getattr(environment, "calls", None)
    from_environment = isinstance(recorded, list) and all(
        map(isinstance, recorded, repeat(CallRecord))
    )
    if isinstance(completion, str):
        messages: list[dict[str, Any]] = [{"role": "assistant", "content": completion}]
    else:
        messages = [m for m in completion or [] if type(m) is dict or isinstance(m, Mapping)]
    if from_environment:  # the environment's records stand for the calls: nothing to parse
        calls = list(recorded)
    elif isinstance(completion, str):
        calls = records_from_text(completion)
    else:
        calls = _calls_from_messages(messages)
    final = None
    if messages and messages[-1].get("role") == "assistant" and not messages[-1].get("tool_calls"):
        content = messages[-1].get("content")
        final = content if isinstance(content, str) else None
    return Trajectory(task_id=task_id, messages=messages, calls=calls, final_answer=final)


def _calls_from_messages(messages: list[Mapping[str, Any]]) -> list[CallRecord]:
    records: list[CallRecord] = []
    turn = 0
    pending: list[int] = []  # the last assistant message's records not answered yet
    for message in messages:
        role = message.get("role")
        if role == "assistant":
            start = len(records)
            records += parse_message(message, turn=turn)
            pending = list(range(start, len(records)))
            turn += 1
        elif role == "tool" and pending:
            slot = _slot_for(message, records, pending)
            pending.remove(slot)
            record = records[slot]
            records[slot] = CallRecord(
                record.turn, record.raw, record.call, record.parse_error,
                result_from_text(message.get("content")),
            )
    return records


def _slot_for(message: Mapping[str, Any], records: list[CallRecord], pending: list[int]) -> int:
    """The pending record whose call has the message's ``tool_call_id``, else the first."""
    call_id = message.get("tool_call_id")
    if call_id is not None and (type(call_id) is str or isinstance(call_id, str)):
        for slot in pending:
            call = records[slot].call
            if call is not None and call.id == call_id:
                return slot
    return pending[0]


def batch_tasks(column: Sequence[Any]) -> list[Task]:
    """The task of each row of a batch's task column (JSON text or :class:`Task` objects).

    TRL repeats each prompt's row once per generation, as new strings: a text equal to the
    row before's is not decoded (nor hashed) again, only compared with it (equal texts give
    the same task, as :func:`~orchestrl.plugins.rewards.task_codec.task_from_json` does).
    """
    tasks: list[Task] = []
    last_text: Any = None
    task: Task | None = None
    for value in column:
        if task is None or (value is not last_text and (
            type(value) is not str or type(last_text) is not str or value != last_text
        )):
            task, last_text = _task(value), value
        tasks.append(task)
    return tasks


def _task(value: Any) -> Task:
    return value if isinstance(value, Task) else task_from_json(value)
