from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.engine import LoadSpec
from app.core.engine.llama_cpp_backend import LlamaCppEngine


@pytest.fixture(scope="module")
def engine(smollm2_path: Path) -> Iterator[LlamaCppEngine]:
    """SmolLM2 loaded once per module; tests that reload it restore it."""
    eng = LlamaCppEngine()
    eng.load(LoadSpec(smollm2_path, n_ctx=2048))
    yield eng
    eng.unload()


@pytest.fixture(scope="module")
def small_engine(smollm2_path: Path) -> Iterator[LlamaCppEngine]:
    """SmolLM2 with a 512-token context: a few pages are many contexts long, and a short chat
    outgrows it."""
    eng = LlamaCppEngine()
    eng.load(LoadSpec(smollm2_path, n_ctx=512))
    yield eng
    eng.unload()
