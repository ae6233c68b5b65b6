"""The memory estimate, checked against what llama.cpp really takes."""

from __future__ import annotations

import gc
from pathlib import Path

import psutil
import pytest

from app.core.engine.fit import (
    GPU_RESERVE,
    GPU_SHARE,
    Shape,
    Verdict,
    estimate,
    gpu_layers_that_fit,
)
from app.core.engine.gguf import read_header

GB = 1_000_000_000


def shape_of(path: Path) -> Shape:
    return Shape.from_header(read_header(path), path.stat().st_size)


def test_kv_cache_follows_the_header(smollm2_path: Path) -> None:
    est = estimate(shape_of(smollm2_path), 2048, available=8 * GB)
    # 30 layers × 3 KV heads × (64 + 64) dims × 2 bytes per token
    assert est.kv_cache == 30 * 3 * 128 * 2 * 2048
    assert est.weights == smollm2_path.stat().st_size
    assert est.exact
    assert est.verdict is Verdict.FITS
    assert est.describe() == (
        "fits: needs about 206.3 MB (weights 98.4 MB, context of 2048 tokens 47.2 MB, "
        "buffers 60.7 MB); 8.0 GB of memory is free")


def test_context_is_capped_at_the_training_length(smollm2_path: Path) -> None:
    est = estimate(shape_of(smollm2_path), 1_000_000, available=8 * GB)
    assert est.n_ctx == 8192


@pytest.mark.parametrize(("available", "verdict"), [
    (10 * GB, Verdict.FITS), (int(1.4 * GB), Verdict.TIGHT), (GB // 2, Verdict.TOO_BIG)])
def test_verdicts(available: int, verdict: Verdict) -> None:
    shape = Shape.from_size(900_000_000)
    est = estimate(shape, 4096, available=available)
    assert est.verdict is verdict
    assert not est.exact
    assert verdict.value in est.describe()


@pytest.mark.model
def test_the_estimate_covers_what_llama_cpp_really_takes(gemma_path: Path) -> None:
    """Resident memory of a loaded model lies within the estimate, and not far below it."""
    from app.core.engine.base import ChatMessage, GenerationParams, LoadSpec
    from app.core.engine.cancel import CancelToken
    from app.core.engine.llama_cpp_backend import LlamaCppEngine

    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    engine = LlamaCppEngine()
    engine.load(LoadSpec(gemma_path, n_ctx=4096))
    try:
        engine.stream_chat([ChatMessage("user", "Hi")], GenerationParams(max_tokens=4),
                           lambda _piece: None, CancelToken())
        used = process.memory_info().rss - before
    finally:
        engine.unload()
    est = estimate(shape_of(gemma_path), 4096)
    assert 0.6 * est.total <= used <= 1.1 * est.total, (used, est)


# A made-up 7B-like model: 32 layers, grouped-query attention, 8 GiB of weights.
GIB = 2**30
BIG = Shape(file_size=8 * GIB, n_layers=32, n_heads_kv=8, key_length=128, value_length=128,
            n_embd=4096, n_vocab=32_000, context_length=8192)


def test_all_layers_go_to_a_gpu_they_fit() -> None:
    assert gpu_layers_that_fit(BIG, 4096, 80 * GIB) == -1


def test_about_half_the_layers_go_to_a_gpu_half_as_big() -> None:
    est = estimate(BIG, 4096, available=80 * GIB)
    # Free memory that, after the margin and the compute buffers, holds half the layers.
    half = (est.buffers + (est.weights + est.kv_cache) // 2 + GPU_RESERVE) / GPU_SHARE
    layers = gpu_layers_that_fit(BIG, 4096, int(half))
    assert 14 <= layers <= 16
    # More context leaves room for fewer layers.
    assert gpu_layers_that_fit(BIG, 8192, int(half)) < gpu_layers_that_fit(BIG, 1024, int(half))


def test_no_layer_goes_to_a_gpu_too_small_for_one() -> None:
    assert gpu_layers_that_fit(BIG, 4096, GIB) == 0
    assert gpu_layers_that_fit(BIG, 4096, 0) == 0


def test_a_model_of_unknown_shape_goes_all_or_nothing() -> None:
    shape = Shape.from_size(4 * GIB)
    assert gpu_layers_that_fit(shape, 4096, 80 * GIB) == -1
    assert gpu_layers_that_fit(shape, 4096, 4 * GIB) == 0


def test_a_context_of_zero_is_the_training_length() -> None:
    est = estimate(BIG, 8192, available=80 * GIB)
    just = int((est.total + GPU_RESERVE) / GPU_SHARE) + 1
    assert gpu_layers_that_fit(BIG, 8192, just) == -1
    assert gpu_layers_that_fit(BIG, 0, just) == -1
    assert gpu_layers_that_fit(BIG, 0, just - 64 * 2**20) != -1
