"""The transformers policy: built from config, and robust rollouts with a random tiny model."""

from __future__ import annotations

import pytest

from orchestrl.build import build
from orchestrl.plugins.policies.transformers_policy import TransformersPolicy
from orchestrl.plugins.rollout.driver import rollout
from orchestrl.plugins.rollout.engine import RolloutLimits


@pytest.fixture(scope="module")
def tiny_policy() -> TransformersPolicy:
    return TransformersPolicy(model="tiny", max_new_tokens=24)


def test_every_policy_config_composes_and_builds(plugin_host, compose_config, tmp_path):
    assert {"transformers", "openai", "scripted"} <= set(plugin_host.registry("policy").names())
    cfg = compose_config("policy=transformers", "policy.model=tiny", "policy.max_new_tokens=4")
    policy = build(cfg.policy)
    assert isinstance(policy, TransformersPolicy) and policy.max_new_tokens == 4
    assert type(build(compose_config("policy=scripted", "policy.unparsable=0.5").policy)).__name__ \
        == "ScriptedPolicy"
    assert build(compose_config("policy=openai").policy).url.endswith("/v1/chat/completions")


def test_a_random_model_rollout_ends_within_its_limits(tiny_policy, train_tasks, make_env,
                                                       graduated):
    task = train_tasks[0]
    limits = RolloutLimits(max_turns=2, token_budget=1_000, tool_description_chars=0)
    trajectory = rollout(tiny_policy, make_env(), task, limits)
    assert trajectory.stop_reason in {"answer", "max_turns", "token_budget"}
    assert 0.0 <= graduated.score(trajectory, task) <= 1.0


def test_greedy_decoding_is_deterministic_and_counts_tokens(tiny_policy, train_tasks):
    messages = [{"role": "user", "content": train_tasks[0].query}]
    first = tiny_policy.act(messages, [])
    assert first == tiny_policy.act(messages, [])
    assert 0 < tiny_policy.count_tokens(first.text or "x") <= 24 + 1


def test_a_context_that_cannot_hold_the_prompt_ends_the_rollout(train_tasks, make_env):
    policy = TransformersPolicy(model="tiny", max_new_tokens=8)
    policy.context_tokens = 50
    trajectory = rollout(policy, make_env(), train_tasks[0])
    assert trajectory.stop_reason == "token_budget" and trajectory.calls == []


# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` alias.
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
def test_an_adapter_is_applied(tmp_path, train_tasks):
    from peft import LoraConfig, get_peft_model

    from orchestrl.plugins.policies.models import load_model

    model = get_peft_model(load_model("tiny"), LoraConfig(r=2, target_modules="all-linear",
                                                           task_type="CAUSAL_LM"))
    model.save_pretrained(tmp_path / "adapter")
    policy = TransformersPolicy(model="tiny", adapter=str(tmp_path / "adapter"), max_new_tokens=4)
    assert type(policy.model).__name__ == "PeftModelForCausalLM"
    assert isinstance(policy.act([{"role": "user", "content": "hi"}], []).text, str)


def test_the_prefix_cache_reuses_earlier_turns_without_changing_greedy_outputs(train_tasks):
    cached = TransformersPolicy(model="tiny", max_new_tokens=12)
    plain = TransformersPolicy(model="tiny", max_new_tokens=12, prefix_cache=False)
    tools = [{"type": "function", "function": {"name": "search", "parameters": {
        "type": "object", "properties": {"query": {"type": "string"}}}}}]
    for task in train_tasks[:3]:
        messages: list[dict] = [{"role": "system", "content": "Use the tools."},
                                {"role": "user", "content": task.query}]
        for turn in range(3):
            before = cached.reused_tokens
            out = cached.act(messages, tools)
            assert out == plain.act(messages, tools)
            if turn:
                assert cached.reused_tokens - before > 20  # the earlier turns were not prefilled
            messages += [{"role": "assistant", "content": out.text or "ok"},
                         {"role": "user", "content": f"go on ({turn})"}]
    assert plain.reused_tokens == 0


def test_a_policy_around_a_model_in_training_does_not_reuse_its_cache():
    from orchestrl.plugins.policies.models import load_model, load_tokenizer

    policy = TransformersPolicy.from_loaded(load_model("tiny"), load_tokenizer("tiny"),
                                            max_new_tokens=4)
    messages = [{"role": "user", "content": "hello"}]
    policy.act(messages, [])
    policy.act([*messages, {"role": "assistant", "content": "hi"},
                {"role": "user", "content": "again"}], [])
    assert policy.reused_tokens == 0
