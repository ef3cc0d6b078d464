"""User-facing errors.

Every exception here is a mistake the user can fix (a bad override, a missing file, an
unknown component name, a plugin that misbehaves). The CLI prints ``str(error)`` as one line
and exits non-zero without a traceback; anything else is a bug and keeps its traceback.
Messages are one sentence, lower case, and name the bad value.
"""

from __future__ import annotations


class OrchestrlError(Exception):
    """Base class of every error the CLI reports as one line."""

    exit_code: int = 2


class ConfigError(OrchestrlError):
    """A configuration value or override is wrong."""


class UnknownComponentError(ConfigError):
    """A component name is not registered for its kind."""


class PluginError(OrchestrlError):
    """A plugin failed while loading or registering; the message names the plugin."""


class DataError(OrchestrlError):
    """An input file is missing, unreadable or malformed; the message names file and line."""


class CacheMissError(OrchestrlError):
    """A lookup missed under the ``strict`` miss policy."""


class ContextBudgetExceeded(OrchestrlError):
    """A policy's context cannot hold the conversation (its prompt fills the context window or
    a token count is over a limit). The rollout driver ends the episode with ``token_budget``;
    any other caller of a policy handles it as a budget stop, not as a failure."""
