"""Typed schemas of the shipped config's own nodes: ``env``, ``trainer`` (and ``run.sft`` /
``run.grpo``), ``synth`` and ``study``.

Hydra merges each schema under its node before the YAML values (``conf/config.yaml`` names
``/schema/env@env`` and ``/schema/synth@synth`` first; ``conf/trainer/*.yaml`` name
``/schema/<trainer>@_here_``), so a wrongly typed override (``env.max_response_chars=abc``,
``trainer.rollout.max_turns=abc``, ``synth.n=abc``) or a misspelled key fails when the command
line is composed, before anything runs, and the CLI prints it as one line.

Defaults live in one place: a field the YAML sets is ``MISSING`` here (the YAML holds its value
and comment); a field the YAML leaves out is optional, and ``MISSING`` means "the consumer's
default" (``trainer.rollout.token_budget`` -> :class:`RolloutLimits`'s). ``trainer.args`` stays
an open dict: it is handed to TRL's ``SFTConfig``/``GRPOConfig``, which checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from orchestrl.errors import ConfigError

GROUP = "schema"


@dataclass
class EnvNode:
    """``env``: the tool environment over the response cache."""

    miss_policy: str = MISSING
    max_response_chars: int | None = MISSING
    max_argument_chars: int | None = None  # None: the environment's default
    live: Any = None  # options of the live miss policy


@dataclass
class SynthNode:
    """``synth``: how many tasks ``orchestrl synth`` draws, where they go, overlap check."""

    n: int = MISSING
    output: str = MISSING
    overlap_with: str | None = MISSING


@dataclass
class TrainerDataNode:
    """``trainer.data``: where training tasks come from and how many are held out."""

    train_file: str = MISSING
    tasks_file: str | None = MISSING
    holdout: int = MISSING
    limit: int | None = MISSING


@dataclass
class RolloutNode:
    """``trainer.rollout``: the rollout engine's limits (unset fields: the engine's defaults)."""

    max_turns: int = MISSING
    max_calls_per_turn: int = MISSING
    response_chars: int | None = MISSING
    tool_description_chars: int | None = MISSING
    token_budget: int | None = MISSING
    system_prompt: str | None = MISSING


@dataclass
class LoraNode:
    """``trainer.lora``: the LoRA adapter (PEFT ``LoraConfig`` fields)."""

    enabled: bool = MISSING
    r: int = MISSING
    lora_alpha: int = MISSING
    lora_dropout: float = MISSING
    target_modules: Any = MISSING


@dataclass
class TrainerNode:
    """``trainer`` for SFT; ``args`` is passed to TRL as is."""

    name: str = MISSING
    output_dir: str | None = MISSING
    resume: str = MISSING
    init_from: str | None = MISSING
    dtype: str = MISSING
    data: TrainerDataNode = field(default_factory=TrainerDataNode)
    rollout: RolloutNode = field(default_factory=RolloutNode)
    lora: LoraNode = field(default_factory=LoraNode)
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenerationNode:
    """``trainer.generation``: what samples GRPO's rollouts
    (:mod:`orchestrl.plugins.training.engine_generation`)."""

    engine: str = MISSING
    gguf_type: str = MISSING
    parallel: int = MISSING
    ctx_per_slot: int = MISSING
    threads: int = MISSING


@dataclass
class GRPOTrainerNode(TrainerNode):
    """``trainer`` for GRPO: SFT's fields plus the tool rounds, the zero-variance warning, the
    shared-prompt packing of the log-prob forwards and the generation engine."""

    max_tool_calling_iterations: int = MISSING
    zero_std_warn: float = MISSING
    shared_prompt: bool = MISSING
    generation: GenerationNode = field(default_factory=GenerationNode)


@dataclass
class SplitNode:
    """``run.heldout.split``: the template split (:mod:`orchestrl.plugins.synthesis.split`)."""

    seed: int = MISSING
    heldout_share: float = MISSING
    per_template: int = MISSING
    min_steps: int = MISSING
    max_steps: int = MISSING


@dataclass
class HeldoutNode:
    """``run.heldout``: grounded held-out tasks from held-out templates
    (:mod:`orchestrl.plugins.pipeline.heldout`), the evaluation set of ``orchestrl run`` and of
    the study in a template world."""

    split: SplitNode = field(default_factory=SplitNode)
    tasks: int = MISSING


@dataclass
class StudyEvalNode:
    """``study.eval``: items of each evaluation (0: all)."""

    heldout_limit: int = MISSING
    eval80_limit: int = MISSING
    first: str = "heldout"  # the set evaluated first: a second job started with the other
    # one evaluates in parallel, sharing every stage through the artifact store's locks


@dataclass
class StudyNode:
    """``study`` (``experiment=study``): the paper's method and reward ablation as one job."""

    arms: list[str] = MISSING
    seeds: list[int] = MISSING
    eval: StudyEvalNode = field(default_factory=StudyEvalNode)
    resamples: int = MISSING


SCHEMAS: dict[str, type] = {"env": EnvNode, "synth": SynthNode, "sft": TrainerNode,
                            "grpo": GRPOTrainerNode, "heldout": HeldoutNode,
                            "study": StudyNode}
"""Schema name (under the ConfigStore group ``schema``) -> dataclass."""


def store_schemas(store: ConfigStore | None = None) -> None:
    """Put every schema in the ConfigStore (``schema/<name>``); idempotent."""
    store = store if store is not None else ConfigStore.instance()
    for name, node in SCHEMAS.items():
        store.store(group=GROUP, name=name, node=node, provider="orchestrl")


ROOT_TYPES: dict[str, tuple[type, str]] = {"seed": (int, "an integer")}
"""Top-level scalars and their types: the primary config stays an open dict (plugins and worlds
add keys to it), so these are checked after composition by :func:`check_root`."""


def check_root(cfg: Any) -> None:
    """Raise ConfigError (one line naming the key) when a top-level scalar has the wrong type."""

    for key, (kind, words) in ROOT_TYPES.items():
        value = cfg.get(key) if key in cfg else None
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            raise ConfigError(f"{key} must be {words}, got {value!r}")


def given(node: Any) -> dict[str, Any]:
    """The keys of a config node that have a value (``MISSING`` ones left out), as a dict."""
    from omegaconf import DictConfig, OmegaConf

    if node is None:
        return {}
    if isinstance(node, DictConfig):
        return {str(k): node[k] for k in node if not OmegaConf.is_missing(node, k)}
    return {k: v for k, v in dict(node).items() if v != "???"}
