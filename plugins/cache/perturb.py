"""Large caches made from real entries, for benchmarks and fault tests.

:func:`perturbed_recordings` yields ``n`` recordings that keep the real response of a real
entry but call it with a distinct argument: entry ``i`` takes real entry ``i mod m`` and
appends ``"~<tag><i>"`` to its first string argument (in sorted parameter order), or adds a
parameter ``"_variant": "<tag><i>"`` when it has none. Keys therefore stay realistic in shape
and length and responses stay real; only uniqueness is synthetic.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from orchestrl.plugins.cache.response_cache import CacheEntry, Recording


def perturbed_recordings(entries: Sequence[CacheEntry], n: int, *, tag: str = "v"
                         ) -> Iterator[Recording]:
    """``n`` distinct recordings built from ``entries`` as the module docstring describes."""
    ordered = perturbation_base(entries)
    for i in range(n):
        yield perturbed_recording(ordered, i, tag=tag)


def perturbation_base(entries: Sequence[CacheEntry]) -> list[CacheEntry]:
    """The entries in the order recording ``i`` draws from (by key); ValueError when empty."""
    if not entries:
        raise ValueError("no entries to perturb")
    return sorted(entries, key=lambda e: e.key)


def perturbed_recording(ordered: Sequence[CacheEntry], i: int, *, tag: str = "v") -> Recording:
    """Recording ``i`` of :func:`perturbed_recordings` (``ordered``: its
    :func:`perturbation_base`), without making the ones before it."""
    entry = ordered[i % len(ordered)]
    arguments = dict(entry.arguments)
    text_params = sorted(k for k, v in arguments.items() if isinstance(v, str))
    if text_params:
        arguments[text_params[0]] = f"{arguments[text_params[0]]}~{tag}{i}"
    else:
        arguments["_variant"] = f"{tag}{i}"
    return Recording(entry.function, arguments, entry.response,
                     {"source": f"perturbed:{tag}{i}", "time": "2026-01-01T00:00:00+00:00"},
                     entry.state)
