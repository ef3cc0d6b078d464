"""What a rollout starts from: the system prompt, the tool schemas and the user's query.

Training chats (SFT), GRPO prompts and evaluation rollouts are all built here, so a model sees
the same prompt in every phase. Tool schemas are converted from the Booking form (JSON-schema
like, ``"type": "dict"``, plus an example ``response``) to the OpenAI function form that chat
templates and OpenAI-compatible servers expect; the example response is dropped.
"""

from __future__ import annotations

from typing import Any

from orchestrl.api import JSON, Task

DEFAULT_SYSTEM_PROMPT = (
    "You are a travel assistant with access to Booking.com tools. Solve the user's request by "
    "calling tools, one step at a time; later calls take their arguments from the values that "
    "earlier tool responses returned. When you have everything, reply with a short final answer "
    "and no tool call."
)


def openai_tool(schema: dict[str, JSON]) -> dict[str, JSON]:
    """One tool schema in OpenAI function form (``{"type": "function", "function": {...}}``)."""
    if schema.get("type") == "function" and isinstance(schema.get("function"), dict):
        return schema
    function: dict[str, JSON] = {"name": schema["name"]}
    if schema.get("description"):
        function["description"] = schema["description"]
    function["parameters"] = _object_types(schema.get("parameters") or {"type": "object"})
    return {"type": "function", "function": function}


def openai_tools(schemas: list[dict[str, JSON]]) -> list[dict[str, JSON]]:
    """Every schema of ``schemas`` in OpenAI function form, in order."""
    return [openai_tool(schema) for schema in schemas]


def initial_messages(task: Task, system_prompt: str | None = DEFAULT_SYSTEM_PROMPT) -> list[dict]:
    """The conversation a rollout of ``task`` starts with: optional system turn, then the query."""
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": task.query})
    return messages


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
