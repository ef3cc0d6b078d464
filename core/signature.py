"""Config dataclasses derived from constructor signatures (hydra-zen's ``builds(Cls,
populate_full_signature=True)``, without the dependency).

A component's constructor is the one place its options and their defaults are written:
:func:`signature_config` turns its keyword parameters into the fields of a dataclass that
Hydra's ConfigStore types, so ``group=name`` overrides are checked against the annotations when
the command line is parsed. Parameters without a default become required fields (``???``);
``bind`` gives such a parameter a config-time value instead, typically an interpolation such as
``${data_dir}``. Runtime dependencies of the kind (the cache, the environment) and ``*args`` /
``**kwargs`` are left out: they are passed at build time, never through config.
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
    that is no parameter is a ``TypeError``.
    """
    bind = dict(bind or {})
    hints = _hints(cls)
    fields: list[tuple[str, Any, Any]] = []
    names = set()
    for param in inspect.signature(cls).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name in exclude:
            continue
        names.add(param.name)
        default = bind.get(param.name, param.default)
        if default is inspect.Parameter.empty:
            default = MISSING
        fields.append((param.name, _typed(hints.get(param.name, Any), default), _field(default)))
    unknown = sorted(set(bind) - names)
    if unknown:
        raise TypeError(f"{cls.__qualname__} has no parameter {', '.join(unknown)} to bind")
    config = dataclasses.make_dataclass(
        f"{cls.__name__}Config", fields, bases=(base,) if base is not None else ()
    )
    config.__doc__ = f"Options of :class:`{cls.__module__}.{cls.__qualname__}` (its signature)."
    setattr(config, DERIVED, True)
    return config


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
