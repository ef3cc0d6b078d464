"""Config dataclasses derived from constructor signatures (hydra-zen's ``builds(Cls,
populate_full_signature=True)``, without the dependency).

A component's constructor is the one place its options and their defaults are written:
:func:`signature_config` turns its keyword parameters into the fields of a dataclass that
Hydra's ConfigStore types, so ``group=name`` overrides are checked against the annotations when
the command line is parsed. Parameters without a default become required fields (``???``);
``bind`` gives such a parameter a config-time value instead, typically an interpolation such as
``${data_dir}``. Runtime dependencies of the kind (the cache, the environment) and ``*args`` /
``**kwargs`` are left out: they are passed at build time, never through config.

A constructor that takes ``**kwargs`` hands them to its base class's constructor (by the
convention ``super().__init__(**kwargs)``; ``**_``, or any name starting with ``_``, swallows
runtime extras instead and is not followed), so the derivation follows it: the base class's
keyword parameters become fields too, and so on up the class hierarchy while each constructor
takes ``**kwargs``. A subclass writes only its own options; a default shared with the base class
is written once, in the base class's signature.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Mapping
from typing import Any

from omegaconf import MISSING, OmegaConf

DERIVED = "__orchestrl_derived__"
"""Attribute set on every derived config dataclass (True)."""


def signature_config(
    cls: type,
    *,
    base: type | None = None,
    exclude: frozenset[str] = frozenset(),
    bind: Mapping[str, Any] | None = None,
) -> type:
    """A dataclass named ``<Cls>Config`` with one field per keyword parameter of ``cls``.

    Each field has the parameter's annotation where OmegaConf can type it (else ``Any``) and
    its default (a fresh copy for lists and dicts); ``bind`` overrides or supplies defaults by
    name. ``base`` (a dataclass) is prepended, e.g. a reward term's ``weight``. A ``bind`` key
    that is no parameter is a ``TypeError``. Parameters reached through ``**kwargs`` (see the
    module docstring) come first, the base class's before the subclass's, as dataclass
    inheritance orders fields; a parameter both declare takes the subclass's default.
    """
    bind = dict(bind or {})
    fields: list[tuple[str, Any, Any]] = []
    names = set()
    for param, hint in keyword_parameters(cls):
        if param.name in exclude:
            continue
        names.add(param.name)
        default = bind.get(param.name, param.default)
        if default is inspect.Parameter.empty:
            default = MISSING
        fields.append((param.name, _typed(hint, default), _field(default)))
    unknown = sorted(set(bind) - names)
    if unknown:
        raise TypeError(f"{cls.__qualname__} has no parameter {', '.join(unknown)} to bind")
    config = dataclasses.make_dataclass(
        f"{cls.__name__}Config", fields, bases=(base,) if base is not None else ()
    )
    config.__doc__ = f"Options of :class:`{cls.__module__}.{cls.__qualname__}` (its signature)."
    setattr(config, DERIVED, True)
    return config


def keyword_parameters(cls: type) -> list[tuple[inspect.Parameter, Any]]:
    """``(parameter, annotation)`` of every named parameter ``cls(...)`` accepts, following
    ``**kwargs`` to the base classes' constructors (see the module docstring); annotations are
    resolved (``Any`` where they cannot be). ``*args`` and ``**kwargs`` themselves are left out.
    """
    levels: list[list[tuple[inspect.Parameter, Any]]] = []
    bases = [k for k in cls.__mro__ if "__init__" in vars(k) and k is not object][1:]
    signature: inspect.Signature | None = inspect.signature(cls)
    hints = _hints(cls)
    while signature is not None:
        params = list(signature.parameters.values())
        levels.append([(p, hints.get(p.name, Any)) for p in params
                       if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)])
        if not bases or not any(_forwards(p) for p in params):
            break
        owner = bases.pop(0)
        signature, hints = _signature(owner), _hints(owner)
    chosen: dict[str, tuple[inspect.Parameter, Any]] = {}
    for level in levels:  # the most derived declaration wins
        for param, hint in level:
            chosen.setdefault(param.name, (param, hint))
    order: dict[str, None] = {}
    for level in reversed(levels):
        order.update((param.name, None) for param, _ in level)
    return [chosen[name] for name in order]


def swallows_extras(cls: type) -> bool:
    """Whether ``cls(...)`` accepts keywords it does not name: some constructor on the chain that
    ``**kwargs`` forwards to (see the module docstring) takes ``**_``, or the chain ends in a
    ``**kwargs`` with no base constructor left to receive it."""
    bases = [k for k in cls.__mro__ if "__init__" in vars(k) and k is not object][1:]
    signature = inspect.signature(cls)
    while True:
        params = list(signature.parameters.values())
        if any(p.kind is p.VAR_KEYWORD and not _forwards(p) for p in params):
            return True
        if not any(_forwards(p) for p in params):
            return False
        if not bases:
            return True
        signature = _signature(bases.pop(0))


def _forwards(param: inspect.Parameter) -> bool:
    """Whether ``param`` is a ``**kwargs`` handed on to the base class (``**_`` swallows)."""
    return param.kind is param.VAR_KEYWORD and not param.name.startswith("_")


def _signature(owner: type) -> inspect.Signature | None:
    """The signature of ``owner``'s own constructor without ``self`` (None when it has none
    that Python can inspect, e.g. a builtin's)."""
    try:
        signature = inspect.signature(vars(owner)["__init__"])
    except (TypeError, ValueError):
        return None
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # unresolvable annotation: type those fields as Any
        return {}


def _field(default: Any) -> Any:
    if isinstance(default, list | dict | tuple | set):
        copy = list(default) if isinstance(default, tuple | set) else default
        return dataclasses.field(default_factory=lambda: _copy(copy))
    return dataclasses.field(default=default)


def _copy(value: Any) -> Any:
    import copy

    return copy.deepcopy(value)


def _typed(hint: Any, default: Any) -> Any:
    """``hint`` when OmegaConf can validate a field of that type holding ``default``, else Any."""
    hint = _listify(hint)
    try:
        probe = dataclasses.make_dataclass("Probe", [("x", hint, _field(default))])
        OmegaConf.structured(probe)
    except Exception:
        return Any
    return hint


def _listify(hint: Any) -> Any:
    """Tuples and sets are configured as lists."""
    origin = typing.get_origin(hint)
    if origin in (tuple, set, frozenset):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return list[args[0]] if len(args) == 1 or (args and len(set(args)) == 1) else list[Any]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = typing.get_args(hint)
        if type(None) in args:
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                return typing.Optional[_listify(rest[0])]  # noqa: UP045 - built at run time
    return hint
