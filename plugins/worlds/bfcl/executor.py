"""Executing calls on BFCL's stateful backends by attribute lookup, never ``eval``.

:class:`BfclBackends` holds one instance per involved class, built as BFCL builds them
(``cls()``, then ``_load_scenario(deepcopy(initial_config[cls]), long_context=...)`` unless the
class is stateless). :meth:`BfclBackends.execute` answers one call with exactly the string
BFCL's executor would produce for it:

* the call goes to the public method of that name on the instance that owns it (when two
  classes share a name, the later class in ``involved_classes`` wins, as in BFCL), with the
  arguments as keyword arguments;
* a ``str`` result is returned as is, a ``dict`` as ``json.dumps`` (``str`` when that fails),
  anything else as ``str``; an exception becomes ``"Error during execution: <message>"``.

Where BFCL's ``eval`` would run arbitrary Python (a builtin's name, a private attribute), a
name that is not a public backend method answers ``"Error during execution: name '<n>' is not
defined"``, the message ``eval`` gives for an unknown name. Two guards stop calls that would
exhaust the machine (BFCL would hang on them): integer powers of more than a million bits and
a ``precision`` above 10,000 digits. mpmath's and :mod:`decimal`'s global precision, which
MathAPI sets, is restored after every call so that one episode cannot leak into the next; and
since mpmath's precision is process-wide, calls run one at a time (:data:`BACKEND_LOCK`), so
episodes played in threads (the ``bfcl`` benchmark's ``workers``) never see each other's.

Two BFCL defects are neutralised the same way. Arguments are deep-copied before the call, so a
backend that stores an argument in its state (``post_tweet`` keeps the ``mentions`` list) never
aliases the caller's objects. And an omitted parameter whose default is a mutable container
(``post_tweet(tags=[], mentions=[])``) gets a fresh copy of the pristine default, snapshotted
when the class is first seen: BFCL passes the one shared default, which ``mention`` then
extends, so in BFCL a tweet posted without mentions in one episode can carry the mentions of
another, and verdicts depend on what ran before in the process.
"""

from __future__ import annotations

import copy
import decimal
import inspect
import json
import threading
from collections.abc import Mapping
from typing import Any

from orchestrl.api import ToolCall
from orchestrl.plugins.worlds.bfcl.package import STATELESS_CLASSES, backend_class

ERROR_PREFIX = "Error during execution: "
FORBIDDEN = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})
"""Names BFCL's executor refuses to call."""

BACKEND_LOCK = threading.RLock()
"""Held by every backend call: mpmath's precision (set by MathAPI) is global to the process."""

MAX_POWER_BITS = 1_000_000
MAX_PRECISION = 10_000


def format_result(result: Any) -> str:
    """BFCL's rendering of a backend's return value as the tool response string."""
    if type(result) is str:
        return result
    if type(result) is dict:
        try:
            return json.dumps(result)
        except Exception:
            return str(result)
    return str(result)


class BfclBackends:
    """The backend instances of one episode, and a safe executor for calls on them."""

    def __init__(
        self,
        initial_config: Mapping[str, Any],
        involved_classes: list[str],
        *,
        long_context: bool = False,
    ) -> None:
        self.instances: dict[str, Any] = {}
        self._owner: dict[str, str] = {}
        for class_name in involved_classes:
            cls = backend_class(class_name)
            _snapshot_defaults(cls)
            instance = cls()
            if class_name not in STATELESS_CLASSES:
                config = copy.deepcopy(dict(initial_config.get(class_name, {})))
                instance._load_scenario(config, long_context=long_context)
            self.instances[class_name] = instance
            for name, _ in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not name.startswith("_"):
                    self._owner[name] = class_name

    def methods(self) -> list[str]:
        """Names of the public backend methods a call may name."""
        return sorted(self._owner)

    def parameter_names(self, name: str) -> list[str]:
        """The parameters of method ``name`` in order (empty when there is no such method)."""
        owner = self._owner.get(name)
        if owner is None:
            return []
        signature = inspect.signature(getattr(self.instances[owner], name))
        return list(signature.parameters)

    def execute(self, call: ToolCall) -> str:
        """Run one call on the backends; return BFCL's response string (never raises)."""
        name = call.name
        if name in FORBIDDEN:
            return f"{ERROR_PREFIX}Function call {name} is not allowed."
        owner = self._owner.get(name)
        if owner is None:
            return f"{ERROR_PREFIX}name '{name}' is not defined"
        refusal = _guard(name, call.arguments)
        if refusal is not None:
            return ERROR_PREFIX + refusal
        method = getattr(self.instances[owner], name)
        arguments = {**_fresh_defaults(type(self.instances[owner]), name),
                     **copy.deepcopy(call.arguments)}
        mpmath = _mpmath()
        with BACKEND_LOCK:
            saved_dps = mpmath.mp.dps if mpmath is not None else None
            try:
                with decimal.localcontext():
                    result = method(**arguments)
                    return format_result(result)
            except Exception as exc:
                return f"{ERROR_PREFIX}{exc}"
            finally:
                if mpmath is not None:
                    mpmath.mp.dps = saved_dps

    def state(self) -> dict[str, dict[str, Any]]:
        """Public attributes of every instance (what BFCL's state checker compares)."""
        return {
            class_name: {k: v for k, v in vars(instance).items() if not k.startswith("_")}
            for class_name, instance in self.instances.items()
        }


_PRISTINE: dict[type, dict[str, dict[str, Any]]] = {}


def _snapshot_defaults(cls: type) -> None:
    """Remember deep copies of the mutable defaults of ``cls``'s public methods, once."""
    if cls in _PRISTINE:
        return
    defaults: dict[str, dict[str, Any]] = {}
    for name, function in inspect.getmembers(cls, predicate=inspect.isfunction):
        if name.startswith("_"):
            continue
        mutable = {
            param.name: copy.deepcopy(param.default)
            for param in inspect.signature(function).parameters.values()
            if isinstance(param.default, list | dict | set)
        }
        if mutable:
            defaults[name] = mutable
    _PRISTINE[cls] = defaults


def _fresh_defaults(cls: type, name: str) -> dict[str, Any]:
    return copy.deepcopy(_PRISTINE.get(cls, {}).get(name, {}))


def _guard(name: str, arguments: Mapping[str, Any]) -> str | None:
    precision = arguments.get("precision")
    if _is_int(precision) and abs(precision) > MAX_PRECISION:
        return f"precision {precision} is above the limit of {MAX_PRECISION} digits"
    if name == "power":
        base, exponent = arguments.get("base"), arguments.get("exponent")
        if (
            _is_int(base)
            and _is_int(exponent)
            and abs(base) > 1
            and abs(exponent) * abs(base).bit_length() > MAX_POWER_BITS
        ):
            return f"power {base}**{exponent} is above the limit of {MAX_POWER_BITS} bits"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mpmath() -> Any:
    try:
        import mpmath
    except ImportError:  # pragma: no cover - mpmath is required by the backends
        return None
    return mpmath
