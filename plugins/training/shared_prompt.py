"""``trainer.shared_prompt``: a GRPO group's prompt computed once in each log-prob forward.

TRL's ``GRPOTrainer`` scores a batch of ``prompt + completion`` rows in
``_get_per_token_logps_and_entropies``: the policy's forward with gradient (the loss), and
without gradient the reference model's (adapter disabled) and the old policy's. The rollouts of
a group share their prompt (system turn, tool list, query: ~1,700 Booking tokens against a
completion of at most 160), so almost all of that compute recomputes one prompt per rollout.
:class:`SharedPromptLogps` overrides the method and packs the rows of each group into one
sequence::

    prompt[:-1] | prompt[-1] completion_1 | prompt[-1] completion_2 | ...

* **Same log-probabilities.** Each segment starts with a copy of the prompt's last token (the
  position that predicts the completion's first token) and continues at the prompt's
  positions; a 4D attention mask lets a segment's tokens attend to the prompt and causally to
  their own segment, its padding masked as keys as in TRL's forward. With rotary position
  embeddings attention depends on relative positions only, so every completion token sees the
  same keys at the same distances as in the unpacked row (whose left padding only shifts
  them): log-probabilities, entropies and gradients agree up to float rounding (the tests
  compare them with TRL's own method). Trailing padding of a completion is left out (causal
  attention: nothing before it depends on it).
* **Cheap attention.** The 4D mask is exact for any kernel, but a masked kernel computes every
  query-key pair; with sdpa the forward also carries the row's layout, and
  :mod:`~orchestrl.plugins.training.shared_prompt_attention` computes the prompt causally once
  and each completion against the prompt's keys and its own: the pairs the mask allows, no
  more.
* **Cheapest head.** The packed row goes through TRL's fused LM head (``fused_lm_head=True``
  with ``labels``): only completion tokens are labelled, so only they are projected onto the
  vocabulary (with :func:`~orchestrl.plugins.training.memory.score_labelled_positions_only`).
* **Memory.** A packed row holds at most ``batch_size`` completions (TRL's chunk) and fewer
  tokens than their unpacked rows, so fewer activations; it adds its ``n x n`` boolean mask
  (``n`` = prompt + completions: ~4 MB for a 2k-token row). That is why the GPU experiment
  (``experiment=paper_qwen3_8b``: 16 rollouts of up to 16k tokens) keeps it off.
* **TRL's own way** for rows whose prompt no other row of the batch shares, for multimodal or
  ``token_type_ids`` inputs, when the MoE auxiliary loss is requested, and for models where
  packing is not exact (:func:`packs_exactly`: no rotary embedding, attention other than
  ``sdpa``/``eager``, sliding-window layers, vision-language configs).

Switched by ``trainer.shared_prompt`` (``conf/trainer/grpo.yaml``);
``benchmarks/grpo_step_time.py --shared-prompt`` times the step with it off and on.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch

from orchestrl.plugins.training import shared_prompt_attention
from orchestrl.plugins.training.shared_prompt_attention import Layout

ATTENTION = ("sdpa", "eager")
"""Attention implementations that take a custom 4D mask as is (bool for sdpa, additive for
eager); others go TRL's own way."""


def packs_exactly(model: Any) -> bool:
    """Whether packing gives ``model`` (a PEFT model or a causal LM) the unpacked log-probs:
    a text-only causal LM with rotary position embeddings, full attention in every layer, an
    attention implementation in :data:`ATTENTION` and a backbone that takes ``position_ids``."""
    core = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(core, "config", None)
    if config is None or config.get_text_config() is not config:
        return False
    if getattr(config, "_attn_implementation", None) not in ATTENTION:
        return False
    if not getattr(config, "is_causal", True) or getattr(config, "output_router_logits", False):
        return False
    layer_types = getattr(config, "layer_types", None)
    if layer_types is not None and any(kind != "full_attention" for kind in layer_types):
        return False
    if layer_types is None and getattr(config, "sliding_window", None) \
            and getattr(config, "use_sliding_window", True):
        return False
    backbone = getattr(core, getattr(core, "base_model_prefix", ""), None)
    return (backbone is not None and hasattr(backbone, "rotary_emb")
            and "position_ids" in inspect.signature(backbone.forward).parameters)


def shared_prompt_groups(input_ids: torch.Tensor, attention_mask: torch.Tensor,
                         logits_to_keep: int, most: int) -> tuple[list[list[int]], list[int]]:
    """(groups of at least two rows with the same prompt, at most ``most`` rows each; the other
    rows). A row's prompt is ``input_ids[:, :-logits_to_keep]`` from its first unmasked token
    on (left padding); a prompt with a masked token after that is never packed."""
    width = input_ids.size(1) - logits_to_keep
    ids, mask = input_ids[:, :width].tolist(), attention_mask[:, :width].tolist()
    by_prompt: dict[tuple[int, ...], list[int]] = {}
    alone: list[int] = []
    for row, (tokens, kept) in enumerate(zip(ids, mask, strict=True)):
        start = kept.index(1) if 1 in kept else len(kept)
        if start == len(kept) or not all(kept[start:]):
            alone.append(row)
            continue
        by_prompt.setdefault(tuple(tokens[start:]), []).append(row)
    groups: list[list[int]] = []
    for rows in by_prompt.values():
        for i in range(0, len(rows), max(1, most)):
            chunk = rows[i:i + max(1, most)]
            if len(chunk) > 1:
                groups.append(chunk)
            else:
                alone.extend(chunk)
    return groups, sorted(alone)


@dataclass(frozen=True)
class Pack:
    """One packed row (shape ``[1, n]`` each) and where each completion's scores start."""

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    allowed: torch.Tensor      # [n, n] bool: query i may attend to key j
    labels: torch.Tensor       # completion tokens where unmasked, else -100
    starts: list[int]          # index of each segment's first token (the prompt's last token)
    lengths: list[int]         # completion tokens kept per segment (trailing padding dropped)
    layout: Layout             # the same structure, for the sdpa attention's fast path


def pack_group(input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: list[int],
               logits_to_keep: int) -> Pack:
    """The packed row of ``rows`` (which share their prompt, see :func:`shared_prompt_groups`)."""
    width, device = input_ids.size(1) - logits_to_keep, input_ids.device
    first = int(attention_mask[rows[0], :width].nonzero()[0])
    prompt = input_ids[rows[0], first:width]
    p = prompt.numel()

    def filled(n: int, value: int) -> torch.Tensor:
        return torch.full((n,), value, dtype=torch.long, device=device)

    ids, labels = [prompt[:-1]], [filled(p - 1, -100)]
    keys = [torch.ones(p - 1, dtype=torch.bool, device=device)]
    positions = [torch.arange(p - 1, device=device)]
    segments = [filled(p - 1, -1)]
    starts, lengths, at = [], [], p - 1
    for segment, row in enumerate(rows):
        completion, kept = input_ids[row, width:], attention_mask[row, width:].bool()
        length = int(kept.nonzero()[-1]) + 1 if bool(kept.any()) else 0
        completion, kept = completion[:length], kept[:length]
        ids += [prompt[-1:], completion]
        keys += [kept.new_ones(1), kept]
        labels += [filled(1, -100), completion.masked_fill(~kept, -100)]
        positions.append(torch.arange(p - 1, p + length, device=device))
        segments.append(filled(length + 1, segment))
        starts.append(at)
        lengths.append(length)
        at += length + 1
    segment_of, key_ok = torch.cat(segments), torch.cat(keys)
    index = torch.arange(at, device=device)
    allowed = ((index[None, :] <= index[:, None]) & key_ok[None, :]
               & ((segment_of[None, :] == segment_of[:, None]) | (segment_of[None, :] == -1)))
    return Pack(torch.cat(ids)[None], torch.cat(positions)[None], allowed,
                torch.cat(labels)[None], starts, lengths,
                Layout.of(p - 1, starts, [n + 1 for n in lengths], key_ok))


def attention_mask_4d(allowed: torch.Tensor, model: Any) -> torch.Tensor:
    """``allowed`` as the 4D mask ``model``'s attention takes: bool for sdpa, additive (0 or the
    dtype's minimum) for eager."""
    core = model.get_base_model() if hasattr(model, "get_base_model") else model
    if core.config._attn_implementation == "sdpa":
        return allowed[None, None]
    dtype = core.get_input_embeddings().weight.dtype
    additive = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
    return additive.masked_fill(~allowed, torch.finfo(dtype).min)[None, None]


def packed_logps(model: Any, pack: Pack, logits_to_keep: int, compute_entropy: bool,
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs (and entropies) of each completion of ``pack``, ``[rows,
    logits_to_keep]``, zero at masked and padded positions, as TRL's method returns them."""
    outputs = model(input_ids=pack.input_ids, attention_mask=attention_mask_4d(pack.allowed, model),
                    position_ids=pack.position_ids, labels=pack.labels, fused_lm_head=True,
                    shared_prompt_layout=pack.layout)
    device = pack.input_ids.device
    offsets = torch.arange(logits_to_keep, device=device)
    starts = torch.tensor(pack.starts, device=device)[:, None]
    valid = offsets[None, :] < torch.tensor(pack.lengths, device=device)[:, None]
    where = (starts + offsets[None, :]).clamp(max=pack.input_ids.size(1) - 2)

    def gather(scores: torch.Tensor) -> torch.Tensor:
        return torch.where(valid, scores[0][where], scores.new_zeros(()))

    return gather(outputs.log_probs), gather(outputs.entropy) if compute_entropy else None


class SharedPromptLogps:
    """Mixin over TRL's ``GRPOTrainer``: ``_get_per_token_logps_and_entropies`` packs each
    group's rows (see the module doc) and leaves the rest to TRL."""

    def _get_per_token_logps_and_entropies(  # type: ignore[no-untyped-def]
            self, model, input_ids, attention_mask, logits_to_keep, batch_size=None,
            compute_entropy=False, compute_aux_loss=False, **extra):
        unpacked = super()._get_per_token_logps_and_entropies  # type: ignore[misc]
        plain = compute_aux_loss or any(value is not None for value in extra.values())
        if plain or not packs_exactly(self.accelerator.unwrap_model(model)):  # type: ignore[attr-defined]
            return unpacked(model, input_ids, attention_mask, logits_to_keep, batch_size,
                            compute_entropy, compute_aux_loss, **extra)
        groups, alone = shared_prompt_groups(input_ids, attention_mask, logits_to_keep,
                                             batch_size or input_ids.size(0))
        if not groups:
            return unpacked(model, input_ids, attention_mask, logits_to_keep, batch_size,
                            compute_entropy)
        order, logps, entropies = [], [], []
        for rows in groups:
            pack = pack_group(input_ids, attention_mask, rows, logits_to_keep)
            with self.accelerator.autocast():  # type: ignore[attr-defined]
                scores, entropy = packed_logps(model, pack, logits_to_keep, compute_entropy)
            order += rows
            logps.append(scores)
            entropies.append(entropy)
        if alone:
            scores, entropy, _ = unpacked(model, input_ids[alone], attention_mask[alone],
                                          logits_to_keep, batch_size, compute_entropy)
            order += alone
            logps.append(scores)
            entropies.append(entropy)
        inverse = torch.empty(len(order), dtype=torch.long, device=input_ids.device)
        inverse[torch.tensor(order, device=input_ids.device)] = torch.arange(
            len(order), device=input_ids.device)
        entropy_all = torch.cat(entropies)[inverse] if compute_entropy else None
        return torch.cat(logps)[inverse], entropy_all, None


def shared_prompt_trainer(base: type) -> type:
    """``base`` (TRL's ``GRPOTrainer`` or a subclass) with :class:`SharedPromptLogps`; installs
    the sdpa attention's fast path (:func:`~orchestrl.plugins.training.shared_prompt_attention.
    install`)."""
    shared_prompt_attention.install()
    return type(f"SharedPrompt{base.__name__}", (SharedPromptLogps, base), {})
