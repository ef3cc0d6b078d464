"""A tool-aware, prefix-preserving ChatML template for models that ship without one (SmolLM2).

SmolLM2-135M-Instruct's own template ignores ``tools`` and ``tool_calls``. This one keeps its
special tokens (``<|im_start|>``, ``<|im_end|>``) and default system prompt and adds the
Hermes/Qwen2.5 tool protocol, which TRL knows how to parse:

* tool schemas go into the system turn inside ``<tools></tools>``, one JSON object a line;
* an assistant call is ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>``;
* tool results come back in a user turn as ``<tool_response>\\n...\\n</tool_response>``.

Contracts, checked by :func:`install_chat_template` with TRL's own probes: the template renders
a whole tool-calling exchange (``trl.chat_template_utils.supports_tool_calling``), appending
messages never changes how earlier ones render (``is_chat_template_prefix_preserving``, which
GRPO's multi-turn loop needs), and ``{% generation %}`` markers cover exactly the assistant's
output including its ``<|im_end|>`` (assistant-only loss in SFT; tool results never trained on).
"""

from __future__ import annotations

from typing import Any

DEFAULT_SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

TOOL_CHAT_TEMPLATE = (
    "{%- set default_system = '" + DEFAULT_SYSTEM_PROMPT + "' %}"
    """
{%- if messages[0]['role'] == 'system' %}
    {%- set system_text = messages[0]['content'] %}
{%- else %}
    {%- set system_text = default_system %}
{%- endif %}
{{- '<|im_start|>system\\n' + system_text }}
{%- if tools %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query." }}
    {{- "\\n\\n" }}
    {{- "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}{{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and " }}
    {{- "arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n" }}
    {{- '{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call>' }}
{%- endif %}
{{- '<|im_end|>\\n' }}
{%- for message in messages %}
    {%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
    {%- elif message.role == 'assistant' %}
        {{- '<|im_start|>assistant\\n' }}
        {%- generation %}
        {%- if message.content %}
            {{- message.content }}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if tool_call.function is defined %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {%- if message.content or not loop.first %}
                    {{- '\\n' }}
                {%- endif %}
                {{- '<tool_call>\\n{"name": "' + tool_call.name + '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
        {%- endgeneration %}
    {%- elif message.role == 'tool' %}
        {%- if loop.index0 == 0 or messages[loop.index0 - 1].role != 'tool' %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""
)
"""The template text (Jinja). Tool-call arguments may be objects or JSON strings."""


def render_prompt(tokenizer: Any, messages: list[dict[str, Any]],
                  tools: list[dict[str, Any]] | None) -> list[int]:
    """The token ids of the prompt for the next assistant turn: the conversation and the tool
    schemas through ``tokenizer``'s chat template, generation prompt appended. Every local
    policy (``transformers``, ``llamacpp``) renders with this, as training does."""
    encoded = tokenizer.apply_chat_template(
        messages, tools=tools or None, add_generation_prompt=True, tokenize=True,
        return_dict=True,
    )
    return list(encoded["input_ids"])


def install_chat_template(tokenizer: Any) -> Any:
    """Give a ChatML tokenizer the tool template and TRL's matching response parser; return it.

    Raises ValueError when the tokenizer lacks the ChatML special tokens or when TRL's probes
    reject the result (a template that drops calls or is not prefix-preserving would silently
    corrupt multi-turn training).
    """
    from trl.chat_template_utils import (
        has_generation_markers,
        is_chat_template_prefix_preserving,
        qwen3_template,
        supports_tool_calling,
    )

    vocab = tokenizer.get_vocab()
    missing = [t for t in ("<|im_start|>", "<|im_end|>") if t not in vocab]
    if missing:
        raise ValueError(f"tokenizer lacks the chat tokens {missing}; cannot install the template")
    tokenizer.chat_template = TOOL_CHAT_TEMPLATE
    tokenizer.response_template = qwen3_template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = "<|im_end|>"
    ok = (
        supports_tool_calling(tokenizer)
        and is_chat_template_prefix_preserving(tokenizer)
        and has_generation_markers(TOOL_CHAT_TEMPLATE)
    )
    if not ok:
        raise ValueError("the tool chat template failed TRL's tool-calling or prefix checks")
    return tokenizer
