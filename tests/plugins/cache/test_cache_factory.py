"""open_cache: the backend from the cache group, the decoded-entry LRU bound from config."""

from __future__ import annotations

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.cache.factory import open_cache
from orchestrl.plugins.cache.lru import DEFAULT_MAX_BYTES


def test_the_decoded_entry_bound_comes_from_config(compose_config, booking_dir):
    common = ["world=booking", "cache=memory", f"data_dir={booking_dir}"]
    assert open_cache(compose_config(*common)).decoded.max_bytes == DEFAULT_MAX_BYTES
    cache = open_cache(compose_config(*common, "response_cache.decoded_bytes=0"))
    assert cache.decoded.max_bytes == 0
    big = open_cache(compose_config("world=bfcl", "cache=memory",
                                    "response_cache.decoded_bytes=268435456"))
    assert big.decoded.max_bytes == 2**28 and not big.schemas  # the bfcl world's cache


@pytest.mark.parametrize("value", ["-1", "lots", "true"])
def test_a_bad_bound_is_a_one_line_error(compose_config, value):
    cfg = compose_config("cache=memory", f"response_cache.decoded_bytes={value}")
    with pytest.raises(ConfigError, match="response_cache.decoded_bytes"):
        open_cache(cfg)
