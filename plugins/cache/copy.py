"""Copying a response cache into another (typically from one backend to another)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from tqdm import tqdm

from orchestrl.plugins.cache.codec import decode_record, encode_record
from orchestrl.plugins.cache.response_cache import ResponseCache, merge_response

BATCH = 1000


@dataclass
class CopyReport:
    """Entries written as new, merged into an existing entry, or already identical."""

    copied: int = 0
    merged: int = 0
    unchanged: int = 0


def copy_cache(source: ResponseCache, target: ResponseCache, *, progress: bool = False
               ) -> CopyReport:
    """Copy every entry of ``source`` into ``target``, merging with entries already there.

    Entries are copied by key, so both caches must use the same schemas. Each batch of
    :data:`BATCH` entries is written atomically; every stored value is decoded (checked)
    before it is written. Copying twice changes nothing the second time.
    """
    report = CopyReport()
    items = iter(source.raw_items())
    with tqdm(total=len(source), desc="copying", unit=" entries", disable=not progress,
              leave=False) as bar:
        while batch := dict(islice(items, BATCH)):
            records = {key: decode_record(key, raw) for key, raw in batch.items()}
            with target.transaction():
                existing = target.backend.get_many(list(batch))
                out: dict[str, bytes] = {}
                for key, raw in batch.items():
                    if key not in existing:
                        out[key] = raw
                        report.copied += 1
                        continue
                    merged = decode_record(key, existing[key])
                    before = encode_record(merged)
                    for resp in records[key]["responses"]:
                        merge_response(merged, resp["response"], resp["provenance"])
                    after = encode_record(merged)
                    if after == before:
                        report.unchanged += 1
                    else:
                        out[key] = after
                        report.merged += 1
                if out:
                    target.backend.set_many(out)
            bar.update(len(batch))
    return report
