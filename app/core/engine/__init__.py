"""Inference backends behind one protocol; see `base.InferenceEngine`."""

from app.core.engine.base import (
    ChatMessage,
    ContextOverflowError,
    EngineError,
    GenerationError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    InferenceEngine,
    LoadSpec,
    ModelInfo,
    ModelLoadError,
    NoModelLoadedError,
    TemplateSource,
)
from app.core.engine.cancel import CancelToken

__all__ = [
    "CancelToken",
    "ChatMessage",
    "ContextOverflowError",
    "EngineError",
    "GenerationError",
    "GenerationParams",
    "GenerationResult",
    "GenerationStats",
    "InferenceEngine",
    "LoadSpec",
    "ModelInfo",
    "ModelLoadError",
    "NoModelLoadedError",
    "TemplateSource",
]
