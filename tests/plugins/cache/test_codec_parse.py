"""Record decoding: the optional fast parser builds exactly what :mod:`json` builds, and whatever
it refuses is still decoded (or refused) as :mod:`json` would."""

from __future__ import annotations

import json
import math
import zlib

import pytest

from orchestrl.plugins.cache.codec import MAGIC, CorruptEntryError, decode_record, parse_json
from orchestrl.plugins.parsing import fast_json


def test_every_real_record_parses_as_json_does(real_entries, schemas):
    from orchestrl.plugins.cache.memory_backend import MemoryBackend
    from orchestrl.plugins.cache.response_cache import Recording, ResponseCache

    cache = ResponseCache(MemoryBackend(), schemas)
    cache.put_many(Recording(e.function, e.arguments, e.response, {"source": "seed"})
                   for e in real_entries)
    for _key, raw in cache.raw_items():
        data = zlib.decompress(raw[len(MAGIC):])
        parsed = parse_json(data)
        assert parsed == json.loads(data.decode("utf-8"))
        assert json.dumps(parsed) == json.dumps(json.loads(data))  # same key order and types


@pytest.mark.parametrize("text", [
    '{"big": 123456789012345678901234567890}',
    '{"x": NaN, "y": -Infinity}',
    '{"s": "\\ud800 lone surrogate"}',
    '[1e400, 0.5]',
    "[" * 900 + "]" * 900,
    "[" * 100_000 + "]" * 100_000,
])
def test_what_the_fast_parser_refuses_is_parsed_by_json(text):
    try:
        expected = json.loads(text)
    except RecursionError:  # too deep for json too: refused the same way
        with pytest.raises(RecursionError):
            parse_json(text.encode("utf-8"))
        return
    parsed = parse_json(text.encode("utf-8"))
    if isinstance(expected, dict) and "x" in expected:
        assert math.isnan(parsed["x"]) and parsed["y"] == -math.inf
    else:
        assert parsed == expected


def test_damaged_text_is_still_a_corrupt_entry(monkeypatch):
    for fast in (fast_json._DECODER, None):
        monkeypatch.setattr(fast_json, "_DECODER", fast)
        for data in (b"\xff\xfe not utf-8", b'{"function": "f", "arguments": {}'):
            with pytest.raises(CorruptEntryError, match="corrupt"):
                decode_record("k", MAGIC + zlib.compress(data))
