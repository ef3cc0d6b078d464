"""How one cache entry is stored: zlib-compressed JSON, never pickle.

A stored value is ``MAGIC`` followed by the zlib stream of the UTF-8 JSON record::

    {"function": str, "arguments": {...canonical...}, "state": JSON,
     "responses": [{"response": JSON, "digest": str, "provenance": [{"source": str,
                    "time": str, ...}, ...]}, ...]}

Decoding checks the magic, bounds the decompressed size (:data:`MAX_RECORD_BYTES`, against
decompression bombs) and the record's shape, and raises :class:`CorruptEntryError` otherwise.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from orchestrl.api import JSON
from orchestrl.errors import DataError
from orchestrl.plugins.parsing import fast_json

MAGIC = b"OZ1"
MAX_RECORD_BYTES = 512 * 1024 * 1024
LEVEL = 6

class CorruptEntryError(DataError):
    """A stored value is not a well-formed cache record."""


def response_digest(response: JSON) -> str:
    """A short, stable identity of a response (sha256 of its sorted compact JSON, 16 hex)."""
    try:
        text = json.dumps(response, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    except RecursionError:
        raise ValueError("the response is nested too deeply to store") from None
    except TypeError as exc:
        raise ValueError(f"the response is not JSON: {exc}") from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def encode_record(record: dict[str, Any]) -> bytes:
    """Compress a record; raise ValueError when it is not JSON-serialisable."""
    return MAGIC + zlib.compress(_record_text(record), LEVEL)


def _record_text(record: dict[str, Any]) -> bytes:
    try:
        # NaN/Infinity may appear in canonical arguments (never in responses: see digest)
        text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    except RecursionError:
        raise ValueError("the response is nested too deeply to store") from None
    except TypeError as exc:
        raise ValueError(f"the response is not JSON: {exc}") from None
    return text.encode("utf-8")


def parse_json(data: bytes) -> Any:
    """``json.loads(data)``, through msgspec when it is installed (about twice as fast on cache
    records; :func:`~orchestrl.plugins.parsing.fast_json.decode`): whatever msgspec refuses is
    parsed by :mod:`json`, so the result never depends on msgspec being there."""
    value = fast_json.decode(data)
    return json.loads(data.decode("utf-8")) if value is fast_json.REFUSED else value


def decode_record(key: str, raw: bytes) -> dict[str, Any]:
    """The record stored under ``key``; CorruptEntryError when ``raw`` is not one."""
    return decode_record_sized(key, raw)[0]


def decode_record_sized(key: str, raw: bytes) -> tuple[dict[str, Any], int]:
    """:func:`decode_record` and the size in bytes of the record's JSON text."""
    if not isinstance(raw, bytes | bytearray) or not raw.startswith(MAGIC):
        raise CorruptEntryError(f"cache entry '{_short(key)}' is not an orchestrl record")
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(memoryview(raw)[len(MAGIC):], MAX_RECORD_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise CorruptEntryError(f"cache entry '{_short(key)}' is truncated or too large")
        record = parse_json(data)
    except (zlib.error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, CorruptEntryError):
            raise
        raise CorruptEntryError(f"cache entry '{_short(key)}' is corrupt ({exc})") from None
    if not _well_formed(record):
        raise CorruptEntryError(f"cache entry '{_short(key)}' has an unexpected shape")
    return record, len(data)


def _well_formed(record: Any) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("function"), str):
        return False
    if not isinstance(record.get("arguments"), dict):
        return False
    responses = record.get("responses")
    if not isinstance(responses, list) or not responses:
        return False
    return all(
        isinstance(r, dict) and "response" in r and isinstance(r.get("digest"), str)
        and isinstance(r.get("provenance"), list)
        for r in responses
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
