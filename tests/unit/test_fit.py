"""The memory estimate, checked against what llama.cpp really takes."""

from __future__ import annotations

import gc
from pathlib import Path

import psutil
import pytest

from app.core.models.fit import Shape, Verdict, estimate
from app.core.models.gguf import read_header

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
