"""Every option of every config group composes, and the components it selects instantiate.

Modelled on lightning-hydra-template's tests/test_configs.py. Runtime dependencies that
components receive from the run loop (a seeded in-memory response cache, the environment over
it) are real. Options of a component group build that component; ``reward`` presets build all
their terms; experiments build every component they configure.
"""

from __future__ import annotations

from importlib.resources import files

import pytest
import yaml
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from orchestrl.build import build, build_reward_terms
from orchestrl.config import CONFIG_MODULE

# Experiments that name hub models for GPU machines are built with the offline test model; the
# model id itself is checked by composition only (no network, no 16 GB download in CI).
OFFLINE_OVERRIDES = {("experiment", "paper_qwen3_8b"): ["policy.model=tiny"],
                     ("policy", "llamacpp"): ["policy.gguf_type=source", "policy.parallel=1",
                                              "policy.ctx_per_slot=1024"]}
# Options whose component needs llama.cpp's llama-server (the engine extra): composed always,
# built only where it is installed.
ENGINE_OPTIONS = {("policy", "llamacpp")}


def engine_installed() -> bool:
    from orchestrl.errors import ConfigError
    from orchestrl.plugins.policies.llama_server import find_server_binary

    try:
        find_server_binary()
    except ConfigError:
        return False
    return True


def primary_defaults() -> set[str]:
    """Groups chosen in the primary defaults list (overridden without a ``+``)."""
    text = files(CONFIG_MODULE).joinpath("config.yaml").read_text(encoding="utf-8")
    return {next(iter(e)) for e in yaml.safe_load(text)["defaults"] if isinstance(e, dict)}


def all_options() -> list[tuple[str, str]]:
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module=CONFIG_MODULE, version_base=None):
        loader = GlobalHydra.instance().hydra.config_loader
        groups = [g for g in loader.list_groups("") if g != "hydra"]
        options = [(g, o) for g in sorted(groups) for o in loader.get_group_options(g)]
    GlobalHydra.instance().clear()
    return options


@pytest.fixture
def runtime(plugin_host, compose_config, booking_dir, tmp_path) -> dict:
    """Runtime dependencies handed to components by the run loop."""
    from orchestrl.plugins.cache.factory import open_cache
    from orchestrl.plugins.cache.importers import import_booking_dir
    from orchestrl.plugins.env.environment import build_environment

    cfg = compose_config("world=booking", "cache=memory", f"data_dir={booking_dir}")
    cache = open_cache(cfg)
    import_booking_dir(cache, booking_dir)
    return {"cache": cache, "env": build_environment(cfg, cache), "output_dir": tmp_path}


def build_node(key: str, node: DictConfig, runtime: dict) -> list[str]:
    if key == "reward":
        return list(build_reward_terms(node))
    if key == "reward_term":
        return list(build_reward_terms(DictConfig({"terms": {"term": node}})))
    component = build(node, **runtime)
    close = getattr(component, "close", None)
    if callable(close) and key != "cache":
        close()
    return [key]


def test_every_group_option_composes_and_instantiates(plugin_host, compose_config, runtime,
                                                     booking_dir):
    options = all_options()
    groups = {g for g, _ in options}
    for registry in plugin_host.registries.values():
        if len(registry):
            assert registry.kind.group in groups
    defaults = primary_defaults()
    failures = []
    for group, option in options:
        prefix = "" if group in defaults else "+"
        overrides = [f"{prefix}{group}={option}", f"data_dir={booking_dir}", "cache=memory",
                     *OFFLINE_OVERRIDES.get((group, option), [])]
        try:
            cfg = compose_config(*overrides)
            if group == "experiment":
                keys = [k for k, v in cfg.items() if k in ("reward", "reward_term") or
                        (isinstance(v, DictConfig) and "_target_" in v and k != "policy")]
                keys.append("policy")
            else:
                keys = [group] if isinstance(cfg.get(group), DictConfig) else []
            if (group, option) in ENGINE_OPTIONS and not engine_installed():
                keys = []
            for key in keys:
                if key in ("reward", "reward_term") or "_target_" in cfg[key]:
                    assert build_node(key, cfg[key], runtime), f"{group}={option} built nothing"
        except Exception as exc:  # collect all failures, report together
            failures.append(f"{group}={option}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
