"""The deterministic tool environment: schema validation in front of the response cache.

:meth:`CachedEnvironment.call` answers one call, in this order:

1. unknown tool -> ``unknown_tool`` (the message suggests the closest tool names);
2. arguments longer than ``max_argument_chars`` as JSON, or nested too deeply to key ->
   ``invalid_value``;
3. schema violations (:func:`~orchestrl.plugins.tools.schema.validate_call`: missing required,
   unknown parameter, wrong type, enum) -> the first violation's kind, every violation's
   message joined;
4. a cache hit -> ``ok=True`` with the response, or ``ok=False, error_kind=api_error`` when the
   cached response itself reports a failure (``error`` key or ``status`` false);
5. a miss -> the miss policy (:mod:`~orchestrl.plugins.env.miss`).

Error results carry ``{"error": message}`` as content; messages are written for the model to
read and fix its call. ``call`` never raises for anything a model can send, except under the
``strict`` miss policy. When :meth:`reset` gets a task whose gold steps carry real responses
and a gold call's key holds conflicting responses, that episode answers the call with the
task's own response (when the cache holds it), so the task's dependency chain reproduces.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from orchestrl.api import JSON, RESPONSE_CHARS, ErrorKind, Task, ToolResult
from orchestrl.plugins.cache.codec import response_digest
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.env.counters import EnvCounters
from orchestrl.plugins.env.miss import MissPolicy, make_miss_policy
from orchestrl.plugins.tools.failure import response_failed
from orchestrl.plugins.tools.schema import ToolSchema, coerce_arguments, validate_call


class CachedEnvironment:
    """A :class:`~orchestrl.api.ToolEnvironment` answering from a :class:`ResponseCache`."""

    def __init__(
        self,
        schemas: Mapping[str, ToolSchema],
        cache: ResponseCache,
        miss_policy: str | MissPolicy = "error",
        *,
        max_response_chars: int | None = RESPONSE_CHARS,
        max_argument_chars: int = 65536,
        live: Mapping[str, object] | None = None,
        state: JSON = None,
    ) -> None:
        self.schemas = dict(schemas)
        self.cache = cache
        if not cache.schemas:
            cache.schemas = dict(self.schemas)
        self.miss_policy = (make_miss_policy(miss_policy, live=live)
                            if isinstance(miss_policy, str) else miss_policy)
        self.max_response_chars = max_response_chars
        self.max_argument_chars = max_argument_chars
        self.state = state
        self.counters = EnvCounters()
        self._gold: list[tuple[str, dict[str, JSON], JSON]] = []
        self._preferred: dict[str, str] | None = {}

    # ------------------------------------------------------------------ protocol

    def reset(self, task: Task | None = None) -> None:
        """Start a new episode: fresh episode counters; prefer ``task``'s own responses.

        The gold calls' keys and response digests are computed only when a call of the episode
        hits a key holding conflicting responses (most episodes never do)."""
        self.counters.new_episode()
        self._gold = [(step.function, dict(step.arguments), step.response)
                      for step in (task.steps if task is not None else ())
                      if step.response is not None and step.function in self.schemas]
        self._preferred = None if self._gold else {}

    def call(self, name: str, arguments: dict[str, JSON]) -> ToolResult:
        """Answer one call (see the module docstring); counts it."""
        result, missed, fetched = self._answer(name, arguments)
        self.counters.record(str(name), result, missed=missed, fetched=fetched)
        return result

    # ------------------------------------------------------------------ internals

    def _answer(self, name: Any, arguments: Any) -> tuple[ToolResult, bool, bool]:
        schema = self.schemas.get(name) if isinstance(name, str) else None
        if schema is None:
            return _error(ErrorKind.UNKNOWN_TOOL, self._unknown_tool(name)), False, False
        problem = self._size_problem(schema, arguments)
        if problem:
            return _error(ErrorKind.INVALID_VALUE, problem), False, False
        violations = validate_call(schema, arguments)
        if violations:
            message = "; ".join(v.message for v in violations)
            return _error(violations[0].kind, message), False, False
        coerced = coerce_arguments(schema, arguments)
        try:
            entry = self.cache.lookup(name, coerced, self.state)
        except ValueError as exc:
            return _error(ErrorKind.INVALID_VALUE, f"the arguments of '{name}' cannot be "
                          f"used: {exc}"), False, False
        if entry is None:
            key = self.cache.key(name, coerced, self.state)
            outcome = self.miss_policy.on_miss(schema, coerced, key, self.cache)
            return outcome.result, True, outcome.fetched
        response = entry.response
        if entry.alternatives:
            preferred = self._preferred_digests().get(entry.key)
            if preferred is not None and preferred != entry.digest:
                for alt in entry.alternatives:
                    if alt.digest == preferred:
                        response = alt.response
        if response_failed(response):
            message = _failure_text(response)
            return (ToolResult(False, response, ErrorKind.API_ERROR, message, True, entry.key),
                    False, False)
        return ToolResult(True, response, None, "", True, entry.key), False, False

    def _preferred_digests(self) -> dict[str, str]:
        """Key -> digest of the episode task's own response, for each gold call with one
        (computed on first need; a gold call that cannot be keyed, or whose response is not
        JSON, prefers nothing)."""
        if self._preferred is None:
            self._preferred = {}
            for function, arguments, response in self._gold:
                try:
                    key = self.cache.key(function, arguments, self.state)
                    self._preferred[key] = response_digest(response)
                except ValueError:
                    continue
        return self._preferred

    def _unknown_tool(self, name: Any) -> str:
        shown = name if isinstance(name, str) else json.dumps(name, default=str)[:60]
        close = difflib.get_close_matches(str(shown), list(self.schemas), n=3, cutoff=0.6)
        if close:
            return (f"there is no tool named {str(shown)[:80]!r}; did you mean "
                    f"{' or '.join(repr(c) for c in close)}?")
        names = ", ".join(sorted(self.schemas))
        return f"there is no tool named {str(shown)[:80]!r}; the tools are: {names}"

    def _size_problem(self, schema: ToolSchema, arguments: Any) -> str:
        bound = _flat_json_bound(arguments)
        if bound is not None and bound <= self.max_argument_chars:
            return ""  # short enough whatever its exact length
        try:
            size = len(json.dumps(arguments, default=str))
        except (RecursionError, ValueError):
            return f"the arguments of '{schema.name}' are nested too deeply"
        if size > self.max_argument_chars:
            return (f"the arguments of '{schema.name}' are {size} characters long; the limit "
                    f"is {self.max_argument_chars}")
        return ""


def build_environment(cfg: DictConfig, cache: ResponseCache,
                      schemas: Mapping[str, ToolSchema] | None = None) -> CachedEnvironment:
    """The environment the config's ``env`` node describes, over ``cache``."""
    node = OmegaConf.to_container(cfg.get("env") or {}, resolve=True)
    assert isinstance(node, dict)
    optional = {"max_argument_chars": node["max_argument_chars"]} if node.get(
        "max_argument_chars") is not None else {}  # None: the environment's default
    return CachedEnvironment(
        schemas if schemas is not None else cache.schemas,
        cache,
        str(node.get("miss_policy", "error")),
        max_response_chars=node.get("max_response_chars", RESPONSE_CHARS),
        live=node.get("live"),
        **optional,
    )


def _flat_json_bound(arguments: Any) -> int | None:
    """An upper bound of ``len(json.dumps(arguments))`` when ``arguments`` is a flat object of
    scalars (None otherwise). ``json.dumps`` escapes a character into at most 12 (a surrogate
    pair); an int of ``b`` bits has at most ``b // 3 + 2`` digits; a float at most 24 chars."""
    if type(arguments) is not dict:
        return None
    total = 2
    for key, value in arguments.items():
        if type(key) is not str:
            return None
        total += 12 * len(key) + 6  # quotes, ": " and ", "
        if isinstance(value, str):
            total += 12 * len(value) + 2
        elif value is None or isinstance(value, bool):
            total += 5
        elif isinstance(value, int):
            total += value.bit_length() // 3 + 3
        elif isinstance(value, float):
            total += 24
        else:
            return None
    return total


def _error(kind: str, message: str) -> ToolResult:
    return ToolResult(False, {"error": message}, kind, message)


def _failure_text(response: JSON) -> str:
    if isinstance(response, dict):
        detail = response.get("error") or response.get("message")
        if detail:
            return f"the API reported a failure: {str(detail)[:300]}"
    return "the API reported a failure"
