"""BFCL call strings <-> :class:`~orchestrl.api.ToolCall`, without ``eval``.

BFCL writes calls as Python expressions, ``mv(source='a.txt', destination='temp')``, and its
own executor ``eval``s them. orchestrl parses them with :mod:`ast` instead: the expression
must be a single call of a bare name whose arguments are literals (``ast.literal_eval``);
positional arguments are named from the backend method's signature. :func:`format_call`
writes a call back in BFCL's form (``repr`` of each value) for logs and reports.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any

from orchestrl.api import ToolCall


class CallSyntaxError(ValueError):
    """A call string that is not a single literal-argument call of a bare function name."""


def parse_call_string(
    text: str, parameter_names: Callable[[str], Sequence[str]] | None = None
) -> ToolCall:
    """Parse ``name(arg, key=value, ...)`` into a ToolCall with named arguments.

    ``parameter_names(name)`` gives the method's parameters in order (to name positional
    arguments); without it positional arguments are an error. Raises CallSyntaxError.
    """
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise CallSyntaxError(f"call {text!r} is not valid Python syntax: {exc.msg}") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise CallSyntaxError(f"call {text!r} is not a call of a bare function name")
    name = node.func.id
    arguments: dict[str, Any] = {}
    if node.args:
        names = list(parameter_names(name)) if parameter_names is not None else []
        if len(node.args) > len(names):
            raise CallSyntaxError(f"call {text!r} has positional arguments that cannot be named")
        for param, value in zip(names, node.args, strict=False):
            arguments[param] = _literal(value, text)
    for keyword in node.keywords:
        if keyword.arg is None:
            raise CallSyntaxError(f"call {text!r} unpacks '**' arguments")
        if keyword.arg in arguments:
            raise CallSyntaxError(f"call {text!r} gives argument '{keyword.arg}' twice")
        arguments[keyword.arg] = _literal(keyword.value, text)
    return ToolCall(name=name, arguments=arguments)


def _literal(node: ast.expr, text: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise CallSyntaxError(f"call {text!r} has a non-literal argument") from None
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    """Tuples become lists and sets become sorted lists, as they would arrive in JSON."""
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(item) for item in value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def format_call(call: ToolCall) -> str:
    """BFCL's textual form of a call: ``name(key=repr(value), ...)``."""
    arguments = ",".join(f"{key}={value!r}" for key, value in call.arguments.items())
    return f"{call.name}({arguments})"
