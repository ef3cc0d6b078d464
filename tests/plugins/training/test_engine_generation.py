"""GRPO's rollouts on the llama.cpp engine: the served weights are the trained ones with LoRA
added, each step re-exports them once, requests carry TRL's sampling and distinct seeds, and the
trainer's tool loop takes its completions from the engine. A stand-in server answers where no
llama.cpp is needed; the real-server check skips without the engine extra."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestrl.errors import ConfigError, OrchestrlError
from orchestrl.plugins.policies.llama_server import find_server_binary
from orchestrl.plugins.training import engine_generation
from orchestrl.plugins.training.engine_generation import (
    EngineGeneration,
    Sampling,
    merged_weights,
    request_seed,
    sampling_of,
)

SAMPLING = Sampling(max_new_tokens=5, temperature=1.0, top_p=0.9, top_k=0, min_p=0.0,
                    repetition_penalty=1.0, seed=7)

# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")


def engine_binary() -> str | None:
    try:
        return str(find_server_binary())
    except ConfigError:
        return None


def tiny_lora(seed: int = 0):  # type: ignore[no-untyped-def]
    import torch
    from peft import LoraConfig, get_peft_model

    from orchestrl.plugins.policies.models import load_model

    torch.manual_seed(seed)
    return get_peft_model(load_model("tiny"), LoraConfig(
        r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False))


def test_merged_weights_are_peft_merge_and_leave_the_trained_model_alone():
    import copy

    import numpy as np

    model = tiny_lora()
    before = {k: v.clone() for k, v in model.get_base_model().state_dict().items()}
    weights = merged_weights(model)
    reference = copy.deepcopy(model).merge_and_unload().state_dict()
    assert set(weights) == set(reference)
    for name, tensor in reference.items():
        np.testing.assert_array_equal(weights[name], tensor.float().numpy(), err_msg=name)
    assert any(not np.array_equal(weights[n], before[n.replace(".weight", ".base_layer.weight")])
               for n in weights if n.replace(".weight", ".base_layer.weight") in before)
    for name, tensor in model.get_base_model().state_dict().items():  # nothing merged in
        assert tensor.equal(before[name]), name


def test_sampling_comes_from_the_grpo_config():
    from trl import GRPOConfig

    args = GRPOConfig(output_dir="unused", max_completion_length=33, temperature=0.7,
                      top_p=0.8, top_k=12, min_p=0.05, repetition_penalty=1.1, seed=3,
                      report_to="none", activation_checkpointing=True, bf16=False)
    sampling = sampling_of(args)
    assert sampling == Sampling(max_new_tokens=33, temperature=0.7, top_p=0.8, top_k=12,
                                min_p=0.05, repetition_penalty=1.1, seed=3)
    body = sampling.request([1, 2], 10, seed=5)
    assert body["n_predict"] == 10 and body["top_k"] == 12 and body["repeat_penalty"] == 1.1
    assert body["repeat_last_n"] == 12  # the whole sequence, as transformers penalises
    assert SAMPLING.request([1, 2], 10, seed=5)["repeat_last_n"] == 0  # no penalty: off
    args.generation_kwargs = {"num_beams": 2}
    with pytest.raises(ConfigError, match="generation_kwargs"):
        sampling_of(args)


def test_seeds_differ_across_steps_calls_and_completions():
    seeds = {request_seed(0, step, call, index)
             for step in range(3) for call in range(3) for index in range(4)}
    assert len(seeds) == 36
    assert request_seed(1, 0, 0, 0) != request_seed(0, 0, 0, 0)
    assert request_seed(0, 2, 1, 3) == request_seed(0, 2, 1, 3)


def test_bad_options_fail_before_anything_starts(fake_binary):
    with pytest.raises(ConfigError, match="gguf_type"):
        EngineGeneration("smollm2", SAMPLING, gguf_type="source", binary=fake_binary)
    with pytest.raises(ConfigError, match="ctx_per_slot"):
        EngineGeneration("smollm2", SAMPLING, ctx_per_slot=5, binary=fake_binary)
    with pytest.raises(ConfigError, match="GGUF base model"):
        EngineGeneration("tiny", SAMPLING, binary=fake_binary)


def test_one_export_per_step_prompts_in_order_with_their_own_seeds(fake_binary, monkeypatch):
    written: list[Path] = []

    def write_like(source, weights, target, gguf_type):  # type: ignore[no-untyped-def]
        assert gguf_type == "q8_0" and "lm_head.weight" in weights
        target.write_bytes(b"gguf")
        written.append(target)

    monkeypatch.setattr(engine_generation, "write_like", write_like)
    engine = EngineGeneration("smollm2", SAMPLING, parallel=2, ctx_per_slot=64,
                              binary=fake_binary)
    model = tiny_lora()
    try:
        with pytest.raises(OrchestrlError, match="before it was given weights"):
            engine.generate([[1, 2]])
        assert engine.refresh(model, 0) and not engine.refresh(model, 0)
        out = engine.generate([[5, 6], [7, 8, 9], [4]])
        assert out == [[6] * 5, [9] * 5, [4] * 5]  # the stand-in repeats the last prompt token
        assert engine.refresh(model, 1) and engine.exports == 2
        assert not written[0].exists() and written[1].exists()  # the old step's file is gone
        with pytest.raises(OrchestrlError, match="ctx_per_slot=64"):
            engine.generate([list(range(64))])
        assert engine.generate([list(range(62))]) == [[61] * 2]  # what fits the slot
    finally:
        engine.close()
    assert engine.server is None and not written[1].exists()


def test_requests_carry_the_sampling_and_distinct_seeds(fake_binary, monkeypatch):
    monkeypatch.setattr(engine_generation, "write_like",
                        lambda source, weights, target, kind: target.write_bytes(b"gguf"))
    sent: list[dict] = []
    real_post = engine_generation.post_json

    def post_json(url, body, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(body)
        return real_post(url, body, **kwargs)

    monkeypatch.setattr(engine_generation, "post_json", post_json)
    engine = EngineGeneration("smollm2", SAMPLING, binary=fake_binary)
    try:
        engine.refresh(tiny_lora(), 4)
        engine.generate([[1, 2], [1, 2]])   # a group: the same prompt twice
        engine.generate([[1, 2, 3]])        # a later tool round of the same step
    finally:
        engine.close()
    assert len({body["seed"] for body in sent}) == 3
    assert all(body["temperature"] == 1.0 and body["top_p"] == 0.9 and body["cache_prompt"]
               for body in sent)


class RecordingEngine:
    """Stands in for :class:`EngineGeneration` inside a real TRL run: answers every prompt with
    one Booking tool call and records the weights' steps it was refreshed with."""

    def __init__(self, tokenizer) -> None:  # type: ignore[no-untyped-def]
        call = {"name": "Search_Car_Location", "arguments": {"query": "Paris"}}
        text = f"<tool_call>\n{json.dumps(call)}\n</tool_call>"
        self.tokens = [*tokenizer(text, add_special_tokens=False)["input_ids"],
                       tokenizer.eos_token_id]
        self.steps: list[int] = []
        self.prompts = 0
        self.gguf_type = "q8_0"
        self.closed = False

    def refresh(self, model, step: int) -> bool:  # type: ignore[no-untyped-def]
        if self.steps and self.steps[-1] == step:
            return False
        self.steps.append(step)
        return True

    def generate(self, prompts: list[list[int]]) -> list[list[int]]:
        self.prompts += len(prompts)
        return [list(self.tokens) for _ in prompts]

    def close(self) -> None:
        self.closed = True


def test_grpo_takes_every_rollout_turn_from_the_engine(tmp_path, booking_dir, monkeypatch):
    from orchestrl.config import compose
    from orchestrl.plugins.policies.models import load_tokenizer
    from orchestrl.plugins.training import grpo

    fake = RecordingEngine(load_tokenizer("tiny"))
    monkeypatch.setattr(grpo, "generation_engine", lambda cfg, args: fake)
    cfg = compose(["world=booking", "trainer=grpo", "policy.model=tiny", "cache=memory",
                   f"data_dir={booking_dir}", f"trainer.output_dir={tmp_path}",
                   "trainer.data.limit=4", "trainer.data.holdout=2", "trainer.args.max_steps=2",
                   "trainer.args.per_device_train_batch_size=2", "trainer.args.num_generations=2",
                   "trainer.args.max_completion_length=1024",
                   "trainer.max_tool_calling_iterations=2", "trainer.args.save_steps=100"])
    summary = grpo.train_grpo(cfg)
    assert summary["steps"] == 2 and fake.steps == [0, 1] and fake.closed
    # each step: 2 rollouts' first turns, then (the call answered) 2 more turns each
    assert fake.prompts == 2 * (2 + 2 * 2)
    assert summary["generation"] == "llamacpp (q8_0)"


def test_a_bad_engine_name_is_a_config_error(tmp_path, booking_dir):
    from orchestrl.config import compose
    from orchestrl.plugins.training import grpo

    cfg = compose(["world=booking", "trainer=grpo", "policy.model=tiny", f"data_dir={booking_dir}",
                   "trainer.generation.engine=vllm"])
    with pytest.raises(ConfigError, match="trainer.generation.engine must be one of"):
        grpo.generation_engine(cfg, SimpleNamespace())


@pytest.mark.skipif(engine_binary() is None,
                    reason="llama.cpp's llama-server is not installed (the engine extra)")
@pytest.mark.slow
def test_the_real_server_greedily_continues_as_the_trained_weights_do():
    """SmolLM2 with a random LoRA, exported as f32 and served: greedy tokens equal the PEFT
    model's own greedy generation."""
    import torch
    from peft import LoraConfig, get_peft_model

    from orchestrl.plugins.policies.models import load_model, load_tokenizer

    torch.manual_seed(0)
    model = get_peft_model(load_model("smollm2"), LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
        init_lora_weights=False))
    tokenizer = load_tokenizer("smollm2")
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Name a city."}],
                                           add_generation_prompt=True, tokenize=True,
                                           return_dict=False)
    greedy = Sampling(max_new_tokens=12, temperature=0.0, top_p=1.0, top_k=0, min_p=0.0,
                      repetition_penalty=1.0, seed=0)
    engine = EngineGeneration("smollm2", greedy, gguf_type="f32", parallel=1, ctx_per_slot=512)
    try:
        engine.refresh(model, 0)
        served = engine.generate([prompt])[0]
    finally:
        engine.close()
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=12, do_sample=False)
    expected = out[0, len(prompt):].tolist()
    assert served == expected


def test_auto_falls_back_to_transformers_where_the_engine_cannot_serve(booking_dir, capsys,
                                                                        fake_binary, monkeypatch):
    from orchestrl.config import compose
    from orchestrl.plugins.training import grpo

    monkeypatch.setattr(grpo, "find_server_binary", lambda binary=None: fake_binary)
    tiny = compose(["world=booking", "trainer=grpo", "policy.model=tiny",
                    f"data_dir={booking_dir}", "trainer.generation.engine=auto"])
    assert grpo.generation_engine(tiny, SimpleNamespace()) is None  # no GGUF of a tiny model
    assert "generating with transformers" in capsys.readouterr().err

    def missing(binary=None):  # type: ignore[no-untyped-def]
        raise ConfigError("llama.cpp's llama-server is not installed")

    monkeypatch.setattr(grpo, "find_server_binary", missing)
    smol = compose(["world=booking", "trainer=grpo", f"data_dir={booking_dir}",
                    "trainer.generation.engine=auto"])
    assert grpo.generation_engine(smol, SimpleNamespace()) is None
    assert "not installed" in capsys.readouterr().err
    monkeypatch.setattr(engine_generation, "find_server_binary", missing)
    explicit = compose(["world=booking", "trainer=grpo", f"data_dir={booking_dir}",
                        "trainer.generation.engine=llamacpp"])
    with pytest.raises(ConfigError, match="not installed"):
        grpo.generation_engine(explicit, SimpleNamespace(generation_kwargs=None,
                                                         max_completion_length=8,
                                                         temperature=1.0, top_p=1.0, top_k=0,
                                                         min_p=None, repetition_penalty=1.0,
                                                         seed=0))
