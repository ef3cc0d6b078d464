"""Policy ``llamacpp``: the model served by a managed llama.cpp server (the CPU inference engine).

Construction turns the model and its adapters into a GGUF
(:func:`~orchestrl.plugins.policies.gguf_export.export_gguf`: merged, cached by content hash),
starts :class:`~orchestrl.plugins.policies.llama_server.LlamaServer` on loopback with
``parallel`` slots and waits for it; :meth:`LlamaCppPolicy.close` (or leaving a ``with`` block,
or interpreter exit) stops it. The policy is ``parallel_safe``: benchmark runners with
``workers > 1`` keep several episodes in flight and the server decodes them together.

The prompt is rendered here, by the same tokenizer and chat template as the ``transformers``
policy and training (:func:`~orchestrl.plugins.policies.models.load_tokenizer`), and sent to
``/completion`` as token ids, so the model sees token for token the prompt it was trained on;
the generated ids are decoded with that tokenizer (special tokens removed), as the
``transformers`` policy does, and the rollout engine parses the calls from the text. Requests
ask the server to keep each slot's prompt cache, so the shared prefix of a conversation (system
turn, tool list, earlier turns) is not prefilled again. Server-side timings are summed in
:attr:`LlamaCppPolicy.stats`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from orchestrl import hookimpl
from orchestrl.api import JSON, Policy, PolicyOutput
from orchestrl.errors import ConfigError, ContextBudgetExceeded, OrchestrlError
from orchestrl.plugins.policies.chat_template import render_prompt
from orchestrl.plugins.policies.gguf_export import export_gguf
from orchestrl.plugins.policies.llama_server import LlamaServer, find_server_binary
from orchestrl.plugins.policies.models import load_tokenizer
from orchestrl.plugins.policies.openai_policy import post_json
from orchestrl.registry import Registry


@dataclass
class EngineStats:
    """Sums over every request, as the server reports them."""

    requests: int = 0
    prompt_tokens: int = 0
    """Prompt tokens of the requests (cached or not)."""
    prefilled_tokens: int = 0
    """Prompt tokens the server evaluated (not taken from a slot's cache)."""
    prefill_ms: float = 0.0
    decoded_tokens: int = 0
    decode_ms: float = 0.0


class LlamaCppPolicy(Policy):
    """Generates each assistant turn on a managed ``llama-server``; see the module docstring."""

    parallel_safe = True

    def __init__(
        self,
        model: str = "smollm2",
        adapter: str | None = None,
        base_adapters: list[str] | None = None,
        tokenizer: str | None = None,
        gguf_type: str = "q8_0",
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        parallel: int = 4,
        ctx_per_slot: int = 8192,
        threads: int = 0,
        binary: str | None = None,
        timeout_s: float = 600.0,
    ) -> None:
        """Options (the config node ``policy=llamacpp`` is derived from this signature):

        ``model``: ``smollm2`` or a ``.gguf`` file (then ``tokenizer`` names its
        transformers tokenizer). ``adapter``: A PEFT (LoRA) adapter directory, merged into
        the served weights. ``base_adapters``: Adapters merged before ``adapter``, in order
        (the SFT warm start of a GRPO adapter). ``tokenizer``: The tokenizer (a name for
        ``load_tokenizer``); default: ``model``. ``gguf_type``: Served weights: q8_0 | f16
        | f32 (merged from fp32), or source (the base file as is). ``parallel``: Server
        slots: requests decoded together (set the benchmark's ``workers`` to match).
        ``ctx_per_slot``: Context of each slot in tokens (prompt plus generation).
        ``threads``: CPU threads of the server (0: all cores). ``binary``: a
        ``llama-server`` binary (default: ``$ORCHESTRL_LLAMA_SERVER``, else the engine extra's).
        ``timeout_s``: Seconds one request may take (a slot may wait behind others).
        """

        if max_new_tokens < 1 or temperature < 0 or not 0 < top_p <= 1:
            raise ConfigError(f"llamacpp policy needs max_new_tokens >= 1, temperature >= 0 and "
                              f"0 < top_p <= 1, got {max_new_tokens}, {temperature}, {top_p}")
        if tokenizer is None and model.endswith(".gguf"):
            raise ConfigError(f"llamacpp policy model '{model}' is a gguf file; set "
                              "policy.tokenizer to its transformers tokenizer")
        find_server_binary(binary)  # fail on a missing engine before converting anything
        gguf = export_gguf(model, adapter=adapter, base_adapters=base_adapters,
                           gguf_type=gguf_type)
        self.tokenizer = load_tokenizer(tokenizer or model)
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self.timeout_s = timeout_s
        self.context_tokens = ctx_per_slot
        self.stats = EngineStats()
        self._stats_lock = threading.Lock()
        self.gguf = str(gguf)
        self.server = LlamaServer(gguf, binary=binary, parallel=parallel,
                                  ctx_per_slot=ctx_per_slot, threads=threads).start()
        self.url = self.server.base_url + "/completion"

    def identity(self) -> dict[str, JSON]:
        """The class, the served weights (their GGUF file, named by a hash of the model and
        adapters) and the decoding options."""
        return {**super().identity(), "gguf": Path(self.gguf).name,
                "max_new_tokens": self.max_new_tokens, "temperature": self.temperature,
                "top_p": self.top_p, "seed": self.seed, "context_tokens": self.context_tokens}

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` under this model's tokenizer."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def render(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> list[int]:
        """The prompt's token ids, rendered exactly as the ``transformers`` policy renders it."""

        return render_prompt(self.tokenizer, messages, tools)

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        """Render, complete on the server, and return the decoded text."""

        ids = self.render(messages, tools)
        budget = min(self.max_new_tokens, self.context_tokens - len(ids))
        if budget <= 0:
            raise ContextBudgetExceeded(f"prompt of {len(ids)} tokens fills the context")
        body: dict[str, Any] = {
            "prompt": ids, "n_predict": budget, "cache_prompt": True, "return_tokens": True,
            "temperature": self.temperature, "seed": self.seed,
        }
        if self.temperature > 0:
            body.update(top_p=self.top_p, top_k=0, min_p=0.0)
        reply = post_json(self.url, body, timeout_s=self.timeout_s, retries=0)
        tokens = reply.get("tokens")
        if not isinstance(tokens, list):
            raise OrchestrlError(f"{self.url} answered without generated tokens")
        self._count(len(ids), reply.get("timings") or {})
        return PolicyOutput(text=self.tokenizer.decode(tokens, skip_special_tokens=True))

    def _count(self, prompt_tokens: int, timings: dict[str, Any]) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.prompt_tokens += prompt_tokens
            self.stats.prefilled_tokens += int(timings.get("prompt_n") or 0)
            self.stats.prefill_ms += float(timings.get("prompt_ms") or 0.0)
            self.stats.decoded_tokens += int(timings.get("predicted_n") or 0)
            self.stats.decode_ms += float(timings.get("predicted_ms") or 0.0)

    def close(self) -> None:
        """Stop the server (idempotent)."""
        self.server.stop()

    def __enter__(self) -> LlamaCppPolicy:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@hookimpl
def orchestrl_register_policy(registry: Registry) -> None:
    registry.add("llamacpp", LlamaCppPolicy)
