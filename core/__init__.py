"""orchestrl: train LLMs to orchestrate multi-step tool calls.

A plugin author's API is this one import::

    from orchestrl import hookimpl, Registry, RewardTerm, Task, Trajectory

Plugins implement hooks with :data:`hookimpl`; see :mod:`orchestrl.hookspecs` for the contract
and :mod:`orchestrl.api` for the component and data types. The names below ``hookimpl`` are
resolved on first use, so ``import orchestrl`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pluggy

hookimpl = pluggy.HookimplMarker("orchestrl")
"""Marker for plugin hook implementations: ``@orchestrl.hookimpl``."""

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "Benchmark", "CacheBackend", "CallRecord", "DependencyRef", "ErrorKind", "GoldStep",
            "Policy", "PolicyOutput", "RewardTerm", "Sampler", "Task", "ToolCall",
            "ToolEnvironment", "ToolResult", "Trajectory", "World",
        ),
        "orchestrl.api",
    ),
    "Registry": "orchestrl.registry",
    "RewardTermConfig": "orchestrl.registry",
    "ConfigError": "orchestrl.errors",
    "OrchestrlError": "orchestrl.errors",
}

__all__ = [
    "Benchmark",
    "CacheBackend",
    "CallRecord",
    "ConfigError",
    "DependencyRef",
    "ErrorKind",
    "GoldStep",
    "OrchestrlError",
    "Policy",
    "PolicyOutput",
    "Registry",
    "RewardTerm",
    "RewardTermConfig",
    "Sampler",
    "Task",
    "ToolCall",
    "ToolEnvironment",
    "ToolResult",
    "Trajectory",
    "World",
    "hookimpl",
]

if TYPE_CHECKING:
    from orchestrl.api import (
        Benchmark,
        CacheBackend,
        CallRecord,
        DependencyRef,
        ErrorKind,
        GoldStep,
        Policy,
        PolicyOutput,
        RewardTerm,
        Sampler,
        Task,
        ToolCall,
        ToolEnvironment,
        ToolResult,
        Trajectory,
        World,
    )
    from orchestrl.errors import ConfigError, OrchestrlError
    from orchestrl.registry import Registry, RewardTermConfig


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'orchestrl' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
