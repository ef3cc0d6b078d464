"""Abstract component types and the data types they exchange.

orchestrl has six kinds of component. Each kind is an abstract base class here; a plugin
registers subclasses through ``orchestrl_register_<kind>(registry)`` (see
:mod:`orchestrl.hookspecs`), and Hydra builds the configured ones.

Constructor convention for every component: keyword arguments are the fields of the
component's config dataclass, plus the runtime dependencies its kind documents below (passed
by the run loop, never by config).

The data types are plain dataclasses of JSON-compatible values so that trajectories, tasks
and results can be written to JSONL and read back without pickle.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from omegaconf import DictConfig

JSON = Any
"""A JSON-compatible value: dict, list, str, int, float, bool or None."""

RESPONSE_CHARS = 8_192
"""The longest tool response a model reads, in characters (the paper's cut); the default of
every response budget (environment, rollouts, benchmarks)."""


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class ToolCall:
    """One tool call as the model meant it: a function name and an argument object."""

    name: str
    arguments: dict[str, JSON]
    id: str | None = None


class ErrorKind:
    """Names of the ways a tool call can fail; stored as plain strings in results."""

    UNKNOWN_TOOL = "unknown_tool"
    MISSING_REQUIRED = "missing_required"
    UNKNOWN_PARAMETER = "unknown_parameter"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    NOT_FOUND = "not_found"
    API_ERROR = "api_error"
    PARSE_ERROR = "parse_error"

    VALIDATION = frozenset(
        {UNKNOWN_TOOL, MISSING_REQUIRED, UNKNOWN_PARAMETER, WRONG_TYPE, INVALID_VALUE}
    )


@dataclass(frozen=True)
class ToolResult:
    """What the environment answered to one call.

    ``ok`` is True only when the call passed validation and was answered by a real response
    that does not itself report a failure. ``content`` is the response (or an error payload
    written for the model to read); ``error_kind`` is one of :class:`ErrorKind` or None;
    ``key`` is the cache key that answered, when there was one. ``text`` is the response as
    text when it was read from text (a ``tool`` message, a ``<tool_response>`` block) rather
    than returned as a value: ``content`` is then that text's JSON value, or the text itself
    when it is not JSON; None for a response returned as a value.
    """

    ok: bool
    content: JSON
    error_kind: str | None = None
    message: str = ""
    cache_hit: bool = False
    key: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class DependencyRef:
    """A dependent argument: its value is found at ``from_field`` in step ``from_step``'s response.

    ``from_field`` is a path such as ``data[0].id``, ``hotels[0].property.latitude`` or
    ``[0].coordinates.latitude``, read relative to the response's ``data`` payload when the
    response has one (see :func:`orchestrl.paths.resolve`).
    """

    from_step: int
    from_field: str


@dataclass
class GoldStep:
    """One expected call of a task, with where its dependent arguments come from.

    ``turn`` groups calls the benchmark expects in the same assistant turn (parallel calls);
    None means one call per turn in step order. ``response`` is the real response the gold call
    received, or None when it is not known.
    """

    index: int
    function: str
    arguments: dict[str, JSON]
    depends_on: tuple[int, ...] = ()
    dependency_args: dict[str, DependencyRef] = field(default_factory=dict)
    response: JSON = None
    turn: int | None = None


@dataclass
class Task:
    """A user query, the tool schemas offered for it, and the gold steps that solve it."""

    id: str
    query: str
    tools: list[dict[str, JSON]]
    steps: list[GoldStep]
    domain: str = ""
    metadata: dict[str, JSON] = field(default_factory=dict)


@dataclass
class CallRecord:
    """One attempted call in a rollout.

    ``raw`` is the text of the call as the model emitted it. ``call`` is None when the text
    looked like a call but did not parse (``parse_error`` says why); such attempts are kept,
    never dropped. ``result`` is the environment's answer, None when the call was not executed.
    """

    turn: int
    raw: str
    call: ToolCall | None
    parse_error: str | None = None
    result: ToolResult | None = None


@dataclass
class Trajectory:
    """A whole multi-turn rollout: chat messages plus the per-call environment metadata.

    ``stop_reason`` is one of ``answer``, ``max_turns``, ``token_budget`` or ``error``.
    """

    task_id: str
    messages: list[dict[str, JSON]]
    calls: list[CallRecord]
    final_answer: str | None = None
    stop_reason: str = "answer"


@dataclass(frozen=True)
class PolicyOutput:
    """One assistant turn: its text, and structured tool calls when the backend returns them."""

    text: str
    tool_calls: list[dict[str, JSON]] | None = None


# --------------------------------------------------------------------------- environment


@runtime_checkable
class ToolEnvironment(Protocol):
    """What a rollout talks to: validates a call and answers it (from the cache or a backend).

    ``call`` never raises for anything a model can send (unknown tool, bad arguments, huge
    values): it returns a :class:`ToolResult` whose ``error_kind`` says what went wrong, except
    under the ``strict`` miss policy, which raises :class:`orchestrl.errors.CacheMissError`.
    ``reset`` starts a new episode (stateful worlds rebuild their backend for ``task``).
    """

    def call(self, name: str, arguments: dict[str, JSON]) -> ToolResult:
        """Answer one call."""
        ...

    def reset(self, task: Task | None = None) -> None:
        """Start a new episode."""
        ...


# --------------------------------------------------------------------------- component kinds


class CacheBackend(abc.ABC):
    """A byte-level key-value store under the response cache.

    Keys are strings, values bytes. ``set_many`` is atomic: after it returns every item is
    stored, and if it raises (or the process dies) none of them is. Backends must tolerate
    several processes writing at once. Construction takes the config fields only.
    """

    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """Return the value stored under ``key``, or None."""

    @abc.abstractmethod
    def set_many(self, items: Mapping[str, bytes]) -> None:
        """Store every item atomically (all or none)."""

    @abc.abstractmethod
    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it was present."""

    @abc.abstractmethod
    def keys(self) -> Iterator[str]:
        """Iterate over all keys, in no particular order."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """Number of keys stored."""

    def set(self, key: str, value: bytes) -> None:
        """Store one value."""
        self.set_many({key: value})

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Return the stored values of those keys that are present."""
        found = {}
        for key in keys:
            value = self.get(key)
            if value is not None:
                found[key] = value
        return found

    def close(self) -> None:  # noqa: B027 - optional hook, most backends need nothing
        """Release connections or file handles."""


class Sampler(abc.ABC):
    """Produces tasks (synthesized traces).

    Runtime dependencies passed at construction: ``cache`` (the response cache) and ``env``
    (the tool environment); a sampler ignores the ones it does not need via ``**_``.
    """

    @abc.abstractmethod
    def sample(self, n: int, *, seed: int) -> Iterator[Task]:
        """Yield up to ``n`` distinct valid tasks, deterministically for ``seed``."""


class RewardTerm(abc.ABC):
    """One term of the reward, scoring a trajectory against its task's gold steps.

    Contract: ``score`` returns a float in [0, 1], never raises on any trajectory a model can
    produce, and is a pure function of its inputs. Runtime dependency passed at construction:
    none; the tool schemas come with the task.
    """

    @abc.abstractmethod
    def score(self, trajectory: Trajectory, task: Task) -> float:
        """Return this term's score of ``trajectory`` for ``task``, in [0, 1]."""


class Policy(abc.ABC):
    """Chooses the next assistant turn given the conversation and the tool schemas."""

    parallel_safe: bool = False
    """Whether ``act`` may be called from several threads at once."""

    def begin_episode(self, task: Task) -> None:  # noqa: B027 - optional hook
        """Called once before each rollout, in the thread that then plays it; scripted
        policies read the gold steps here."""

    def identity(self) -> dict[str, JSON]:
        """What determines this policy's turns, as JSON: a benchmark resuming into an output
        directory reuses earlier results only when this is unchanged. Default: the class;
        policies whose options change their turns (weights, adapters, decoding) add them."""
        cls = type(self)
        return {"policy": f"{cls.__module__}.{cls.__qualname__}"}

    @abc.abstractmethod
    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        """Return the next assistant turn."""

    def close(self) -> None:  # noqa: B027 - optional hook, most policies hold nothing
        """Release what the policy holds (a server process, a model); the caller that built
        it calls this once when done. Idempotent."""


class Benchmark(abc.ABC):
    """Evaluates a policy and writes per-item results and a summary under ``output_dir``."""

    @abc.abstractmethod
    def evaluate(self, policy: Policy, *, output_dir: Path) -> dict[str, float]:
        """Run the benchmark; return the headline metrics by name."""

    def item_counts(self, output_dir: Path) -> dict[str, dict[str, tuple[float, float]]]:
        """Per item id, the ``(numerator, denominator)`` of each headline metric, read from what
        :meth:`evaluate` wrote under ``output_dir``, such that a metric over any set of items is
        the sum of its numerators over the sum of its denominators (an item outside a metric's
        population has denominator 0). Confidence intervals are bootstrapped over these items
        (:mod:`orchestrl.plugins.pipeline.intervals`). Default: none, so no intervals."""
        return {}


class World(abc.ABC):
    """A family of tasks and the tools that solve them (verifiers' ``Environment``): what
    differs between the Booking.com world and BFCL, in one object.

    A world knows its tools (the schemas the response cache is keyed by), its task source for
    training, its environment factory, its system prompt and how ``orchestrl synth`` draws its
    tasks. Its default sampler and benchmark and its CPU budget of ``orchestrl run`` are the
    world's YAML config (``conf/world/<name>.yaml``), which also fills the constructor options
    below. Nothing outside a world asks which world it is in: callers use these methods.

    Methods receive the whole composed config (``cfg``) for the shared nodes they read
    (``data_dir``, ``sampler``, ``cache``, ``env``, ``trainer.data``, ``synth``, ``seed``).
    Constructor options (the ``world`` node): ``sampler``, ``eval`` and ``eval_policy`` are
    options merged onto the sampler, benchmark and policy nodes of ``orchestrl run``'s stages.
    """

    name: ClassVar[str] = ""
    """The registered name (``booking``, ``bfcl``), set by each world class."""

    system_prompt: ClassVar[str | None] = None
    """The system turn of training rollouts; None keeps the rollout's default."""

    def __init__(
        self,
        sampler: dict[str, Any] | None = None,
        eval: dict[str, Any] | None = None,
        eval_policy: dict[str, Any] | None = None,
    ) -> None:
        self.options: dict[str, dict[str, Any]] = {
            "sampler": dict(sampler or {}),
            "eval": dict(eval or {}),
            "eval_policy": dict(eval_policy or {}),
        }

    @abc.abstractmethod
    def tool_schemas(self, cfg: DictConfig) -> Mapping[str, Any] | None:
        """Schemas that key the response cache (by declared types), or None when calls are
        keyed by their exact JSON. Raises ConfigError when the world's data is missing."""

    @abc.abstractmethod
    def training_tasks(self, cfg: DictConfig) -> tuple[list[Task], Path | None]:
        """Tasks to train on when ``trainer.data.tasks_file`` is unset, and the file they came
        from (None when they are generated)."""

    @abc.abstractmethod
    def env_factory(self, cfg: DictConfig, cache: Any) -> Callable[[], ToolEnvironment]:
        """A factory of fresh environments sharing ``cache`` (a ``ResponseCache``)."""

    @abc.abstractmethod
    def synthesize(self, cfg: DictConfig, n: int, out: Path) -> dict[str, Any]:
        """Draw ``n`` tasks with ``cfg.sampler`` for ``cfg.seed``, write them to
        ``out / synth.output`` with ``summary.json`` beside them; return the summary."""

    @abc.abstractmethod
    def data_version(self, cfg: DictConfig) -> str:
        """A string that changes whenever the world's data changes: ``orchestrl run`` hashes
        it into the keys of the stages that read the data."""

    def data_files(self, cfg: DictConfig) -> list[Path]:
        """Data files (beyond a tasks file) a training run reads, for its run record."""
        return []
