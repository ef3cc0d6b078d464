"""The memory measures of training: small logit tiles and activation checkpointing compute the
same loss and gradients; a finished trainer's model is freed; the heap policy is set."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest
import torch

from orchestrl.plugins.training import memory

# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
)


@pytest.fixture
def trl_tiles():
    from trl.trainer import utils

    saved = utils._CHUNKED_LOGPROB_CHUNK_SIZE
    yield utils
    utils._CHUNKED_LOGPROB_CHUNK_SIZE = saved


def loss_and_grads(model, ids):
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=ids, fused_lm_head=True)
    out.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return out.loss.item(), out.entropy.detach(), grads


def test_small_tiles_and_checkpointing_give_the_same_loss_entropy_and_gradients(trl_tiles,
                                                                                tiny_lora):
    vocab = 49152
    ids = torch.randint(0, vocab, (2, 48), generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    reference = tiny_lora(checkpointing=False)
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    plain_logits = reference(input_ids=ids).logits[:, :-1].float()
    expected_nll = -torch.log_softmax(plain_logits, -1).gather(-1, ids[:, 1:, None]).mean().item()
    before = loss_and_grads(reference, ids)

    memory.small_logit_tiles(1000)  # not a divisor of the vocabulary: a ragged last tile
    assert trl_tiles._CHUNKED_LOGPROB_CHUNK_SIZE == 1000
    model = tiny_lora(checkpointing=True)
    model.load_state_dict(state)
    after = loss_and_grads(model, ids)

    assert before[0] == pytest.approx(expected_nll, rel=1e-5)
    assert after[0] == pytest.approx(before[0], rel=1e-6)
    torch.testing.assert_close(after[1], before[1], rtol=1e-5, atol=1e-6)
    assert before[2].keys() == after[2].keys() and before[2]
    for name, grad in before[2].items():
        torch.testing.assert_close(after[2][name], grad, rtol=1e-4, atol=1e-7)


def test_trainers_checkpoint_activations_unless_told_not_to(compose_config, tmp_path):
    from trl import GRPOConfig, SFTConfig

    from orchestrl.plugins.training.model import trl_args

    for trainer, cls in (("sft", SFTConfig), ("grpo", GRPOConfig)):
        on = compose_config(f"trainer={trainer}")
        assert trl_args(cls, on, tmp_path).activation_checkpointing
        off = compose_config(f"trainer={trainer}", "+trainer.args.activation_checkpointing=false")
        assert not trl_args(cls, off, tmp_path).activation_checkpointing


def test_a_finished_sft_run_leaves_no_model_behind(compose_config, tmp_path, monkeypatch,
                                                   booking_dir, trl_tiles):
    from orchestrl.plugins.training import model as model_module
    from orchestrl.plugins.training import sft

    loaded = []
    original = model_module.load_for_training

    def remember(cfg):
        model, tokenizer = original(cfg)
        loaded.append(weakref.ref(model))
        return model, tokenizer

    monkeypatch.setattr(sft, "load_for_training", remember)
    cfg = compose_config("trainer=sft", "world=booking", f"data_dir={booking_dir}",
                         "policy.model=tiny", "cache=memory", "trainer.data.limit=2",
                         "trainer.data.holdout=1", f"trainer.output_dir={tmp_path}",
                         "trainer.args.max_steps=1", "trainer.args.save_steps=100")
    summary = sft.train_sft(cfg)
    assert summary["steps"] == 1 and summary["train_loss"] > 0
    assert trl_tiles._CHUNKED_LOGPROB_CHUNK_SIZE == memory.LOGIT_TILE
    memory.release_freed_memory()
    assert loaded and loaded[0]() is None, gc.get_referrers(loaded[0]())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_heap_returns_large_blocks_on_glibc():
    assert memory.return_large_blocks() is True
    memory.release_freed_memory()  # also callable with nothing to free


@pytest.fixture
def trl_scoring():
    from trl.kernels import chunked_logprob
    from trl.trainer import utils

    saved = utils._use_triton
    utils._use_triton = chunked_logprob._use_triton  # TRL's own, whatever ran before
    yield utils
    utils._use_triton = saved


def test_only_labelled_positions_are_scored_with_the_same_log_probs_and_gradients(
        trl_scoring, monkeypatch, tiny_lora):
    ids = torch.randint(0, 49152, (2, 64), generator=torch.Generator().manual_seed(1))
    labels = ids.clone()
    labels[:, :48] = -100  # a 48-token prompt, a 16-token completion
    labels[1, 60:] = -100  # the second completion is shorter (padding)
    rows: list[int] = []
    apply = trl_scoring._ChunkedLogProbFunction.apply

    def counting(hidden, *args):  # type: ignore[no-untyped-def]
        rows.append(hidden.shape[0])
        return apply(hidden, *args)

    monkeypatch.setattr(trl_scoring._ChunkedLogProbFunction, "apply", counting)

    def scored(model):  # type: ignore[no-untyped-def]
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels,
                    fused_lm_head=True)
        (out.log_probs.sum() + out.entropy.sum()).backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        return out.log_probs.detach(), out.entropy.detach(), grads

    torch.manual_seed(0)
    reference = tiny_lora(checkpointing=False)
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    before = scored(reference)
    memory.score_labelled_positions_only()
    memory.score_labelled_positions_only()  # idempotent
    model = tiny_lora(checkpointing=False)
    model.load_state_dict(state)
    after = scored(model)

    assert rows == [2 * 63, 16 + 12]  # every position before, the labelled ones after
    torch.testing.assert_close(after[0], before[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(after[1], before[1], rtol=1e-5, atol=1e-6)
    assert (after[0][:, :47] == 0).all() and (after[0][1, 59:] == 0).all()
    assert before[2].keys() == after[2].keys() and before[2]
    for name, grad in before[2].items():
        torch.testing.assert_close(after[2][name], grad, rtol=1e-4, atol=1e-7)


def test_checkpointing_every_other_layer_trains_the_same_and_keeps_half(
        compose_config, tmp_path, monkeypatch, booking_dir):
    """``activation_checkpointing_kwargs.every_n_layers`` (what the Booking world's SFT uses:
    ~1.2x less CPU than every layer, ~2.8 of 4.2 GB saved, benchmarks/train_memory.py)
    checkpoints every other decoder layer and gives the loss of checkpointing every layer."""
    from orchestrl.plugins.training import model as model_module
    from orchestrl.plugins.training import sft

    booking = compose_config("world=booking")
    every = booking.run.sft.args.activation_checkpointing_kwargs.every_n_layers
    assert every == 2
    models = []
    original = model_module.load_for_training

    def remember(cfg):
        model, tokenizer = original(cfg)
        models.append(model)
        return model, tokenizer

    monkeypatch.setattr(sft, "load_for_training", remember)
    losses = []
    for n, extra in enumerate(([], [f"+trainer.args.activation_checkpointing_kwargs."
                                    f"every_n_layers={every}"])):
        torch.manual_seed(0)
        cfg = compose_config("trainer=sft", "world=booking", f"data_dir={booking_dir}",
                             "policy.model=tiny", "cache=memory", "trainer.data.limit=2",
                             "trainer.data.holdout=1", f"trainer.output_dir={tmp_path / str(n)}",
                             "trainer.args.max_steps=1", "trainer.args.save_steps=100", *extra)
        losses.append(sft.train_sft(cfg)["train_loss"])
    flags = [[layer.gradient_checkpointing for layer in m.model.layers] for m in models]
    assert all(flags[0]) and len(flags[0]) >= 2
    assert flags[1] == [i % every == 0 for i in range(len(flags[1]))]
    assert losses[1] == losses[0]
