"""What a rollout starts from: the system prompt, the tool schemas and the user's query.

Training chats (SFT), GRPO prompts and evaluation rollouts are all built here, so a model sees
the same prompt in every phase. Tool schemas are converted from the Booking form (JSON-schema
like, ``"type": "dict"``, plus an example ``response``) to the OpenAI function form that chat
templates and OpenAI-compatible servers expect; the example response is dropped.
"""

from __future__ import annotations

import re
from typing import Any

from orchestrl.api import JSON, Task

DEFAULT_SYSTEM_PROMPT = (
    "You are a travel assistant with access to Booking.com tools. Solve the user's request by "
    "calling tools, one step at a time; later calls take their arguments from the values that "
    "earlier tool responses returned. When you have everything, reply with a short final answer "
    "and no tool call."
)


def openai_tool(schema: dict[str, JSON], description_chars: int | None = None) -> dict[str, JSON]:
    """One tool schema in OpenAI function form (``{"type": "function", "function": {...}}``).

    With ``description_chars``, descriptions are compacted (:func:`compact_schema`).
    """
    if schema.get("type") == "function" and isinstance(schema.get("function"), dict):
        return schema
    if description_chars is not None:
        schema = compact_schema(schema, description_chars)
    function: dict[str, JSON] = {"name": schema["name"]}
    if schema.get("description"):
        function["description"] = schema["description"]
    function["parameters"] = _object_types(schema.get("parameters") or {"type": "object"})
    return {"type": "function", "function": function}


def openai_tools(
    schemas: list[dict[str, JSON]], description_chars: int | None = None
) -> list[dict[str, JSON]]:
    """Every schema of ``schemas`` in OpenAI function form, in order."""
    return [openai_tool(schema, description_chars) for schema in schemas]


def compact_schema(schema: dict[str, JSON], max_chars: int) -> dict[str, JSON]:
    """A copy of a Booking schema with short descriptions, for small context windows.

    The shared preamble (``This tool belongs to the BookingAPI ... Tool description:``) and the
    ``EndPoint:`` suffix are removed, whitespace is collapsed, and every description (tool and
    parameters) is cut to ``max_chars`` characters at a word boundary; 0 drops them. Names,
    types, enums and required lists are kept. The example ``response`` is dropped.
    """
    out = {key: value for key, value in schema.items() if key != "response"}
    if isinstance(out.get("description"), str):
        text = _PREAMBLE.sub("", out["description"])
        out["description"] = _clip(_ENDPOINT.sub("", text), max_chars)
    out["parameters"] = _short_descriptions(out.get("parameters") or {}, max_chars)
    return out


def initial_messages(task: Task, system_prompt: str | None = DEFAULT_SYSTEM_PROMPT) -> list[dict]:
    """The conversation a rollout of ``task`` starts with: optional system turn, then the query."""
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": task.query})
    return messages


_PREAMBLE = re.compile(r"^This tool belongs to the BookingAPI.*?Tool description:\s*", re.DOTALL)
_ENDPOINT = re.compile(r"\s*EndPoint:\s*\S+\s*$")


def _clip(text: str, max_chars: int) -> str:
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[: max(0, max_chars - 1)].rsplit(" ", 1)[0]
    return cut + "…" if cut else ""


def _short_descriptions(node: Any, max_chars: int) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                clipped = _clip(value, max_chars)
                if clipped:
                    out[key] = clipped
            elif key == "properties" and isinstance(value, dict):
                out[key] = {name: _short_descriptions(spec, max_chars)
                            for name, spec in value.items()}
            else:
                out[key] = _short_descriptions(value, max_chars)
        return out
    if isinstance(node, list):
        return [_short_descriptions(value, max_chars) for value in node]
    return node


def _object_types(node: Any) -> Any:
    """Copy of a schema node with the Booking ``dict`` type spelled ``object``."""
    if isinstance(node, dict):
        out = {key: _object_types(value) for key, value in node.items()}
        if out.get("type") == "dict":
            out["type"] = "object"
        return out
    if isinstance(node, list):
        return [_object_types(value) for value in node]
    return node
