"""The inference thread: one QThread owns the engine for the app's lifetime.

The GUI never calls the engine. It asks `EngineHost` (GUI thread), which forwards each request
through a queued signal to `InferenceWorker` (inference thread); answers come back as signals.
Stop cannot be a queued request, since a busy worker runs no queued slot until it is done; it is a
`CancelToken` the GUI sets directly and the engine checks between tokens and during the prompt.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.chat.turns import TurnRequest, answer_turn
from app.core.documents.summary_result import SummaryResult
from app.core.engine import (
    CancelToken,
    ChatMessage,
    EngineError,
    GenerationParams,
    GenerationResult,
    InferenceEngine,
    LoadSpec,
)
from app.core.engine.states import StateCache
from app.core.throttle import Throttle

log = logging.getLogger(__name__)
PIECE_INTERVAL_S = 1 / 15
COUNT_MAX_CHARS = 1_000_000


class _PieceBatcher:
    """Hands pieces on at most once per `interval_s`, joined; the first one at once.

    A fast model makes a token every few milliseconds. A queued signal for each costs the GUI
    thread time that, on a machine whose cores all run llama.cpp, comes out of generation
    speed. The view redraws at most 15 times a second anyway, so batching to 1/15 s shows the
    same thing, and each batch's arrival is the one wake-up of the GUI thread that draws it.
    Pieces kept back go with the next piece that is due, or with `flush` at the end.
    """

    def __init__(self, emit: Callable[[str], None], interval_s: float | None = None) -> None:
        self._emit = emit
        self._pending: list[str] = []
        self._throttle = Throttle(self._send,
                                  PIECE_INTERVAL_S if interval_s is None else interval_s)

    def add(self, text: str) -> None:
        self._pending.append(text)
        self._throttle()

    def flush(self) -> None:
        self._throttle.flush()

    def _send(self) -> None:
        text, self._pending = "".join(self._pending), []
        self._emit(text)


class InferenceWorker(QObject):
    """Runs engine calls on the inference thread and reports through signals only.

    Signals:
        loadStarted(object): a `LoadSpec` is being loaded.
        loaded(object): the `ModelInfo` of the model now loaded.
        loadFailed(str): a load failed; the message is fit for the user. Nothing is loaded.
        piece(int, str): request id and the next piece of its answer (the pieces of up to
            1/15 s, joined).
        finished(int, object): request id and its `GenerationResult` (also when stopped).
        failed(int, str): request id and a message fit for the user.
        progress(int, object): request id and a `SummaryProgress`, before each step of a
            summary (and once before it measures the document).
        summarized(int, object): request id and the `SummaryResult` of documents too long to
            send inline (also when stopped); such a request ends with this, not `finished`.
        counted(object, int): the key a count was asked with, and the tokens of its text.
    """

    loadStarted = Signal(object)
    loaded = Signal(object)
    loadFailed = Signal(str)
    piece = Signal(int, str)
    finished = Signal(int, object)
    failed = Signal(int, str)
    progress = Signal(int, object)
    summarized = Signal(int, object)
    counted = Signal(object, int)

    def __init__(self, engine_factory: Callable[[], InferenceEngine]) -> None:
        super().__init__()
        self._engine_factory = engine_factory
        self._engine: InferenceEngine | None = None

    def _get_engine(self) -> InferenceEngine:
        if self._engine is None:  # built on the inference thread, which owns it from then on
            threading.current_thread().name = "inference"  # in log lines, not "Dummy-1"
            self._engine = self._engine_factory()
        return self._engine

    @Slot(object)
    def load(self, spec: LoadSpec) -> None:
        self.loadStarted.emit(spec)
        try:
            info = self._get_engine().load(spec)
        except EngineError as exc:
            self.loadFailed.emit(str(exc))
        except Exception as exc:
            log.exception("loading %s failed", spec.path)
            self.loadFailed.emit(f"Cannot load {spec.path.name}: {exc}")
        else:
            self.loaded.emit(info)

    @Slot(int, object, object, object)
    def generate(self, request_id: int, messages: Sequence[ChatMessage],
                 params: GenerationParams, cancel: CancelToken) -> None:
        def run(on_piece: Callable[[str], None]) -> GenerationResult:
            engine = self._get_engine()
            engine.use_session(None)  # a one-off prompt: the chat's state is kept aside
            return engine.stream_chat(messages, params, on_piece, cancel)

        self._answer(request_id, run)

    @Slot(int, int)
    def set_state_limits(self, ram_bytes: int, disk_bytes: int) -> None:
        states = getattr(self._get_engine(), "states", None)
        if isinstance(states, StateCache):
            states.set_limits(ram_bytes, disk_bytes)

    @Slot(object)
    def use_session(self, session: str | None) -> None:
        """Make `session` (a chat just opened) the one the engine holds, ahead of its next
        turn: restoring its kept state happens while the user reads and types."""
        engine = self._get_engine()
        if engine.model is not None:
            engine.use_session(session)

    @Slot(int, object, object)
    def answer_turn(self, request_id: int, request: TurnRequest,
                    cancel: CancelToken) -> None:
        self._answer(request_id, lambda on_piece: answer_turn(
            self._get_engine(), request, on_piece=on_piece, cancel=cancel,
            on_progress=lambda p: self.progress.emit(request_id, p)))

    def _answer(self, request_id: int,
                run: Callable[[Callable[[str], None]], GenerationResult | SummaryResult]) -> None:
        """Run one request, its pieces batched, and report how it ended: `finished` (or
        `summarized`), or `failed` with a message for the user."""
        pieces = _PieceBatcher(lambda text: self.piece.emit(request_id, text))
        try:
            try:
                result = run(pieces.add)
            finally:
                pieces.flush()  # every piece arrives before finished or failed
        except EngineError as exc:
            self.failed.emit(request_id, str(exc))
        except Exception as exc:
            log.exception("answering request %d failed", request_id)
            self.failed.emit(request_id, f"The model could not answer: {exc}")
        else:
            if isinstance(result, SummaryResult):
                self.summarized.emit(request_id, result)
            else:
                self.finished.emit(request_id, result)

    @Slot(object, str)
    def count_tokens(self, key: object, text: str) -> None:
        engine = self._get_engine()
        # A book takes llama.cpp seconds to tokenize in one call that nothing can interrupt,
        # holding up any answer asked meanwhile: past this its chip keeps its estimate.
        if engine.model is not None and len(text) <= COUNT_MAX_CHARS:
            self.counted.emit(key, engine.count_tokens(text))

    @Slot()
    def shutdown(self) -> None:
        """Free the model on the thread that owns it, then end the thread."""
        if self._engine is not None:
            self._engine.unload()
        thread = self.thread()
        thread.quit()


class EngineHost(QObject):
    """The GUI thread's handle on the inference thread.

    Signals: those of `InferenceWorker`, re-exposed as `worker`'s; this object adds none.
    """

    _loadRequested = Signal(object)
    _generateRequested = Signal(int, object, object, object)
    _turnRequested = Signal(int, object, object)
    _countRequested = Signal(object, str)
    _sessionRequested = Signal(object)
    _limitsRequested = Signal(int, int)
    _shutdownRequested = Signal()

    def __init__(self, engine_factory: Callable[[], InferenceEngine],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._cancel: CancelToken | None = None
        self._thread = QThread()
        self._thread.setObjectName("inference")
        self.worker = InferenceWorker(engine_factory)
        self.worker.moveToThread(self._thread)
        self._loadRequested.connect(self.worker.load)
        self._generateRequested.connect(self.worker.generate)
        self._turnRequested.connect(self.worker.answer_turn)
        self._countRequested.connect(self.worker.count_tokens)
        self._sessionRequested.connect(self.worker.use_session)
        self._limitsRequested.connect(self.worker.set_state_limits)
        self._shutdownRequested.connect(self.worker.shutdown)
        self._thread.start()

    def load(self, spec: LoadSpec) -> None:
        self.stop()
        self._loadRequested.emit(spec)

    def generate(self, messages: Sequence[ChatMessage], params: GenerationParams) -> int:
        """Queue an answer; returns the id its signals carry."""
        request_id = next(self._ids)
        self._cancel = CancelToken()
        self._generateRequested.emit(request_id, list(messages), params, self._cancel)
        return request_id

    def answer_turn(self, request: TurnRequest) -> int:
        """Queue a turn of a chat: measured, then answered with its documents inline, leaner,
        or summarized part by part, its history cut by the overflow policy if need be; returns
        the id its signals carry."""
        request_id = next(self._ids)
        self._cancel = CancelToken()
        self._turnRequested.emit(request_id, request, self._cancel)
        return request_id

    def count_tokens(self, key: object, text: str) -> None:
        """Ask for the length of `text` in tokens; `worker.counted(key, n)` answers, once the
        inference thread is free, if a model is loaded and the text is at most
        `COUNT_MAX_CHARS` long."""
        self._countRequested.emit(key, text)

    def use_session(self, session: str | None) -> None:
        """Ask the inference thread to get `session`'s kept state ready, once it is free."""
        self._sessionRequested.emit(session)

    def set_state_limits(self, ram_bytes: int, disk_bytes: int) -> None:
        """New budgets for the chats' kept states (`StateCache.set_limits`)."""
        self._limitsRequested.emit(ram_bytes, disk_bytes)

    def stop(self) -> None:
        """Stop the current answer; safe to call at any time."""
        if self._cancel is not None:
            self._cancel.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop, free the model on its thread and wait for the thread to end."""
        if not self._thread.isRunning():
            return
        self.stop()
        self._shutdownRequested.emit()
        if not self._thread.wait(timeout_ms):
            log.warning("the inference thread did not stop in %d ms", timeout_ms)
