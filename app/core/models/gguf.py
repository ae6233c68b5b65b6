"""Read a GGUF file's header key/values fast, skipping the big arrays.

`gguf.GGUFReader` parses every array (15 s on a 262k-token vocabulary); this reads the scalars and
seeks past arrays, so checking a file or listing a folder stays instant. It is also the first line
of defence against files that are not GGUF at all: llama.cpp's own error for those is vague.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GGUF_MAGIC = b"GGUF"
_SCALARS: dict[int, str] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_MAX_STRING = 64 * 1024 * 1024  # a header string longer than this means the file is damaged

Scalar = int | float | bool | str


class GGUFError(ValueError):
    """The file is not a readable GGUF model; the message says why in plain words."""


# llama.cpp's `llama_ftype`: what `general.file_type` says the weights are quantized to.
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M",
    30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
}


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Scalar]
    array_lengths: dict[str, int]
    n_params: int  # summed over the tensor descriptions that follow the key/values

    def _arch_int(self, key: str) -> int | None:
        value = self.metadata.get(f"{self.architecture}.{key}")
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def quantization(self) -> str | None:
        value = self.metadata.get("general.file_type")
        return FILE_TYPES.get(value) if isinstance(value, int) else None

    @property
    def family(self) -> str:
        basename = self.metadata.get("general.basename")
        return str(basename) if basename else self.architecture

    @property
    def n_layers(self) -> int | None:
        return self._arch_int("block_count")

    @property
    def n_embd(self) -> int | None:
        return self._arch_int("embedding_length")

    @property
    def n_heads(self) -> int | None:
        return self._arch_int("attention.head_count")

    @property
    def n_heads_kv(self) -> int | None:
        """Key/value heads (fewer than heads under grouped-query attention). Some models give a
        per-layer array instead; then the largest count is not known here and heads are used."""
        return self._arch_int("attention.head_count_kv") or self.n_heads

    @property
    def key_length(self) -> int | None:
        explicit = self._arch_int("attention.key_length")
        if explicit:
            return explicit
        embd, heads = self.n_embd, self.n_heads
        return embd // heads if embd and heads else None

    @property
    def value_length(self) -> int | None:
        return self._arch_int("attention.value_length") or self.key_length

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def name(self) -> str | None:
        name = self.metadata.get("general.name")
        return str(name) if name else None

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if isinstance(value, int) else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None


class _Reader:
    def __init__(self, f: BinaryIO, size: int) -> None:
        self.f = f
        self.size = size

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise GGUFError("the file ends in the middle of its header (truncated download?)")
        return data

    def unpack(self, fmt: str) -> Scalar:
        value: Scalar = struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]
        return value

    def u64(self) -> int:
        return int(self.unpack("<Q"))

    def string(self) -> str:
        length = self.u64()
        if length > _MAX_STRING or self.f.tell() + length > self.size:
            raise GGUFError("the header holds an impossible string length (damaged file)")
        return self.read(length).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.u64()
        if length > _MAX_STRING:
            raise GGUFError("the header holds an impossible string length (damaged file)")
        self.f.seek(length, 1)

    def value(self, kind: int) -> Scalar:
        if kind == _STRING:
            return self.string()
        fmt = _SCALARS.get(kind)
        if fmt is None:
            raise GGUFError(f"the header holds an unknown value type {kind} (damaged file)")
        return self.unpack(fmt)

    def skip_array(self) -> int:
        kind = int(self.unpack("<I"))
        count = self.u64()
        if kind == _STRING:
            for _ in range(count):
                self.skip_string()
        elif kind == _ARRAY:
            raise GGUFError("nested arrays in the header are not supported")
        else:
            fmt = _SCALARS.get(kind)
            if fmt is None:
                raise GGUFError(f"the header holds an unknown array type {kind} (damaged file)")
            self.f.seek(count * struct.calcsize(fmt), 1)
        if self.f.tell() > self.size:
            raise GGUFError("the file ends in the middle of its header (truncated download?)")
        return count


def read_header(path: Path) -> GGUFHeader:
    """Read the header of a GGUF file. Raises `GGUFError` with a plain reason, `OSError` if the
    file cannot be opened."""
    size = path.stat().st_size
    with path.open("rb") as f:
        reader = _Reader(f, size)
        if size < 24 or f.read(4) != GGUF_MAGIC:
            raise GGUFError("it is not a GGUF model file (wrong signature)")
        version = int(reader.unpack("<I"))
        if version not in (2, 3):
            raise GGUFError(f"GGUF version {version} is not supported")
        tensor_count = reader.u64()
        kv_count = reader.u64()
        if kv_count > 1_000_000 or tensor_count > 10_000_000:
            raise GGUFError("the header counts are impossible (damaged file)")
        metadata: dict[str, Scalar] = {}
        array_lengths: dict[str, int] = {}
        for _ in range(kv_count):
            key = reader.string()
            kind = int(reader.unpack("<I"))
            if kind == _ARRAY:
                array_lengths[key] = reader.skip_array()
            else:
                metadata[key] = reader.value(kind)
        n_params = 0
        for _ in range(tensor_count):
            reader.skip_string()  # the tensor's name
            n_dims = int(reader.unpack("<I"))
            if n_dims > 8:
                raise GGUFError("a tensor description is impossible (damaged file)")
            count = 1
            for _ in range(n_dims):
                count *= reader.u64()
            reader.f.seek(12, 1)  # type (u32) and data offset (u64)
            n_params += count
        if f.tell() > size:
            raise GGUFError("the file ends in the middle of its header (truncated download?)")
    return GGUFHeader(version, tensor_count, metadata, array_lengths, n_params)
