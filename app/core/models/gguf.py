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


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Scalar]
    array_lengths: dict[str, int]

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
    return GGUFHeader(version, tensor_count, metadata, array_lengths)
