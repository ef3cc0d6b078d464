"""Policy ``openai``: any OpenAI-compatible chat-completions endpoint with tool calling.

Works with vLLM, sglang and hosted APIs. Each turn POSTs ``{base_url}/chat/completions`` with
the conversation and the tool schemas and returns the message's text and structured
``tool_calls``. The API key is read from the environment variable named by ``api_key_env``
(never from config). Tool results that answer no structured call (text-format calls the model
wrote in its content) are sent as user turns, since the API rejects orphan tool messages.
Transport failures raise :class:`~orchestrl.errors.OrchestrlError`, which ends the rollout with
stop reason ``error``; the standard library's HTTP client is used, so no extra dependency.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from orchestrl import hookimpl
from orchestrl.api import JSON, Policy, PolicyOutput
from orchestrl.errors import ConfigError, OrchestrlError
from orchestrl.registry import Registry


class OpenAIPolicy(Policy):
    """Asks an OpenAI-compatible server for each assistant turn."""

    parallel_safe = True

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000/v1",
        model: str = "Qwen/Qwen3-8B",
        api_key_env: str = "OPENAI_API_KEY",
        temperature: float = 0.0,
        max_tokens: int = 1024,
        timeout_s: float = 120.0,
        retries: int = 2,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"openai policy base_url '{base_url}' is not an http(s) url")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = os.environ.get(api_key_env, "")
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.retries = retries

    def identity(self) -> dict[str, JSON]:
        """The class, the endpoint, the served model and the decoding options."""
        return {**super().identity(), "url": self.url, "model": self.model,
                "temperature": self.temperature, "max_tokens": self.max_tokens}

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        """One chat completion; its text and structured tool calls."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if tools:
            body["tools"] = tools
        reply = self._post(body)
        try:
            message = reply["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise OrchestrlError(f"{self.url} answered without choices[0].message") from None
        calls = message.get("tool_calls") or None
        return PolicyOutput(text=message.get("content") or "", tool_calls=calls)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        return post_json(self.url, body, api_key=self.api_key, timeout_s=self.timeout_s,
                         retries=self.retries)


def post_json(url: str, body: dict[str, Any], *, api_key: str = "", timeout_s: float = 120.0,
              retries: int = 2) -> dict[str, Any]:
    """POST ``body`` as JSON to ``url`` and return the decoded JSON reply.

    Retries (with exponential back-off) on transport errors, 5xx and 429; raises
    :class:`~orchestrl.errors.OrchestrlError` naming the url when every attempt failed, or at
    once on another 4xx or a reply that is not JSON.
    """
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    last = ""
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            last = f"http {exc.code}"
            if exc.code < 500 and exc.code != 429:
                break
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        except json.JSONDecodeError:
            last = "a body that is not json"
            break
        time.sleep(min(8.0, 0.5 * 2**attempt))
    raise OrchestrlError(f"chat endpoint {url} failed: {last}")


def to_openai_messages(messages: list[dict[str, JSON]]) -> list[dict[str, JSON]]:
    """The conversation in the wire format: JSON-string arguments, no orphan tool messages."""
    out: list[dict[str, JSON]] = []
    for message in messages:
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            calls = []
            for entry in message["tool_calls"]:
                function = dict(entry.get("function") or {})
                if not isinstance(function.get("arguments"), str):
                    function["arguments"] = json.dumps(function.get("arguments") or {})
                calls.append({**entry, "type": "function", "function": function})
            out.append({"role": "assistant", "content": message.get("content") or "",
                        "tool_calls": calls})
        elif role == "tool" and not message.get("tool_call_id"):
            text = f"<tool_response>\n{message.get('content', '')}\n</tool_response>"
            if out and out[-1]["role"] == "user" and out[-1].get("orphan_tool_results"):
                out[-1]["content"] += "\n" + text
            else:
                out.append({"role": "user", "content": text, "orphan_tool_results": True})
        else:
            out.append({k: v for k, v in message.items() if k != "name" or role == "tool"})
    for message in out:
        message.pop("orphan_tool_results", None)
    return out


@hookimpl
def orchestrl_register_policy(registry: Registry) -> None:
    registry.add("openai", OpenAIPolicy)
