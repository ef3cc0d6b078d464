"""Configs derived from constructor signatures: one place for every default."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import ValidationError

from orchestrl.api import RewardTerm, Sampler, Task, Trajectory
from orchestrl.errors import PluginError
from orchestrl.host import BUILTIN_PLUGINS
from orchestrl.registry import KINDS, Registry, RewardTermConfig
from orchestrl.signature import DERIVED, signature_config


class Component(Sampler):
    def __init__(self, *, data_dir: str, n: int = 3, rate: float | None = None,
                 names: tuple[str, ...] = ("a",), options: Any = None,
                 cache: Any = None, env: Any = None, **_: Any) -> None:
        self.data_dir, self.n, self.names = data_dir, n, names

    def sample(self, n: int, *, seed: int):  # pragma: no cover - never sampled
        yield from ()


def test_fields_types_and_defaults_come_from_the_signature() -> None:
    config = signature_config(Component, exclude=frozenset({"cache", "env"}),
                              bind={"data_dir": "${data_dir}"})
    fields = {f.name: f for f in dataclasses.fields(config)}
    assert list(fields) == ["data_dir", "n", "rate", "names", "options"]
    node = OmegaConf.structured(config)
    assert OmegaConf.to_container(node)["data_dir"] == "${data_dir}"  # resolved at compose time
    assert node.n == 3 and node.rate is None
    assert list(node.names) == ["a"]
    with pytest.raises(ValidationError):
        node.n = "abc"
    node.rate = 0.5
    with pytest.raises(ValidationError):
        node.rate = "fast"
    assert getattr(config, DERIVED) is True


def test_a_parameter_without_default_is_required_and_bind_must_name_parameters() -> None:
    node = OmegaConf.structured(signature_config(Component, exclude=frozenset({"cache", "env"})))
    assert OmegaConf.is_missing(node, "data_dir")
    with pytest.raises(TypeError, match="no parameter nope"):
        signature_config(Component, bind={"nope": 1})


class Term(RewardTerm):
    def __init__(self, limit: int = 7) -> None:
        self.limit = limit

    def score(self, trajectory: Trajectory, task: Task) -> float:
        return 1.0


def test_the_registry_derives_configs_and_reward_terms_keep_their_weight() -> None:
    registry = Registry(KINDS["reward_term"])
    registry.add("term", Term)
    config = registry.get("term").config
    assert issubclass(config, RewardTermConfig)
    assert {f.name: f.default for f in dataclasses.fields(config)} == {"weight": 1.0, "limit": 7}
    with pytest.raises(PluginError, match="no parameter"):
        registry.add("other", Term, bind={"missing": 1})


def test_no_built_in_component_writes_its_defaults_twice(plugin_host) -> None:
    repeated = [
        f"{kind}:{component.name}"
        for kind, registry in plugin_host.registries.items()
        for component in registry
        if component.plugin in BUILTIN_PLUGINS and not getattr(component.config, DERIVED, False)
    ]
    assert not repeated, f"built-ins with a hand-written config class: {repeated}"


class Shared(Sampler):
    def __init__(self, *, data_dir: str, templates: str = "shipped", verify: bool = True,
                 cache: Any = None, env: Any = None) -> None:
        self.data_dir, self.templates, self.verify = data_dir, templates, verify

    def sample(self, n: int, *, seed: int):  # pragma: no cover - never sampled
        yield from ()


class Middle(Shared):
    def __init__(self, *, budget: int = 10, verify: bool = False, **kwargs: Any) -> None:
        super().__init__(verify=verify, **kwargs)
        self.budget = budget


class Leaf(Middle):
    def __init__(self, *, rate: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate


class Closed(Shared):
    """Swallows runtime extras without handing them on: the base's options are not its own."""

    def __init__(self, *, limit: int = 1, **_: Any) -> None:
        super().__init__(data_dir="fixed")


def test_kwargs_lead_to_the_base_class_signature() -> None:
    config = signature_config(Leaf, exclude=frozenset({"cache", "env"}),
                              bind={"data_dir": "${data_dir}"})
    fields = {f.name: f for f in dataclasses.fields(config)}
    # base classes' fields first, as dataclass inheritance orders them
    assert list(fields) == ["data_dir", "templates", "verify", "budget", "rate"]
    assert fields["templates"].default == "shipped" and fields["budget"].default == 10
    assert fields["verify"].default is False  # a subclass's own default wins
    node = OmegaConf.structured(config)
    with pytest.raises(ValidationError):
        node.budget = "abc"
    with pytest.raises(ValidationError):
        node.templates = [1]
    built = Leaf(**{k: v for k, v in OmegaConf.to_container(node).items()
                    if k != "data_dir"}, data_dir="d")
    assert (built.templates, built.verify, built.budget, built.rate) == ("shipped", False, 10, 0.5)


def test_a_constructor_that_does_not_forward_kwargs_to_a_base_stops_the_walk() -> None:
    assert [f.name for f in dataclasses.fields(signature_config(Closed))] == ["limit"]
    assert [f.name for f in dataclasses.fields(signature_config(Component))] == [
        "data_dir", "n", "rate", "names", "options", "cache", "env"]


def test_bind_reaches_parameters_of_the_base_class() -> None:
    config = signature_config(Leaf, bind={"templates": "mined"})
    assert {f.name: f.default for f in dataclasses.fields(config)}["templates"] == "mined"
    with pytest.raises(TypeError, match="no parameter"):
        signature_config(Leaf, bind={"missing": 1})


def _own_defaults(cls: type) -> dict[str, Any]:
    """The keyword parameters ``cls``'s own ``__init__`` declares, with their defaults."""
    init = vars(cls).get("__init__")
    if init is None:
        return {}
    return {p.name: p.default for p in inspect.signature(init).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _shared_bases(cls: type, kind_base: type) -> list[type]:
    """The classes above ``cls`` that its kind's abstract type does not already stand for."""
    return [k for k in cls.__mro__[1:] if k is not object and not issubclass(kind_base, k)
            and k is not kind_base]


def _same(first: Any, second: Any) -> bool:
    """Whether two defaults are the same written value (a required parameter has none)."""
    empty = inspect.Parameter.empty
    return first is not empty and second is not empty and type(first) is type(second) \
        and first == second


def repeated_defaults(classes: list[type], kind_base: type) -> list[str]:
    """Every option whose default is written twice with the same value: by a class and one of
    its bases, or by two classes under a common base (siblings), which should declare it once.
    A subclass that declares a base's option with another default overrides it (not a repeat).
    """
    found = []
    for cls in classes:
        own = _own_defaults(cls)
        for base in _shared_bases(cls, kind_base):
            theirs = _own_defaults(base)
            for name in sorted(own.keys() & theirs.keys()):
                if _same(own[name], theirs[name]):
                    found.append(f"{cls.__qualname__} repeats {base.__qualname__}'s "
                                 f"'{name}' = {own[name]!r}")
    for i, first in enumerate(classes):
        for second in classes[i + 1:]:
            common = set(_shared_bases(first, kind_base)) & set(_shared_bases(second, kind_base))
            if not common:
                continue
            mine, theirs = _own_defaults(first), _own_defaults(second)
            for name in sorted(mine.keys() & theirs.keys()):
                if _same(mine[name], theirs[name]):
                    found.append(f"{first.__qualname__} and {second.__qualname__} both declare "
                                 f"'{name}' = {mine[name]!r}")
    return found


def test_no_default_is_written_twice_across_a_class_its_bases_and_siblings(plugin_host) -> None:
    problems = []
    for kind, registry in plugin_host.registries.items():
        classes = list(dict.fromkeys(component.cls for component in registry))
        problems += repeated_defaults(classes, KINDS[kind].base)
    assert problems == []


class Sibling(Shared):
    def __init__(self, *, budget: int = 10, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class Other(Shared):
    def __init__(self, *, budget: int = 10, templates: str = "shipped", verify: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)


def test_the_repeated_default_check_finds_base_and_sibling_repeats() -> None:
    assert repeated_defaults([Sibling, Other], Sampler) == [
        "Other repeats Shared's 'templates' = 'shipped'",
        "Sibling and Other both declare 'budget' = 10",
    ]
    # Middle overrides Shared's verify with another default; Closed takes no option of Leaf's
    assert repeated_defaults([Middle, Leaf, Closed], Sampler) == []


def test_synthesis_samplers_keep_every_shared_option_in_their_config(plugin_host) -> None:
    from orchestrl.plugins.synthesis.base import SynthesisSampler

    shared = set(inspect.signature(SynthesisSampler).parameters)
    samplers = plugin_host.registries["sampler"]
    for name in ("constrained", "unconstrained"):
        fields = {f.name for f in dataclasses.fields(samplers.get(name).config)}
        assert shared - {"cache", "env"} <= fields


def test_build_hands_a_forwarding_constructor_only_what_its_base_accepts() -> None:
    from omegaconf import OmegaConf

    from orchestrl.build import build
    from orchestrl.signature import swallows_extras

    node = OmegaConf.create({"_target_": f"{__name__}.Forwarding", "extra": 3})
    built = build(node, cache="the cache", output_dir="not accepted")
    assert (built.cache, built.extra) == ("the cache", 3)
    assert not swallows_extras(Forwarding) and swallows_extras(Swallowing)
    assert build(OmegaConf.create({"_target_": f"{__name__}.Swallowing"}),
                 output_dir="ignored").seen == {"output_dir": "ignored"}


class ForwardingBase:
    def __init__(self, *, cache: object = None, level: int = 1) -> None:
        self.cache, self.level = cache, level


class Forwarding(ForwardingBase):
    def __init__(self, *, extra: int = 0, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.extra = extra


class Swallowing:
    def __init__(self, **_: object) -> None:
        self.seen = dict(_)
