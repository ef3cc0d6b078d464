"""Building components from composed config nodes.

Hydra builds each component from its ``_target_`` node; runtime dependencies (the cache, the
environment) are passed as keyword arguments, never through config. Reward terms are built
without their ``weight``, which belongs to the combination, not to the term.
"""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from orchestrl.api import RewardTerm, World
from orchestrl.errors import ConfigError
from orchestrl.signature import keyword_parameters, swallows_extras


def build(node: DictConfig, **runtime: Any) -> Any:
    """Instantiate one component node, passing runtime dependencies it declares as kwargs.

    A runtime dependency is passed only when the component's constructor accepts it: by name
    (its own, or a base class's it forwards ``**kwargs`` to) or through ``**_``, so components
    need not declare what they do not use.
    """
    if "_target_" not in node:
        raise ConfigError(f"config node {OmegaConf.to_container(node)!r} names no component")
    from hydra.utils import get_class

    try:
        cls = get_class(node._target_)
    except Exception as exc:
        raise ConfigError(f"cannot import component '{node._target_}': {exc}") from None
    # what the constructor accepts, following **kwargs to its base classes (as config
    # derivation does): a sampler forwarding **kwargs must not be handed extras its base rejects
    accepted = {p.name for p, _ in keyword_parameters(cls)}
    takes_all = swallows_extras(cls)
    kwargs = {k: v for k, v in runtime.items() if takes_all or k in accepted}
    try:
        return instantiate(node, **kwargs, _convert_="all")
    except Exception as exc:
        cause = exc.__cause__ or exc
        raise ConfigError(f"cannot build '{node._target_}': {cause}") from None


def build_reward_terms(reward: DictConfig) -> dict[str, tuple[RewardTerm, float]]:
    """Build every term under ``reward.terms``; return ``{name: (term, weight)}`` in order."""
    terms: dict[str, tuple[RewardTerm, float]] = {}
    for name, node in (reward.get("terms") or {}).items():
        params = OmegaConf.to_container(node, resolve=True)
        assert isinstance(params, dict)
        weight = float(params.pop("weight", 1.0))
        if weight < 0:
            raise ConfigError(f"reward term '{name}' has negative weight {weight}")
        terms[str(name)] = (build(OmegaConf.create(params)), weight)
    if not terms:
        raise ConfigError("the reward config has no terms")
    return terms


def build_world(cfg: DictConfig) -> World:
    """The world the composed config chooses (its ``world`` node).

    ``world=<name>`` selects the world's YAML config, whose typed ``world`` node names the
    registered :class:`~orchestrl.api.World`; a config without one is a ConfigError. Worlds
    read nothing when built, so this is cheap to call wherever the world is needed.
    """
    node = cfg.get("world")
    if node is None or "_target_" not in node:
        raise ConfigError("the config chooses no world; add world=booking or world=bfcl")
    world = build(node)
    if not isinstance(world, World):
        raise ConfigError(f"world node '{node._target_}' is not a World")
    return world
