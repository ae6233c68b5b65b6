"""The fast GGUF header reader, on the real model and on files built byte by byte."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from app.core.engine.gguf import GGUFError, read_header


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, kvs: list[bytes], *, version: int = 3) -> Path:
    """A GGUF file with these key/values and one tensor of 8 f32 values (its data padded to
    32 bytes, as llama.cpp lays it out)."""
    tensor = _string("t") + struct.pack("<IQIQ", 1, 8, 0, 0)
    header = b"GGUF" + struct.pack("<IQQ", version, 1, len(kvs)) + b"".join(kvs) + tensor
    path.write_bytes(header + b"\0" * (-len(header) % 32) + b"\0" * 32)
    return path


def kv_string(key: str, value: str) -> bytes:
    return _string(key) + struct.pack("<I", 8) + _string(value)


def kv_u32(key: str, value: int) -> bytes:
    return _string(key) + struct.pack("<II", 4, value)


def kv_string_array(key: str, values: list[str]) -> bytes:
    return (_string(key) + struct.pack("<IIQ", 9, 8, len(values))
            + b"".join(_string(v) for v in values))


def kv_f32_array(key: str, values: list[float]) -> bytes:
    return (_string(key) + struct.pack("<IIQ", 9, 6, len(values))
            + struct.pack(f"<{len(values)}f", *values))


@pytest.mark.model
def test_reads_the_builtin_models_header(smollm2_path: Path) -> None:
    header = read_header(smollm2_path)
    assert header.version == 3
    assert header.architecture == "llama"
    assert header.context_length == 8192
    assert header.chat_template is not None and "<|im_start|>" in header.chat_template
    assert header.array_lengths["tokenizer.ggml.tokens"] == 49152
    assert "tokenizer.ggml.tokens" not in header.metadata  # arrays are skipped, not read
    assert header.tensor_count > 0


@pytest.mark.model
def test_reads_a_base_model_without_a_template(gemma_path: Path) -> None:
    header = read_header(gemma_path)
    assert header.architecture == "gemma3"
    assert header.chat_template is None
    assert header.array_lengths["tokenizer.ggml.tokens"] == 262144


def test_reads_scalars_strings_and_skips_arrays(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf", [
        kv_string("general.architecture", "qwen2"),
        kv_string("general.name", "Tiny"),
        kv_string_array("tokenizer.ggml.tokens", ["a", "bb", "ccc"]),
        kv_f32_array("tokenizer.ggml.scores", [0.5, 1.5]),
        kv_u32("qwen2.context_length", 32768),
        kv_string("tokenizer.chat_template", "  "),
    ])
    header = read_header(path)
    assert header.architecture == "qwen2"
    assert header.name == "Tiny"
    assert header.context_length == 32768
    assert header.array_lengths == {"tokenizer.ggml.tokens": 3, "tokenizer.ggml.scores": 2}
    assert header.chat_template is None  # blank counts as none


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "not a GGUF model file"),
    (b"PK\x03\x04" + b"\0" * 100, "not a GGUF model file"),
    (b"GGUF" + struct.pack("<IQQ", 1, 1, 0) + b"\0" * 64, "version 1 is not supported"),
    (b"GGUF" + struct.pack("<IQQ", 3, 1, 2**40) + b"\0" * 64, "impossible"),
    (b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + struct.pack("<Q", 2**50) + b"\0" * 64,
     "impossible key length"),
    (b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + _string("k") + struct.pack("<I", 99)
     + b"\0" * 64, "unknown value type 99"),
    (b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + kv_string("general.architecture", "llama")
     + _string("t") + struct.pack("<I", 1), "truncated"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 0) + b"\0" * 64, "no weights"),
], ids=["empty", "zip", "old-version", "absurd-count", "absurd-string", "unknown-type",
        "truncated", "no-tensors"])
def test_a_damaged_header_says_why(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(GGUFError, match=reason):
        read_header(path)


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_header(tmp_path / "absent.gguf")


def test_shape_and_quantization_for_the_fit_estimate(smollm2_path: Path,
                                                      gemma_path: Path) -> None:
    smol = read_header(smollm2_path)
    assert smol.n_params == 134_515_008  # summed over the tensor descriptions
    assert smol.quantization == "Q4_1"
    assert (smol.n_layers, smol.n_heads, smol.n_heads_kv, smol.key_length) == (30, 9, 3, 64)
    gemma = read_header(gemma_path)
    assert gemma.quantization == "Q4_K_M"
    assert gemma.n_params == 268_098_176
    assert (gemma.n_layers, gemma.n_heads_kv, gemma.key_length, gemma.value_length) == (
        18, 1, 256, 256)
    assert gemma.array_lengths["tokenizer.ggml.tokens"] == 262_144
