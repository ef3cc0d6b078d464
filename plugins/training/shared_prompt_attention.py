"""Attention over a packed shared-prompt row without the dense mask's quadratic work.

A packed row (:mod:`~orchestrl.plugins.training.shared_prompt`) is ``prompt | segment_1 | ...``;
its 4D mask is exact for any attention kernel, but a kernel given a mask computes every
query-key pair, and on CPU without ``is_causal`` skips no half of it. With the row's
:class:`Layout` passed to the forward (``shared_prompt_layout=``, a keyword the model hands to
every attention call), the sdpa attention computes instead

* the prompt's queries causally over the prompt's keys (sdpa's ``is_causal`` kernel), and
* every segment's queries over the prompt's keys plus their own segment's, causally, padding
  masked: a ``[segments, heads, segment, prompt + segment]`` batch.

The same pairs as the dense mask allows, so the same outputs up to float rounding. Installed by
:func:`install` as a local override of transformers' ``sdpa`` entry (``ALL_ATTENTION_FUNCTIONS``):
a call without a layout is transformers' sdpa, unchanged. Other kernels (eager) ignore the
layout and use the dense mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Layout:
    """Where a packed row's prompt and segments are."""

    prompt: int                # the first ``prompt`` tokens are the prompt (all unmasked)
    index: torch.Tensor        # [segments, width] long: packed position of each segment token
    kept: torch.Tensor         # [segments, width] bool: which of them exist (not past the end)
    mask: torch.Tensor         # [segments, 1, width, prompt + width] bool: who attends to whom

    @classmethod
    def of(cls, prompt: int, starts: list[int], sizes: list[int], keys: torch.Tensor) -> Layout:
        """The layout of segments ``sizes`` tokens long at ``starts``, after a ``prompt``-token
        prompt; ``keys`` (``[n]`` bool) marks the packed row's unmasked tokens."""
        device = keys.device
        width = max(sizes)
        offsets = torch.arange(width, device=device)
        kept = offsets[None, :] < torch.tensor(sizes, device=device)[:, None]
        index = (torch.tensor(starts, device=device)[:, None] + offsets[None, :]).clamp(
            max=keys.numel() - 1)
        own = (offsets[None, :] <= offsets[:, None])[None] & (kept & keys[index])[:, None, :]
        prompt_keys = own.new_ones((len(sizes), width, prompt))
        return cls(prompt, index, kept, torch.cat([prompt_keys, own], dim=2)[:, None])


def layout_attention(sdpa: Any, module: Any, query: torch.Tensor, key: torch.Tensor,
                     value: torch.Tensor, layout: Layout, **kwargs: Any,
                     ) -> tuple[torch.Tensor, None]:
    """``sdpa`` (transformers' sdpa attention) over a packed row (batch 1) as :class:`Layout`
    says; returns ``[1, n, heads, head_dim]`` as sdpa does."""
    p = layout.prompt
    outputs = []
    if p:
        outputs.append(sdpa(module, query[:, :, :p], key[:, :, :p], value[:, :, :p], None,
                            is_causal=True, **kwargs)[0][0])

    def segments(states: torch.Tensor) -> torch.Tensor:  # [1, h, n, d] -> [G, h, width, d]
        return states[0][:, layout.index].transpose(0, 1)

    groups = layout.index.size(0)

    def with_prompt(states: torch.Tensor) -> torch.Tensor:
        prompt = states[:, :, :p].expand(groups, -1, -1, -1)
        return torch.cat([prompt, segments(states)], dim=2)

    out = sdpa(module, segments(query), with_prompt(key), with_prompt(value), layout.mask,
               is_causal=False, **kwargs)[0]
    outputs.append(out[layout.kept])
    return torch.cat(outputs)[None], None


def install() -> None:
    """Route transformers' sdpa attention through :func:`layout_attention` when a call carries
    ``shared_prompt_layout``; idempotent."""
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    sdpa = ALL_ATTENTION_FUNCTIONS["sdpa"]
    if getattr(sdpa, "shared_prompt", False):
        return

    def routed(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
               attention_mask: torch.Tensor | None, *args: Any,
               shared_prompt_layout: Layout | None = None, **kwargs: Any,
               ) -> tuple[torch.Tensor, Any]:
        if shared_prompt_layout is None or args or query.size(0) != 1:
            return sdpa(module, query, key, value, attention_mask, *args, **kwargs)
        kwargs.pop("is_causal", None)
        return layout_attention(sdpa, module, query, key, value, shared_prompt_layout, **kwargs)

    routed.shared_prompt = True  # type: ignore[attr-defined]
    ALL_ATTENTION_FUNCTIONS["sdpa"] = routed
