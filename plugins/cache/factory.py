"""Opening the configured response cache: backend from the ``cache`` node, schemas from data."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from orchestrl.build import build
from orchestrl.errors import ConfigError
from orchestrl.plugins.cache.lru import DEFAULT_MAX_BYTES
from orchestrl.plugins.cache.response_cache import ResponseCache
from orchestrl.plugins.env.schema import load_schemas
from orchestrl.plugins.worlds import is_bfcl


def open_cache(cfg: DictConfig) -> ResponseCache:
    """The cache ``cfg.cache`` describes, typed by the tool schemas in ``cfg.data_dir``.

    The Booking world's schemas are required: keys are normalised by declared types, so a cache
    written with schemas must be read with the same ones. The BFCL world (``world.name=bfcl``)
    keys calls by their exact JSON and a state digest, so its cache has no schemas and needs no
    data directory. ``response_cache.decoded_bytes`` bounds the LRU of decoded entries.
    """
    if cfg.get("cache") is None:
        raise ConfigError("the config chooses no cache backend; add cache=diskcache")
    decoded = (cfg.get("response_cache") or {}).get("decoded_bytes", DEFAULT_MAX_BYTES)
    if isinstance(decoded, bool) or not isinstance(decoded, int) or decoded < 0:
        raise ConfigError(f"response_cache.decoded_bytes must be an integer >= 0, got {decoded!r}")
    if is_bfcl(cfg):
        return ResponseCache(build(cfg.cache), decoded_bytes=decoded)
    data_dir = Path(str(cfg.data_dir))
    if not (data_dir / "tools.jsonl").is_file():
        raise ConfigError(f"data_dir '{data_dir}' has no tools.jsonl; the cache keys need the "
                          "tool schemas (set data_dir= or ORCHESTRL_DATA_DIR)")
    return ResponseCache(build(cfg.cache), load_schemas(data_dir), decoded_bytes=decoded)
