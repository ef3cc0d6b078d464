"""Shared-prompt packing of GRPO's log-prob forwards: the same log-probs, entropies and LoRA
gradients as TRL's own method (policy and reference forwards, sdpa and eager attention,
activation checkpointing), TRL's own way for what it cannot pack, and a real TRL run."""

from __future__ import annotations

from contextlib import nullcontext
from types import SimpleNamespace

import pytest
import torch

from orchestrl.plugins.training import shared_prompt, shared_prompt_attention
from orchestrl.plugins.training.shared_prompt import (
    SharedPromptLogps,
    pack_group,
    packs_exactly,
    shared_prompt_groups,
    shared_prompt_trainer,
)

# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
)

PAD, C = 2, 10  # pad token, completion width (logits_to_keep)


@pytest.fixture(autouse=True)
def seeded() -> None:
    torch.manual_seed(0)  # the same random LoRA adapter in every test


def trainer_of(base: type):  # type: ignore[no-untyped-def]
    """An instance of ``base`` with only what the log-prob method reads (its accelerator)."""
    trainer = base.__new__(base)
    trainer.accelerator = SimpleNamespace(autocast=nullcontext, is_main_process=True,
                                          unwrap_model=lambda model: model)
    return trainer


@pytest.fixture(scope="module")
def trainers():  # type: ignore[no-untyped-def]
    from trl import GRPOTrainer

    return trainer_of(GRPOTrainer), trainer_of(shared_prompt_trainer(GRPOTrainer))


def batch():  # type: ignore[no-untyped-def]
    """Rows of three groups (prompts of 14, 20 and 9 tokens, left-padded to 20) and one row
    whose prompt no other row shares, shuffled; completions right-padded to ``C``, one fully
    padded, one with a masked token inside; and a tool mask (tool-result tokens)."""
    g = torch.Generator().manual_seed(3)
    prompts = [torch.randint(3, 49152, (n,), generator=g) for n in (14, 20, 9, 11)]
    rows = [(0, 10), (1, 7), (0, 3), (2, 10), (1, 10), (0, 0), (3, 6), (2, 1)]
    ids, mask = [], []
    for prompt, length in rows:
        left = 20 - prompts[prompt].numel()
        completion = torch.randint(3, 49152, (C,), generator=g)
        ids.append(torch.cat([torch.full((left,), PAD), prompts[prompt], completion]))
        mask.append(torch.cat([torch.zeros(left), torch.ones(20 - left),
                               (torch.arange(C) < length).float()]).long())
    ids, mask = torch.stack(ids), torch.stack(mask)
    ids[:, 20:] = ids[:, 20:].masked_fill(mask[:, 20:] == 0, PAD)  # padding is the pad token
    mask[4, 20 + 4] = 0  # a masked token inside a completion
    tool = torch.ones(len(rows), C, dtype=torch.long)
    tool[0, 3:6] = 0
    tool[4, 6:8] = 0
    return ids, mask, tool


def loss_of(logps, entropies, mask, tool):  # type: ignore[no-untyped-def]
    weights = torch.linspace(-1.0, 1.0, mask.size(0))[:, None]  # advantages of either sign
    keep = (mask[:, -C:] * tool).float()
    return ((logps * weights + 0.1 * entropies) * keep).sum() / keep.sum()


def scores_and_grads(trainer, model, ids, mask, tool):  # type: ignore[no-untyped-def]
    model.zero_grad()
    logps, entropies, aux = trainer._get_per_token_logps_and_entropies(
        model, ids, mask, C, batch_size=8, compute_entropy=True)
    loss_of(logps, entropies, mask, tool).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return logps.detach(), entropies.detach(), aux, grads


@pytest.fixture
def forwards():  # type: ignore[no-untyped-def]
    """The lengths of the rows the model's backbone sees, per forward."""
    seen: list[list[int]] = []

    def record(model):  # type: ignore[no-untyped-def]
        backbone = model.get_base_model().model
        backbone.register_forward_pre_hook(
            lambda module, args, kwargs: seen.append(list(kwargs["input_ids"].shape)),
            with_kwargs=True)
        return model

    return seen, record


@pytest.mark.parametrize(("attention", "checkpointing"),
                         [("sdpa", True), ("eager", False)])
def test_packed_log_probs_entropies_and_gradients_equal_trls(trainers, forwards, tiny_lora,
                                                             monkeypatch, attention, checkpointing):
    trl_own, packed = trainers
    seen, record = forwards
    fast: list[int] = []
    layout_attention = shared_prompt_attention.layout_attention

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        fast.append(1)
        return layout_attention(*args, **kwargs)

    monkeypatch.setattr(shared_prompt_attention, "layout_attention", counted)
    model = record(tiny_lora(checkpointing, attention))
    ids, mask, tool = batch()
    expected = scores_and_grads(trl_own, model, ids, mask, tool)
    assert seen == [[8, 30]]
    seen.clear()
    got = scores_and_grads(packed, model, ids, mask, tool)
    # group 0 (rows 0, 2, 5): 13 prompt tokens + (1 + 10) + (1 + 3) + (1 + 0); group 1 (rows 1,
    # 4): 19 + (1 + 7) + (1 + 10); group 2 (rows 3, 7): 8 + (1 + 10) + (1 + 1); row 6 alone
    assert seen == [[1, 29], [1, 38], [1, 21], [1, 30]]
    # sdpa: each layer of each packed forward took the layout's path (checkpointing: and its
    # recomputation in the backward); eager used the dense 4D mask
    assert len(fast) == (3 * 2 * (2 if checkpointing else 1) if attention == "sdpa" else 0)
    torch.testing.assert_close(got[0], expected[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(got[1], expected[1], rtol=1e-5, atol=1e-5)
    assert got[2] is None and expected[2] is None
    assert (got[0][mask[:, -C:] == 0] == 0).all() and (got[0][5] == 0).all()
    assert expected[3].keys() == got[3].keys() and len(got[3]) > 4  # every LoRA matrix
    for name, grad in expected[3].items():
        assert grad.abs().sum() > 0, name
        torch.testing.assert_close(got[3][name], grad, rtol=1e-4, atol=1e-6)


def test_the_reference_forward_is_packed_too_and_equals_trls(trainers, forwards, tiny_lora):
    trl_own, packed = trainers
    seen, record = forwards
    model = record(tiny_lora())
    ids, mask, _ = batch()
    with torch.no_grad():
        policy, _, _ = packed._get_per_token_logps_and_entropies(model, ids, mask, C)
        with model.disable_adapter():
            expected, none, _ = trl_own._get_per_token_logps_and_entropies(model, ids, mask, C)
            seen.clear()
            got, _, _ = packed._get_per_token_logps_and_entropies(model, ids, mask, C)
    assert len(seen) == 4 and none is None
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(policy, got)  # the adapter was off: other log-probs


def test_rows_without_a_shared_prompt_go_trls_own_way(trainers, forwards, tiny_lora):
    trl_own, packed = trainers
    seen, record = forwards
    model = record(tiny_lora())
    ids, mask, _ = batch()
    alone = [0, 1, 3, 6]  # one row of each prompt
    with torch.no_grad():
        expected, _, _ = trl_own._get_per_token_logps_and_entropies(
            model, ids[alone], mask[alone], C, compute_entropy=True)
        seen.clear()
        got, _, _ = packed._get_per_token_logps_and_entropies(
            model, ids[alone], mask[alone], C, compute_entropy=True)
    assert seen == [[4, 30]]
    assert torch.equal(got, expected)


def test_groups_are_found_by_prompt_and_cut_to_the_batch_size():
    ids, mask, _ = batch()
    assert shared_prompt_groups(ids, mask, C, 8) == ([[0, 2, 5], [1, 4], [3, 7]], [6])
    assert shared_prompt_groups(ids, mask, C, 2) == ([[0, 2], [1, 4], [3, 7]], [5, 6])
    for masked in (19, 15):  # a prompt with a masked token after its left padding is never packed
        holed = mask.clone()
        holed[2, masked] = 0
        assert shared_prompt_groups(ids, holed, C, 8) == ([[0, 5], [1, 4], [3, 7]], [2, 6])


def test_a_pack_continues_each_completion_at_the_prompts_positions():
    ids, mask, _ = batch()
    pack = pack_group(ids, mask, [3, 7], C)  # a 9-token prompt; completions of 10 and 1 tokens
    assert pack.starts == [8, 19] and pack.lengths == [10, 1]
    assert pack.position_ids[0].tolist() == [*range(8), *range(8, 19), 8, 9]
    assert pack.input_ids[0, 8] == pack.input_ids[0, 19] == ids[3, 19]
    assert pack.labels[0, :9].eq(-100).all() and pack.labels[0, 19] == -100
    assert pack.labels[0, 9:19].tolist() == ids[3, 20:].tolist()
    allowed = pack.allowed
    assert allowed[20, :8].all() and not allowed[20, 8:19].any() and allowed[20, 19:21].all()
    assert not allowed[:19, 19:].any()  # nothing attends to a later segment
    assert torch.equal(allowed[:19, :19], torch.ones(19, 19, dtype=torch.bool).tril())


def test_only_models_where_packing_is_exact_are_packed(tiny_lora):
    from transformers import GPT2Config, GPT2LMHeadModel, Qwen2Config, Qwen2ForCausalLM

    model = tiny_lora()
    assert packs_exactly(model) and packs_exactly(model.get_base_model())
    model.get_base_model().config._attn_implementation = "flash_attention_2"
    assert not packs_exactly(model)
    small = {"vocab_size": 64, "hidden_size": 16, "num_attention_heads": 2}
    sliding = Qwen2ForCausalLM(Qwen2Config(**small, intermediate_size=32, num_hidden_layers=2,
                                           num_key_value_heads=2, use_sliding_window=True,
                                           sliding_window=4, max_window_layers=0))
    assert not packs_exactly(sliding)  # sliding-window layers would ignore a custom mask
    full = Qwen2ForCausalLM(Qwen2Config(**small, intermediate_size=32, num_hidden_layers=2,
                                        num_key_value_heads=2))
    assert packs_exactly(full)
    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_embd=16, n_layer=1, n_head=2))
    assert not packs_exactly(gpt2)  # absolute positions: no rotary embedding


def test_what_cannot_be_packed_goes_to_trl_with_every_argument(tiny_lora):
    calls = []

    class TRLStandIn:
        def _get_per_token_logps_and_entropies(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append((args, kwargs))
            return "trl"

    trainer = trainer_of(type("Packing", (SharedPromptLogps, TRLStandIn), {}))
    model = tiny_lora()
    ids, mask, _ = batch()
    assert trainer._get_per_token_logps_and_entropies(
        model, ids, mask, C, 8, True, False, token_type_ids=torch.zeros_like(ids)) == "trl"
    assert trainer._get_per_token_logps_and_entropies(model, ids, mask, C, 8, True, True) == "trl"
    assert [c[0][4:] for c in calls] == [(8, True, False), (8, True, True)]
    assert "token_type_ids" in calls[0][1]


def test_a_grpo_run_with_packing_logs_what_trls_logs(tmp_path, booking_dir, monkeypatch):
    from transformers import Trainer

    from orchestrl.config import compose
    from orchestrl.plugins.training import grpo

    logged: dict[str, list[dict[str, float]]] = {}
    packed: list[int] = []
    original_log, original_pack = Trainer.log, shared_prompt.packed_logps

    def log(self, logs, *args, **kwargs):  # type: ignore[no-untyped-def]
        logged.setdefault(type(self).__name__, []).append(dict(logs))
        return original_log(self, logs, *args, **kwargs)

    def counted(model, pack, *args):  # type: ignore[no-untyped-def]
        packed.append(len(pack.starts))
        return original_pack(model, pack, *args)

    monkeypatch.setattr(Trainer, "log", log)  # what GRPOTrainer.log hands on, its metrics in
    monkeypatch.setattr(shared_prompt, "packed_logps", counted)
    for switch in ("false", "true"):
        torch.manual_seed(0)
        cfg = compose(["world=booking", "trainer=grpo", "policy.model=tiny", "cache=memory",
                       f"data_dir={booking_dir}", f"trainer.output_dir={tmp_path / switch}",
                       "trainer.data.limit=4", "trainer.data.holdout=2",
                       "trainer.args.max_steps=1", "trainer.args.per_device_train_batch_size=4",
                       "trainer.args.num_generations=2", "trainer.args.max_completion_length=16",
                       "trainer.max_tool_calling_iterations=1", "trainer.args.save_steps=100",
                       f"trainer.shared_prompt={switch}"])
        assert grpo.train_grpo(cfg)["steps"] == 1
    assert set(logged) == {"GRPOTrainer", "SharedPromptGRPOTrainer"}
    # 2 prompts x 2 rollouts: 2 packed rows in the reference forward, 2 in the loss forward
    assert packed == [2, 2, 2, 2]
    plain, packing = logged["GRPOTrainer"], logged["SharedPromptGRPOTrainer"]
    assert [entry.keys() for entry in packing] == [entry.keys() for entry in plain]
    assert "entropy" in plain[0] and "kl" in plain[0]
    assert packing[0]["entropy"] == pytest.approx(plain[0]["entropy"], rel=1e-5)
    assert packing[0]["kl"] == pytest.approx(plain[0]["kl"], abs=1e-6)
