"""Opening the configured response cache: the ``cache`` node's backend, the world's schemas."""

from __future__ import annotations

from omegaconf import DictConfig

from orchestrl.build import build, build_world
from orchestrl.errors import ConfigError
from orchestrl.plugins.cache.lru import DEFAULT_MAX_BYTES
from orchestrl.plugins.cache.response_cache import ResponseCache


def open_cache(cfg: DictConfig) -> ResponseCache:
    """The cache ``cfg.cache`` describes, keyed by the configured world's tool schemas.

    Keys are normalised by declared types where the world has schemas (Booking's
    ``tools.jsonl``: a cache written with schemas must be read with the same ones); a world
    without schemas (BFCL) keys calls by their exact JSON. ``response_cache.decoded_bytes``
    bounds the LRU of decoded entries.
    """
    if cfg.get("cache") is None:
        raise ConfigError("the config chooses no cache backend; add cache=diskcache")
    decoded = (cfg.get("response_cache") or {}).get("decoded_bytes", DEFAULT_MAX_BYTES)
    if isinstance(decoded, bool) or not isinstance(decoded, int) or decoded < 0:
        raise ConfigError(f"response_cache.decoded_bytes must be an integer >= 0, got {decoded!r}")
    schemas = build_world(cfg).tool_schemas(cfg)
    return ResponseCache(build(cfg.cache), schemas, decoded_bytes=decoded)
