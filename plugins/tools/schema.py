"""Tool schemas: declared parameter types, normalisation by declared type, and call validation.

A :class:`ToolSchema` is read from one ``tools.jsonl`` record (``name``, ``description``,
``parameters`` in the JSON-schema-like form the Booking tools use, where ``"type": "dict"``
means an object). Declared types: ``string``, ``number``, ``integer``, ``boolean``, ``array``
(with ``items``) and ``dict``/``object`` (with ``properties``); anything else is accepted as is.

Enumerations come from an explicit ``enum`` list, or, when there is none, from a description
that lists upper-case choices the way the Booking tools do (``"can be either ECONOMY,
PREMIUM_ECONOMY, BUSINESS or FIRST"``, ``"orders result by BEST, CHEAPEST or FASTEST"``).

:func:`coerce_arguments` normalises values to their declared types (the canonical key uses
it); :func:`validate_call` reports every way a call breaks its schema, in words a model can act
on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrl.api import JSON, ErrorKind
from orchestrl.errors import DataError
from orchestrl.jsonl import read_jsonl
from orchestrl.plugins.worlds.booking.data import TOOLS_FILE

OBJECT_TYPES = frozenset({"dict", "object"})
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ENUM_TEXT = re.compile(r"\b(?:either|by|one of)\s+([A-Z][A-Z0-9_]+(?:\s*,\s*[A-Z][A-Z0-9_]+)*"
                        r"\s*,?\s+or\s+[A-Z][A-Z0-9_]+)\b")
_ENDPOINT = re.compile(r"EndPoint:\s*(\S+)")


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter (or array item / object property) of a tool."""

    name: str
    type: str | None
    description: str = ""
    enum: tuple[JSON, ...] | None = None
    items: ParamSpec | None = None
    properties: Mapping[str, ParamSpec] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, name: str, spec: Any) -> ParamSpec:
        """Read a JSON-schema-like node; unknown keys are ignored."""
        if not isinstance(spec, dict):
            return cls(name, None)
        description = str(spec.get("description") or "")
        enum = spec.get("enum")
        if isinstance(enum, list) and enum:
            choices: tuple[JSON, ...] | None = tuple(enum)
        else:
            choices = _enum_from_text(description) if spec.get("type") == "string" else None
        items = spec.get("items")
        props = spec.get("properties")
        return cls(
            name=name,
            type=spec.get("type") if isinstance(spec.get("type"), str) else None,
            description=description,
            enum=choices,
            items=cls.from_json(f"{name}[]", items) if isinstance(items, dict) else None,
            properties={k: cls.from_json(k, v) for k, v in props.items()}
            if isinstance(props, dict)
            else {},
            required=tuple(spec.get("required") or ()),
        )


@dataclass(frozen=True)
class ToolSchema:
    """A tool's name, description, declared parameters and required parameter names.

    ``endpoint`` is the HTTP path named in the description (``EndPoint: /api/v1/...``), used by
    the live miss policy; None when the description names none.
    """

    name: str
    description: str
    parameters: Mapping[str, ParamSpec]
    required: tuple[str, ...]
    endpoint: str | None = None
    raw: Mapping[str, JSON] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ToolSchema:
        """Build from one ``tools.jsonl`` record; raise ValueError when it is not a schema."""
        name = record.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("a tool schema needs a non-empty string 'name'")
        params = record.get("parameters") or {}
        if not isinstance(params, dict):
            raise ValueError(f"tool '{name}' has parameters that are not an object")
        root = ParamSpec.from_json(name, {**params, "type": "dict"})
        description = str(record.get("description") or "")
        endpoint = _ENDPOINT.search(description)
        return cls(
            name=name,
            description=description,
            parameters=root.properties,
            required=tuple(str(r) for r in root.required),
            endpoint=endpoint.group(1) if endpoint else None,
            raw=dict(record),
        )

    def param_type(self, name: str) -> str | None:
        """The declared type of parameter ``name`` (``dict`` for objects), or None if unknown."""
        spec = self.parameters.get(name)
        return spec.type if spec is not None else None


@dataclass(frozen=True)
class Violation:
    """One way a call breaks its schema.

    ``kind`` is an :class:`~orchestrl.api.ErrorKind` string, ``parameter`` the offending
    parameter path (empty for the whole call) and ``message`` a sentence a model can act on.
    """

    kind: str
    parameter: str
    message: str


def load_schemas(source: str | Path | Iterable[Mapping[str, Any]]) -> dict[str, ToolSchema]:
    """Schemas by name from a data directory, a ``tools.jsonl`` path, or records; a file that
    holds none is a DataError (an empty world would score every policy 0, silently)."""
    if isinstance(source, str | Path):
        path = Path(source)
        path = path / TOOLS_FILE if path.is_dir() else path
        schemas = {}
        for number, record in read_jsonl(path):
            try:
                schema = ToolSchema.from_record(record if isinstance(record, dict) else {})
            except ValueError as exc:
                raise DataError(f"{path}:{number}: {exc}") from None
            schemas[schema.name] = schema
        if not schemas:
            raise DataError(f"'{path}' holds no tool schemas")
        return schemas
    return {schema.name: schema for schema in map(ToolSchema.from_record, source)}


# --------------------------------------------------------------------------- coercion


def coerce_value(spec: ParamSpec | None, value: JSON) -> JSON:
    """Normalise ``value`` to the declared type when that is lossless; otherwise return it as is.

    * ``number``: a numeric string becomes a number (``"47.45"`` -> ``47.45``); an integral
      finite float becomes an int (``2.0`` -> ``2``); booleans are left alone.
    * ``integer``: the same, keeping only integral values.
    * ``boolean``: ``"true"``/``"false"`` (any case) become booleans.
    * ``array``/``dict``: elements and properties are coerced by their own specs.
    """
    kind = spec.type if spec is not None else None
    if kind in ("number", "integer"):
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            number = float(value.strip())
            if math.isfinite(number):
                value = number
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if kind == "array" and isinstance(value, list) and spec is not None:
        return [coerce_value(spec.items, item) for item in value]
    if kind in OBJECT_TYPES and isinstance(value, dict) and spec is not None:
        return {k: coerce_value(spec.properties.get(k), v) for k, v in value.items()}
    return value


def coerce_arguments(schema: ToolSchema | None, arguments: Mapping[str, JSON]) -> dict[str, JSON]:
    """Arguments normalised by declared type (see :func:`coerce_value`), ``None`` values dropped.

    Unknown parameters are kept unchanged (validation reports them). Without a schema only
    ``None`` values are dropped.
    """
    params = schema.parameters if schema is not None else {}
    return {k: coerce_value(params.get(k), v) for k, v in arguments.items() if v is not None}


# --------------------------------------------------------------------------- validation


def validate_call(schema: ToolSchema, arguments: Any) -> list[Violation]:
    """Every violation of ``schema`` by ``arguments`` (empty when the call is valid).

    Checked: arguments form an object; required parameters present (a ``None`` value counts
    as absent); no unknown parameter; each value has its declared type after
    :func:`coerce_value`; enum membership; the same, recursively, for array items and object
    properties. Messages name the tool and parameter and say what would be accepted.
    """
    tool = schema.name
    if not isinstance(arguments, dict):
        return [Violation(ErrorKind.WRONG_TYPE, "",
                          f"the arguments of '{tool}' must be a JSON object of parameter "
                          f"values, not {_describe(arguments)}")]
    violations: list[Violation] = []
    for name in schema.required:
        if arguments.get(name) is None:
            violations.append(Violation(ErrorKind.MISSING_REQUIRED, name,
                                        f"'{tool}' needs the required parameter '{name}'"
                                        f"{_hint(schema.parameters.get(name))}"))
    for name, value in arguments.items():
        spec = schema.parameters.get(name)
        if spec is None:
            known = ", ".join(schema.parameters) or "none"
            violations.append(Violation(ErrorKind.UNKNOWN_PARAMETER, name,
                                        f"'{tool}' has no parameter '{_short(name)}'; its "
                                        f"parameters are: {known}"))
        elif value is not None:
            violations.extend(_check(tool, name, spec, coerce_value(spec, value)))
    return violations


_EXPECTED = {"string": "a string", "number": "a number", "integer": "an integer",
             "boolean": "true or false", "array": "a JSON array",
             "dict": "a JSON object", "object": "a JSON object"}


MAX_INT_BITS = 1024
"""Integers longer than this (about 308 digits, beyond a double) are no API's parameter: they
are refused with a message instead of overflowing in type checks or cache keys."""


def _check(tool: str, path: str, spec: ParamSpec, value: JSON) -> list[Violation]:
    kind = spec.type
    if _huge_int(value):
        return [Violation(ErrorKind.INVALID_VALUE, path,
                          f"parameter '{path}' of '{tool}' is {_describe(value)}, "
                          "too large for any parameter")]
    expected = _EXPECTED.get(kind or "")
    if expected is not None and not _has_type(kind, value):
        return [Violation(ErrorKind.WRONG_TYPE, path,
                          f"parameter '{path}' of '{tool}' must be {expected}, "
                          f"not {_describe(value)}")]
    if spec.enum is not None and value not in spec.enum:
        choices = ", ".join(str(c) for c in spec.enum)
        return [Violation(ErrorKind.INVALID_VALUE, path,
                          f"parameter '{path}' of '{tool}' must be one of {choices}, "
                          f"not {_describe(value)}")]
    out: list[Violation] = []
    if kind == "array" and spec.items is not None:
        for i, item in enumerate(value):
            if item is None:
                continue
            out.extend(_check(tool, f"{path}[{i}]", spec.items, item))
    elif kind in OBJECT_TYPES and spec.properties:
        for name in spec.required:
            if value.get(name) is None:
                out.append(Violation(ErrorKind.MISSING_REQUIRED, f"{path}.{name}",
                                     f"'{path}' of '{tool}' needs the field '{name}'"))
        for name, item in value.items():
            sub = spec.properties.get(name)
            if sub is None:
                fields = ", ".join(spec.properties)
                out.append(Violation(ErrorKind.UNKNOWN_PARAMETER, f"{path}.{_short(name)}",
                                     f"'{path}' of '{tool}' has no field '{_short(name)}'; "
                                     f"its fields are: {fields}"))
            elif item is not None:
                out.extend(_check(tool, f"{path}.{name}", sub, item))
    return out


def _has_type(kind: str | None, value: JSON) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return isinstance(value, int) or math.isfinite(value)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind in OBJECT_TYPES:
        return isinstance(value, dict)
    return True


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if _huge_int(value):
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    if isinstance(value, int):
        return f"the number {value!r}"
    if isinstance(value, float):
        return f"the number {value!r}" if math.isfinite(value) else f"the value {value!r}"
    if isinstance(value, str):
        return f"the string {_short(repr(value))}"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    if isinstance(value, dict):
        return f"an object with {len(value)} keys"
    return f"a {type(value).__name__}"


def _huge_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and (
        value.bit_length() > MAX_INT_BITS)


def _short(text: str, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _hint(spec: ParamSpec | None) -> str:
    if spec is None or not spec.description:
        return ""
    first = " ".join(spec.description.replace("*", "").replace("`", "").split())
    return f" ({_short(first, 160)})"


def _enum_from_text(description: str) -> tuple[str, ...] | None:
    match = _ENUM_TEXT.search(description)
    if match is None:
        return None
    return tuple(re.findall(r"[A-Z][A-Z0-9_]+", match.group(1).replace(" or ", ",")))
