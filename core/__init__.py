"""orchestrl: train LLMs to orchestrate multi-step tool calls.

Plugins implement hooks with :data:`hookimpl`; see :mod:`orchestrl.hookspecs` for the contract
and :mod:`orchestrl.api` for the component types.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("orchestrl")
"""Marker for plugin hook implementations: ``@orchestrl.hookimpl``."""

__all__ = ["hookimpl"]
