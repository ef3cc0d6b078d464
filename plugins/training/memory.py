"""Keeping a CPU training run's resident memory small (measured by ``benchmarks/train_memory.py``).

Three measured causes of a multi-GB peak for a 135M model, and what this module does about each:

* **Freed tensors stay resident.** glibc raises its mmap threshold each time a large block is
  freed, so later activation-sized buffers (tens of MB) come from the heap and are never handed
  back; a forward over 2k tokens leaves GBs of freed but resident memory.
  :func:`return_large_blocks` fixes the threshold (``mallopt(M_MMAP_THRESHOLD)``) so blocks above
  it are mapped and unmapped; :func:`release_freed_memory` runs the garbage collector and
  ``malloc_trim(0)`` between stages.
* **The fused LM head's vocabulary tiles.** TRL scores the next token in ``[tokens, 32768]``
  tiles of the vocabulary (sized for a GPU); on CPU every position is scored, so a 2k-token
  sequence makes several 268 MB temporaries per tile. :func:`small_logit_tiles` makes the tiles
  ``LOGIT_TILE`` wide: the same log-probabilities, entropies and gradients, computed in more,
  smaller matrix products. And on CPU that head scores *every* position of the sequence
  (prompt and tool results included) and masks the unlabelled ones afterwards (TRL keeps tile
  shapes fixed for compiling devices); on CUDA/XPU it scores only the labelled ones, the
  completion tokens. :func:`score_labelled_positions_only` makes CPU do what CUDA does: with a
  ~1.4k-token BFCL prompt and a 160-token completion, about a tenth of the vocabulary
  projections, in the policy's forward and backward and in the reference log-probs alike.
* **Stored activations.** Activation checkpointing (``trainer.args.activation_checkpointing``,
  on by default in :func:`~orchestrl.plugins.training.model.trl_args`) keeps one tensor per layer
  instead of every intermediate; TRL turns it off while generating.

Nothing here changes what is computed: losses and gradients are equal up to float rounding
(the test compares them); the last measure is also the largest cut of a CPU GRPO step's time
(``benchmarks/grpo_step_time.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

LARGE_BLOCK = 1 << 20   # bytes: blocks from here up are mmap-ed, so free() unmaps them
LOGIT_TILE = 4096       # vocabulary columns per tile of TRL's fused LM head on CPU
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.mallopt  # noqa: B018 - glibc only (musl lacks it)
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def return_large_blocks(threshold: int = LARGE_BLOCK) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes; True when it was set (glibc only)."""
    libc = _libc()
    return bool(libc and libc.mallopt(_M_MMAP_THRESHOLD, int(threshold)) == 1)


def release_freed_memory() -> None:
    """Collect garbage (trainers and models sit in reference cycles) and trim glibc's heap."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def small_logit_tiles(width: int = LOGIT_TILE) -> None:
    """Make TRL's fused LM head score ``width`` vocabulary columns per tile (CPU only)."""
    import torch

    if torch.cuda.is_available():
        return
    from trl.trainer import utils

    if hasattr(utils, "_CHUNKED_LOGPROB_CHUNK_SIZE"):  # read by the fused forward at each call
        utils._CHUNKED_LOGPROB_CHUNK_SIZE = int(width)


def score_labelled_positions_only() -> None:
    """Make TRL's fused LM head score only the positions that have a label (the completion's
    tokens) on CPU too, as it does on CUDA and XPU; the log-probabilities, entropies and
    gradients at those positions are the same, the others are zero either way."""
    from trl.trainer import utils

    scored_compactly = getattr(utils, "_use_triton", None)  # read by the fused forward per call
    if scored_compactly is None or getattr(scored_compactly, "cpu_compact", False):
        return

    def compact(device: Any) -> bool:
        return device.type == "cpu" or bool(scored_compactly(device))

    compact.cpu_compact = True  # type: ignore[attr-defined]
    utils._use_triton = compact


def prepare_cpu_training() -> None:
    """Everything above that applies before a trainer is built."""
    return_large_blocks()
    small_logit_tiles()
    score_labelled_positions_only()


@contextmanager
def checkpointing_aliases_quiet() -> Iterator[None]:
    """Silence the FutureWarnings of transformers 5's ``gradient_checkpointing*`` aliases, which
    TRL (enabling/disabling checkpointing around generation) and PEFT still call."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`(is_)?gradient_checkpointing\w*` is deprecated",
                                FutureWarning)
        yield
