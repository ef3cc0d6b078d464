"""Every option of every config group composes, and every component in it instantiates.

Modelled on lightning-hydra-template's tests/test_configs.py. Runtime dependencies that
components receive from the run loop (not from config) are provided by ``runtime``.
"""

from __future__ import annotations

import pytest
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from orchestrl.build import build, build_reward_terms
from orchestrl.config import CONFIG_MODULE
from orchestrl.host import PluginHost

def _primary_defaults() -> set[str]:
    """Groups chosen in the primary defaults list (overridden without a ``+``)."""
    from importlib.resources import files

    import yaml

    text = files(CONFIG_MODULE).joinpath("config.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text).get("defaults", [])
    return {next(iter(e)) for e in entries if isinstance(e, dict)}


PRIMARY_DEFAULTS = _primary_defaults()


def all_options(host: PluginHost) -> list[tuple[str, str]]:
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module=CONFIG_MODULE, version_base=None):
        loader = GlobalHydra.instance().hydra.config_loader
        groups = [g for g in loader.list_groups("") if g != "hydra"]
        options = [(g, o) for g in sorted(groups) for o in loader.get_group_options(g)]
    GlobalHydra.instance().clear()
    return options


@pytest.fixture
def runtime(tmp_path) -> dict:
    """Runtime dependencies handed to components by the run loop."""
    return {"output_dir": tmp_path}


def instantiate_all(cfg: DictConfig, runtime: dict) -> list[str]:
    built = []
    for key, node in cfg.items():
        if key == "reward":
            built += list(build_reward_terms(node))
        elif key == "reward_term":
            built += list(build_reward_terms(DictConfig({"terms": {"term": node}})))
        elif isinstance(node, DictConfig) and "_target_" in node:
            component = build(node, **runtime)
            close = getattr(component, "close", None)
            if callable(close):
                close()
            built.append(str(key))
    return built


def test_every_group_option_composes_and_instantiates(plugin_host, compose_config, runtime):
    options = all_options(plugin_host)
    groups = {g for g, _ in options}
    for kind in plugin_host.registries.values():
        if len(kind):
            assert kind.kind.group in groups
    assert len(options) >= 3
    component_groups = {r.kind.group for r in plugin_host.registries.values()} | {"reward"}
    failures = []
    for group, option in options:
        prefix = "" if group in PRIMARY_DEFAULTS else "+"
        try:
            cfg = compose_config(f"{prefix}{group}={option}")
            built = instantiate_all(cfg, runtime)
            assert built or group not in component_groups, f"{group}={option} built nothing"
        except Exception as exc:  # collect all failures, report together
            failures.append(f"{group}={option}: {exc}")
    assert not failures, "\n".join(failures)
