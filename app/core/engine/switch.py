"""One engine for a front-end whose model may run here or elsewhere: the window switches a chat
between a local model and a remote one as between two local ones.

`EngineSwitch.load` hands a `LoadSpec` to the in-process engine, or, for a model of a
connection (`LoadSpec.remote`), to a `RemoteEngine`, freeing the other; every other call goes
to the one holding the model. The local engine is made on first use, so a window that only
talks to a server never loads llama.cpp.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.core.engine.base import (
    ChatMessage,
    GenerationParams,
    GenerationResult,
    InferenceEngine,
    LoadSpec,
    ModelInfo,
    NoModelLoadedError,
    OnPiece,
    OnPrompt,
)
from app.core.engine.cancel import CancelToken


class EngineSwitch:
    """The engine protocol over a local engine and a remote one (see the module)."""

    def __init__(self, local_factory: Callable[[], InferenceEngine],
                 remote_factory: Callable[[], InferenceEngine] | None = None) -> None:
        self._local_factory = local_factory
        self._remote_factory = remote_factory or _remote_engine
        self._local: InferenceEngine | None = None
        self._remote: InferenceEngine | None = None
        self._active: InferenceEngine | None = None

    @property
    def local(self) -> InferenceEngine:
        if self._local is None:
            self._local = self._local_factory()
        return self._local

    @property
    def states(self) -> object:
        """The local engine's kept chat states (`StateCache`), where it has them."""
        return getattr(self.local, "states", None)

    @property
    def active(self) -> InferenceEngine | None:
        """The engine holding the model, None before a load."""
        return self._active

    @property
    def model(self) -> ModelInfo | None:
        return self._active.model if self._active is not None else None

    def load(self, spec: LoadSpec) -> ModelInfo:
        if spec.remote is not None:
            if self._remote is None:
                self._remote = self._remote_factory()
            engine, other = self._remote, self._local
        else:
            engine, other = self.local, self._remote
        if other is not None:
            other.unload()
        self._active = None
        info = engine.load(spec)
        self._active = engine
        return info

    def unload(self) -> None:
        for engine in (self._local, self._remote):
            if engine is not None:
                engine.unload()
        self._active = None

    def _engine(self) -> InferenceEngine:
        if self._active is None:
            raise NoModelLoadedError
        return self._active

    def count_tokens(self, text: str) -> int:
        return self._engine().count_tokens(text)

    def use_session(self, session: str | None) -> None:
        if self._active is not None:
            self._active.use_session(session)

    def stream_chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
                    on_piece: OnPiece, cancel: CancelToken | None = None,
                    on_prompt: OnPrompt | None = None) -> GenerationResult:
        return self._engine().stream_chat(messages, params, on_piece, cancel, on_prompt)

    def complete(self, prompt: str, params: GenerationParams, on_piece: OnPiece,
                 cancel: CancelToken | None = None) -> GenerationResult:
        return self._engine().complete(prompt, params, on_piece, cancel)

    def embed(self, texts: Sequence[str], cancel: CancelToken | None = None
              ) -> tuple[list[list[float]], int]:
        return self._engine().embed(texts, cancel)


def _remote_engine() -> InferenceEngine:
    from app.core.engine.remote import RemoteEngine

    return RemoteEngine()
