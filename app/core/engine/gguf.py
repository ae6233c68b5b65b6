"""Read a GGUF file's header key/values fast, skipping the big arrays, and check it can load.

`gguf.GGUFReader` parses every array (15 s on a 262k-token vocabulary); this reads the scalars and
seeks past arrays, so checking a file or listing a folder stays instant. It is also the first line
of defence against files that are not GGUF at all, and against damaged or crafted ones: every
count and length in the header is checked against the bytes the file has before it is used, and
the tensor descriptions are checked as llama.cpp checks them (dimensions, types, sizes), down to
whether the tensor data they describe lies inside the file. A truncated download, a header
without its weights or absurd dimensions are refused here with one plain line (`GGUFError`)
instead of being listed as usable, or reaching llama.cpp.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from app.files import NotRegularFileError, open_regular
from app.i18n import N_, _

GGUF_MAGIC = b"GGUF"
_SCALARS: dict[int, struct.Struct] = {kind: struct.Struct(fmt) for kind, fmt in {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}.items()}
_U32, _U64 = _SCALARS[4], _SCALARS[10]
_U32_KIND, _STRING, _ARRAY = 4, 8, 9
ALIGNMENT_KEY = "general.alignment"
DEFAULT_ALIGNMENT = 32  # GGUF_DEFAULT_ALIGNMENT

# Bounds no real model comes near; a header beyond them is damaged or crafted. They also keep a
# crafted header from making a read slow: every key, tensor and item of a string array is
# visited, so a header at these bounds takes about a second where a real one takes 40 ms.
_MAX_STRING = 64 * 1024 * 1024  # any string in the header
_MAX_KEPT_STRING = 1024 * 1024  # a value kept (names, the chat template); longer ones are skipped
_MAX_KEY = 64 * 1024
_MAX_KEYS = 100_000  # models have about 50
_MAX_ARRAY_STRINGS = 4_000_000  # vocabularies have up to 262,144 tokens
_MAX_TENSORS = 100_000  # the largest models have a few thousand
_MAX_TENSOR_NAME = 63  # GGML_MAX_NAME, less its terminating zero
_MAX_DIMS = 4  # GGML_MAX_DIMS
_BLOCK = 1 << 20  # bytes read at a time
_TRUNCATED = N_("the file ends in the middle of its header (truncated download?)")
# What a length in the header belongs to, and the message for one that cannot be.
_IMPOSSIBLE_LENGTH = {
    "string": N_("the header holds an impossible string length (damaged file)"),
    "key": N_("the header holds an impossible key length (damaged file)"),
    "tensor name": N_("the header holds an impossible tensor name length (damaged file)"),
}
_MAX_NAME_SHOWN = 200  # a model's name, family or architecture as shown
_MAX_SHAPE = 2**31  # a layer, head or context count beyond this is not believed

# ggml's tensor types: (values per block, bytes per block), as `ggml_blck_size` and
# `ggml_type_size` give them (a test checks this against the llama.cpp the app ships). Numbers
# missing were removed from ggml; a file using them cannot load.
GGML_TYPES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4),
    27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66),
    39: (32, 17), 40: (64, 36), 41: (128, 18), 42: (64, 18),
}

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


def _shown(value: Scalar) -> str:
    """A name from the header as the app shows it: bounded, whatever the file holds."""
    return str(value)[:_MAX_NAME_SHOWN]


@dataclass(frozen=True)
class GGUFHeader:
    """What `read_header` found: the scalar key/values, each array's length, and the size of
    the model (`n_params`), from a header checked against the file."""

    version: int
    tensor_count: int
    metadata: dict[str, Scalar]
    array_lengths: dict[str, int]
    n_params: int  # summed over the tensor descriptions that follow the key/values

    def _arch_int(self, key: str) -> int | None:
        """A count of the model's shape; None when absent or not believable (zero, negative,
        beyond 2^31), so that no estimate is built on a crafted number."""
        value = self.metadata.get(f"{self.architecture}.{key}")
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_SHAPE:
            return value
        return None

    @property
    def quantization(self) -> str | None:
        value = self.metadata.get("general.file_type")
        return FILE_TYPES.get(value) if isinstance(value, int) else None

    @property
    def family(self) -> str:
        basename = self.metadata.get("general.basename")
        return _shown(basename) if basename else self.architecture

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
        return _shown(self.metadata.get("general.architecture", "unknown"))

    @property
    def name(self) -> str | None:
        name = self.metadata.get("general.name")
        return _shown(name) if name else None

    @property
    def context_length(self) -> int | None:
        return self._arch_int("context_length")

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None


class _Cursor:
    """Reads a file front to back through a buffer of `_BLOCK` bytes.

    Every length comes from the file itself, so each is checked against the bytes left before
    anything is read or skipped: no read can ask for more memory than the file holds, and no
    seek can overflow.
    """

    def __init__(self, f: BinaryIO, size: int) -> None:
        self.f = f
        self.size = size
        self.buf = b""
        self.off = 0  # the position in `buf`
        self.base = 0  # where `buf` starts in the file

    @property
    def pos(self) -> int:
        return self.base + self.off

    def left(self) -> int:
        return self.size - self.pos

    def _ensure(self, n: int) -> None:
        """Have `n` bytes at `off` in the buffer."""
        if len(self.buf) - self.off >= n:
            return
        if n > self.left():
            raise GGUFError(_(_TRUNCATED))
        rest = self.buf[self.off:]
        self.base += self.off
        self.f.seek(self.base + len(rest))
        self.buf = rest + self.f.read(max(n - len(rest), _BLOCK))
        self.off = 0
        if len(self.buf) < n:  # the file shrank while being read
            raise GGUFError(_(_TRUNCATED))

    def take(self, n: int) -> bytes:
        self._ensure(n)
        data = self.buf[self.off:self.off + n]
        self.off += n
        return data

    def unpack(self, fmt: struct.Struct) -> Any:
        self._ensure(fmt.size)
        value = fmt.unpack_from(self.buf, self.off)[0]
        self.off += fmt.size
        return value

    def skip(self, n: int) -> None:
        if n > self.left():
            raise GGUFError(_(_TRUNCATED))
        if n <= len(self.buf) - self.off:
            self.off += n
        else:  # past the buffer: read on from there later
            self.base, self.buf, self.off = self.pos + n, b"", 0

    def length(self, limit: int, what: str) -> int:
        """A string's byte length: at most `limit`, and within the file."""
        n = int(self.unpack(_U64))
        if n > limit:
            raise GGUFError(_(_IMPOSSIBLE_LENGTH[what]))
        if n > self.left():
            raise GGUFError(_(_TRUNCATED))
        return n

    def string(self, limit: int = _MAX_STRING, what: str = "string") -> str:
        return self.take(self.length(limit, what)).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Scalar | None:
        """A key's scalar value; None for a string too long to mean anything (skipped)."""
        if kind == _STRING:
            n = self.length(_MAX_STRING, "string")
            if n > _MAX_KEPT_STRING:
                self.skip(n)
                return None
            return self.take(n).decode("utf-8", errors="replace")
        fmt = _SCALARS.get(kind)
        if fmt is None:
            raise GGUFError(_("the header holds an unknown value type {kind} (damaged file)")
                            .format(kind=kind))
        value: Scalar = self.unpack(fmt)
        return value

    def skip_array(self) -> int:
        """Skip an array's items, checking its count against the bytes left; its length."""
        kind = int(self.unpack(_U32))
        count = int(self.unpack(_U64))
        if kind == _STRING:
            # Each string takes at least its 8-byte length; a tokenizer's vocabulary is the
            # longest string array a model has (262,144 tokens for Gemma 3).
            if count > _MAX_ARRAY_STRINGS or count * 8 > self.left():
                raise GGUFError(_("the header holds an impossible array length (damaged "
                                  "file)"))
            self._skip_strings(count)
        elif kind == _ARRAY:
            raise GGUFError(_("nested arrays in the header are not supported"))
        else:
            fmt = _SCALARS.get(kind)
            if fmt is None:
                raise GGUFError(_("the header holds an unknown array type {kind} (damaged "
                                  "file)").format(kind=kind))
            if count * fmt.size > self.left():
                raise GGUFError(_("the header holds an impossible array length (damaged "
                                  "file)"))
            self.skip(count * fmt.size)
        return count

    def _skip_strings(self, count: int) -> None:
        # The hot loop of a header read (a vocabulary and its merges): lengths are read from the
        # buffer directly while they are in it.
        unpack = _U64.unpack_from
        for _item in range(count):
            if len(self.buf) - self.off < 8:
                self._ensure(8)
            n = unpack(self.buf, self.off)[0]
            if n > _MAX_STRING:
                raise GGUFError(_(_IMPOSSIBLE_LENGTH["string"]))
            self.off += 8
            if n <= len(self.buf) - self.off:
                self.off += n
            else:
                self.skip(n)


@dataclass(frozen=True)
class _Tensor:
    name: str
    offset: int  # from the start of the data section
    nbytes: int


def _open(path: Path) -> tuple[BinaryIO, int]:
    """The file, opened for reading, and its size: only a regular file is read (a pipe or a
    device is refused before anything waits on it)."""
    try:
        return open_regular(path)
    except NotRegularFileError as exc:
        raise GGUFError(_("it is a folder, not a model file") if exc.folder else
                        _("it is not a regular file (a pipe or a device?)")) from None


def read_header(path: Path) -> GGUFHeader:
    """Read the header of a GGUF file and check that the tensor data it describes is in the file.

    Reads the header only (a few MB at most, never the weights). Raises `GGUFError` with a plain
    reason for anything llama.cpp could not load (a damaged, truncated or crafted header, sizes
    beyond the file, a folder, a pipe), `OSError` if the file cannot be opened.
    """
    f, size = _open(path)
    with f:
        cursor = _Cursor(f, size)
        if size < 24 or cursor.take(4) != GGUF_MAGIC:
            raise GGUFError(_("it is not a GGUF model file (wrong signature)"))
        version = int(cursor.unpack(_U32))
        if version not in (2, 3):
            raise GGUFError(_("GGUF version {version} is not supported").format(
                version=version))
        tensor_count = int(cursor.unpack(_U64))
        kv_count = int(cursor.unpack(_U64))
        # A key/value takes at least 13 bytes, a tensor description 24 (lengths, type, offset).
        if (kv_count > _MAX_KEYS or tensor_count > _MAX_TENSORS
                or kv_count * 13 + tensor_count * 24 > cursor.left()):
            raise GGUFError(_("the header counts are impossible (damaged file)"))
        if tensor_count == 0:  # llama.cpp's vocabulary-only files are like this
            raise GGUFError(_("it holds no weights (a vocabulary-only file?)"))
        metadata, array_lengths = _read_metadata(cursor, kv_count)
        alignment = _alignment(metadata)
        tensors = [_read_tensor(cursor) for _index in range(tensor_count)]
        n_params = sum(count for _tensor, count in tensors)
        data_start = -(-cursor.pos // alignment) * alignment
    _check_data(tensors, data_start, size, alignment)
    return GGUFHeader(version, tensor_count, metadata, array_lengths, n_params)


def _read_metadata(cursor: _Cursor, kv_count: int) -> tuple[dict[str, Scalar], dict[str, int]]:
    metadata: dict[str, Scalar] = {}
    array_lengths: dict[str, int] = {}
    for _index in range(kv_count):
        key = cursor.string(_MAX_KEY, "key")
        if key in metadata or key in array_lengths:
            raise GGUFError(_("the header holds the key {key} twice (damaged file)").format(
                key=repr(key[:80])))
        kind = int(cursor.unpack(_U32))
        if kind == _ARRAY:
            array_lengths[key] = cursor.skip_array()
        elif (value := cursor.value(kind)) is not None:
            metadata[key] = value
        if key == ALIGNMENT_KEY and kind != _U32_KIND:
            # llama.cpp asserts on this, which would end the whole app
            raise GGUFError(_("{key} is not an unsigned 32-bit number (damaged file)").format(
                key=ALIGNMENT_KEY))
    return metadata, array_lengths


def _alignment(metadata: dict[str, Scalar]) -> int:
    value = metadata.get(ALIGNMENT_KEY, DEFAULT_ALIGNMENT)
    if not isinstance(value, int) or value <= 0 or value & (value - 1):
        raise GGUFError(_("{key} is {value}, not a power of two (damaged file)").format(
            key=ALIGNMENT_KEY, value=value))
    return value


def _read_tensor(cursor: _Cursor) -> tuple[_Tensor, int]:
    """One tensor description, checked as llama.cpp checks it: its name, its dimensions, its
    type, and so its size in bytes. Also the number of values (parameters) it holds."""
    name = cursor.string(_MAX_TENSOR_NAME, "tensor name")
    n_dims = int(cursor.unpack(_U32))
    if n_dims > _MAX_DIMS:
        raise GGUFError(_("the tensor {name} has {n} dimensions (damaged file)").format(
            name=repr(name), n=n_dims))
    dims = [int(cursor.unpack(_U64)) for _index in range(n_dims)]
    kind = int(cursor.unpack(_U32))
    offset = int(cursor.unpack(_U64))
    count = 1
    for dim in dims:
        # Zero is legal for llama.cpp, but no model has an empty tensor.
        if not 0 < dim < 2**63:
            raise GGUFError(_("the tensor {name} has an impossible size {size} (damaged file)")
                            .format(name=repr(name), size=dim))
        count *= dim
    if count >= 2**63:
        raise GGUFError(_("the tensor {name} has impossible dimensions {dims} (damaged file)")
                        .format(name=repr(name), dims=dims))
    block = GGML_TYPES.get(kind)
    if block is None:
        raise GGUFError(_("the tensor {name} has type {kind}, which this version of llama.cpp "
                          "does not know").format(name=repr(name), kind=kind))
    block_size, type_size = block
    row = dims[0] if dims else 1
    if row % block_size:
        raise GGUFError(_("the tensor {name} has rows of {row} values, not a multiple of its "
                          "type's block of {block} (damaged file)").format(
                              name=repr(name), row=row, block=block_size))
    return _Tensor(name, offset, count // block_size * type_size), count


def _check_data(tensors: list[tuple[_Tensor, int]], data_start: int, size: int,
                alignment: int) -> None:
    """The tensors' bytes lie in the file where the header says. llama.cpp wants them one after
    the other, in order, each padded to the alignment; the last one must end inside the file."""
    expected = 0
    end = data_start
    for tensor, _count in tensors:
        if tensor.offset != expected:
            raise GGUFError(_("the tensor {name} does not start where the one before it ends "
                              "(damaged file)").format(name=repr(tensor.name)))
        end = data_start + tensor.offset + tensor.nbytes
        expected += -(-tensor.nbytes // alignment) * alignment
    if end > size:
        raise GGUFError(_("the file has {size} bytes but its tensors need {end} (an "
                          "incomplete download?)").format(size=f"{size:,}", end=f"{end:,}"))
