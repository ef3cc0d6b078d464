"""The response cache: canonical keys, the cache layer over byte-level backends (diskcache,
memory, redis), importers and exporters, and copying between backends."""
