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


U32 = 4  # GGUF's value type of a uint32
# Qwen 2.5's template, shortened: the tools in the system prompt, calls in <tool_call> blocks,
# their results in <tool_response> blocks.
TOOLS_TEMPLATE = """\
{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n\
You are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and \
arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \
\\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- elif messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == "user" or (message.role == "system" and not loop.first) \
or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' + tool_call.name + '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.index0 == 0 or messages[loop.index0 - 1].role != "tool" %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
        {%- if loop.last or messages[loop.index0 + 1].role != "tool" %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""


def _gguf_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def with_metadata(source: Path, target: Path, strings: dict[str, str] | None = None,
                  u32s: dict[str, int] | None = None) -> Path:
    """A copy of the GGUF `source` whose key/values `strings` and `u32s` are set (replaced
    or added); the tensor descriptions and data are copied as they are, realigned."""
    found = layout(source)
    raw = source.read_bytes()
    new = {**{key: struct.pack("<I", STRING) + _gguf_string(value)
              for key, value in (strings or {}).items()},
           **{key: struct.pack("<I", U32) + struct.pack("<I", value)
              for key, value in (u32s or {}).items()}}
    # The tensor descriptions end the header; each is its name, dimensions, type and offset.
    tensors_at = found.header_end - sum(8 + len(t.name.encode()) + 4 + 8 * len(t.dims) + 4 + 8
                                        for t in found.tensors)
    kvs = sorted(found.kvs.values(), key=lambda kv: kv.start)
    ends = [kv.start for kv in kvs[1:]] + [tensors_at]
    out = bytearray(raw[:24])
    kept = 0
    for kv, end in zip(kvs, ends, strict=True):
        if kv.key not in new:
            out += raw[kv.start:end]
            kept += 1
    for key, value in new.items():
        out += _gguf_string(key) + value
    struct.pack_into("<Q", out, found.kv_count_at, kept + len(new))
    out += raw[tensors_at:found.header_end]
    out += bytes(-len(out) % 32)  # general.alignment is absent: the default
    with target.open("wb") as f:
        f.write(out)
        f.write(raw[found.data_start:])
    return target
