"""Seconds of GRPO's log-prob forwards with and without shared-prompt packing, on one batch.

Builds one GRPO batch as TRL does (``--groups`` prompts of ``--prompt`` tokens, left-padded,
``--rollouts`` completions each of up to ``--completion`` tokens, right-padded, lengths spread
down to a third) and times, on the same LoRA model (TRL's fused LM head, activation
checkpointing as in training):

* ``no_grad``: the log-probs without gradient (what the reference and old-policy forwards do);
* ``loss``: the forward with gradient, entropies included, and its backward;

first with TRL's own ``_get_per_token_logps_and_entropies``, then with orchestrl's packing
(:mod:`orchestrl.plugins.training.shared_prompt`), and prints each, the ratios, the largest
difference of the log-probs, and the tokens each computes. ``--model`` is ``smollm2`` (the real
weights), ``tiny``, or ``smollm2-shape`` (SmolLM2's config with random weights: no download).

    python benchmarks/shared_prompt_logps.py                          # SmolLM2, 1 x 2 rollouts
    python benchmarks/shared_prompt_logps.py --rollouts 4 --repeats 2
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import nullcontext
from types import SimpleNamespace
from typing import Any

import torch


def load(name: str) -> Any:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    from orchestrl.plugins.policies.models import load_model, resolve_model
    from orchestrl.plugins.training.memory import prepare_cpu_training

    prepare_cpu_training()  # what a training run does: labelled positions only, small tiles
    if name == "smollm2-shape":
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(
            resolve_model("smollm2")))
    else:
        model = load_model(name)
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                             init_lora_weights=False, task_type="CAUSAL_LM"))
    model.train()
    model.activation_checkpointing_enable({"use_reentrant": False})
    return model


def batch(opts: argparse.Namespace, vocab: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    width = opts.prompt + opts.groups  # prompts of different lengths: left padding
    ids, mask = [], []
    for group in range(opts.groups):
        length = opts.prompt + group
        prompt = torch.randint(3, vocab, (length,), generator=g)
        shortest = opts.completion // 3
        for rollout in range(opts.rollouts):
            kept = opts.completion - rollout * (opts.completion - shortest) // max(
                1, opts.rollouts - 1)
            ids.append(torch.cat([torch.full((width - length,), 2), prompt,
                                  torch.randint(3, vocab, (opts.completion,), generator=g)]))
            mask.append(torch.cat([torch.zeros(width - length), torch.ones(length),
                                   (torch.arange(opts.completion) < kept).float()]).long())
    return torch.stack(ids), torch.stack(mask)


def timed(trainer: Any, model: Any, ids: torch.Tensor, mask: torch.Tensor, keep: int,
          repeats: int) -> dict[str, Any]:
    best = {"no_grad": float("inf"), "loss": float("inf")}
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            logps, _, _ = trainer._get_per_token_logps_and_entropies(model, ids, mask, keep)
        best["no_grad"] = min(best["no_grad"], time.perf_counter() - start)
        model.zero_grad()
        start = time.perf_counter()
        scores, entropies, _ = trainer._get_per_token_logps_and_entropies(
            model, ids, mask, keep, compute_entropy=True)
        keep_mask = mask[:, -keep:].float()
        ((scores + 0.01 * entropies) * keep_mask).sum().div(keep_mask.sum()).backward()
        best["loss"] = min(best["loss"], time.perf_counter() - start)
    return {"seconds": {k: round(v, 3) for k, v in best.items()}, "logps": logps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--groups", type=int, default=1)
    parser.add_argument("--rollouts", type=int, default=2)
    parser.add_argument("--prompt", type=int, default=1700)
    parser.add_argument("--completion", type=int, default=160)
    parser.add_argument("--repeats", type=int, default=1)
    opts = parser.parse_args()
    from trl import GRPOTrainer

    from orchestrl.plugins.training.shared_prompt import shared_prompt_trainer

    model = load(opts.model)
    ids, mask = batch(opts, model.get_input_embeddings().weight.size(0))
    runs = {}
    for name, cls in (("trl", GRPOTrainer), ("shared_prompt", shared_prompt_trainer(GRPOTrainer))):
        trainer = cls.__new__(cls)  # only what the method reads: its accelerator
        trainer.accelerator = SimpleNamespace(autocast=nullcontext, is_main_process=True,
                                              unwrap_model=lambda m: m)
        runs[name] = timed(trainer, model, ids, mask, opts.completion, opts.repeats)
    difference = (runs["trl"].pop("logps") - runs["shared_prompt"].pop("logps")).abs().max()
    kept = mask[:, -opts.completion:].sum(1)
    print(json.dumps({
        "model": opts.model, "threads": torch.get_num_threads(),
        "rows": ids.size(0), "prompt_tokens": opts.prompt, "completion_tokens": kept.tolist(),
        "tokens_trl": ids.numel(),
        "tokens_packed": sum(opts.prompt + g - 1 for g in range(opts.groups))
        + int((kept + 1).sum()),
        **runs,
        "trl_over_shared_prompt": {k: round(runs["trl"]["seconds"][k]
                                            / runs["shared_prompt"]["seconds"][k], 2)
                                   for k in ("no_grad", "loss")},
        "max_abs_logp_difference": float(difference),
    }, indent=2))


if __name__ == "__main__":
    main()
