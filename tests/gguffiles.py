"""Damaged and crafted GGUF files, made from a real one, for the tests of hostile models.

`layout` walks a GGUF header (independently of the app's reader: it trusts the file) and notes
where each field lies, so a test can change one field in place in a copy of the real model, cut
the copy short, or keep its header only. Standard library only (`struct`).
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY, U64 = 8, 9, 10


@dataclass
class KeyValue:
    key: str
    start: int  # where the key's length is
    kind_at: int  # where its value type (u32) is
    kind: int
    # For an array: where its item type (u32) and its count (u64) are.
    item_kind_at: int | None = None
    count_at: int | None = None
    count: int | None = None
    value_at: int = 0  # the scalar value, or the array's first item


@dataclass
class TensorInfo:
    name: str
    dims_at: list[int]  # where each dimension (u64) is
    dims: list[int]
    kind_at: int
    kind: int
    offset_at: int
    offset: int


@dataclass
class Layout:
    tensor_count_at: int
    kv_count_at: int
    kvs: dict[str, KeyValue] = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)
    header_end: int = 0  # the end of the tensor descriptions
    data_start: int = 0  # aligned


def layout(path: Path) -> Layout:
    data = path.read_bytes()[:64 << 20]  # headers are a few MB at most
    pos = 0

    def take(fmt: str) -> int:
        nonlocal pos
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return int(value)

    def string() -> str:
        nonlocal pos
        n = take("<Q")
        text = data[pos:pos + n].decode("utf-8", errors="replace")
        pos += n
        return text

    assert data[:4] == b"GGUF"
    pos = 8
    found = Layout(tensor_count_at=8, kv_count_at=16)
    n_tensors, n_kv = take("<Q"), take("<Q")
    for _ in range(n_kv):
        start = pos
        key = string()
        kind_at = pos
        kind = take("<I")
        kv = KeyValue(key, start, kind_at, kind)
        if kind == ARRAY:
            kv.item_kind_at = pos
            item = take("<I")
            kv.count_at = pos
            kv.count = take("<Q")
            kv.value_at = pos
            for _ in range(kv.count):
                if item == STRING:
                    string()
                else:
                    pos += _SIZES[item]
        elif kind == STRING:
            kv.value_at = pos
            string()
        else:
            kv.value_at = pos
            pos += _SIZES[kind]
        found.kvs[key] = kv
    for _ in range(n_tensors):
        name = string()
        n_dims = take("<I")
        dims_at, dims = [], []
        for _ in range(n_dims):
            dims_at.append(pos)
            dims.append(take("<Q"))
        kind_at = pos
        kind = take("<I")
        offset_at = pos
        offset = take("<Q")
        found.tensors.append(TensorInfo(name, dims_at, dims, kind_at, kind, offset_at, offset))
    found.header_end = pos
    alignment = 32
    if "general.alignment" in found.kvs:
        alignment = struct.unpack_from("<I", data, found.kvs["general.alignment"].value_at)[0]
    found.data_start = -(-pos // alignment) * alignment
    return found


def crafted(source: Path, target: Path, patches: dict[int, bytes] | None = None,
            length: int | None = None) -> Path:
    """A copy of `source`, cut to `length` bytes if given, with `patches` (offset: bytes)
    written over it."""
    if length is None:
        shutil.copyfile(source, target)
    else:
        with source.open("rb") as src, target.open("wb") as out:
            out.write(src.read(length))
    with target.open("r+b") as out:
        for offset, data in (patches or {}).items():
            out.seek(offset)
            out.write(data)
    return target


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)
