from dataclasses import dataclass

import pytest
from hydra.core.config_store import ConfigStore

from orchestrl.api import RewardTerm, Sampler, Task, Trajectory
from orchestrl.errors import PluginError, UnknownComponentError
from orchestrl.registry import KINDS, Registry, RewardTermConfig


class Constant(RewardTerm):
    def __init__(self, value: float = 1.0) -> None:
        self.value = value

    def score(self, trajectory: Trajectory, task: Task) -> float:
        return self.value


@dataclass
class ConstantConfig(RewardTermConfig):
    value: float = 1.0


@pytest.fixture
def registry(hydra_state):
    reg = Registry(KINDS["reward_term"], config_store=ConfigStore.instance())
    reg.current_plugin = "plugin-a"
    return reg


def test_add_stores_a_typed_config_with_target(registry):
    registry.add("constant", Constant, config=ConstantConfig)
    node = ConfigStore.instance().load("reward_term/constant.yaml").node
    assert node._target_ == f"{__name__}.Constant"
    assert node.value == 1.0 and node.weight == 1.0
    with pytest.raises(Exception, match="could not be converted"):
        node.value = "not a number"


def test_rejects_a_class_of_another_kind(registry):
    class NotATerm(Sampler):
        def sample(self, n, *, seed):
            return iter(())

    with pytest.raises(PluginError, match="plugin-a.*not a subclass of RewardTerm"):
        registry.add("wrong", NotATerm, config=ConstantConfig)


def test_reward_term_config_must_carry_a_weight(registry):
    @dataclass
    class NoWeight:
        value: float = 1.0

    with pytest.raises(PluginError, match="RewardTermConfig"):
        registry.add("constant", Constant, config=NoWeight)


def test_duplicate_names_both_plugins(registry):
    registry.add("constant", Constant, config=ConstantConfig)
    registry.current_plugin = "plugin-b"
    with pytest.raises(PluginError) as info:
        registry.add("constant", Constant, config=ConstantConfig)
    assert "'plugin-a'" in str(info.value) and "'plugin-b'" in str(info.value)


def test_unknown_name_lists_what_is_available(registry):
    registry.add("constant", Constant, config=ConstantConfig)
    expected = "unknown reward term 'constnt'; available: constant"
    with pytest.raises(UnknownComponentError, match=expected):
        registry.get("constnt")


def test_names_must_be_identifiers(registry):
    with pytest.raises(PluginError, match="not a valid identifier"):
        registry.add("bad name", Constant, config=ConstantConfig)
