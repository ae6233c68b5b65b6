"""The window's side of the inference thread: the one `EngineRunner` that owns the engine.

The GUI never calls the engine. It asks `EngineHost` (GUI thread), which hands each request to
the runner as a job in the "window" lane; the job calls `InferenceWorker` there, whose answers
come back as signals. The worker lives in the GUI thread but emits from the runner's, so its
receivers in the GUI thread get each signal queued. The local server hands the same runner jobs
of its own ("api" lane, `EngineHost.runner`): the lanes are served in turn, so a chat answer
waits for at most the request running now.

Stop cannot be a job, since a busy thread runs no new job until it is done; it is a
`CancelToken` the GUI sets directly and the engine checks between tokens and during the prompt.
An answer still waiting for its turn is taken off the queue instead, and ends stopped at once.

An answer queued behind another front-end's job says so (`progress` with a `QueueWait`) until
it starts, so the window shows why nothing comes yet.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from PySide6.QtCore import QObject, Qt, Signal

from app.core.chat.turns import TurnOutcome, TurnRequest, answer_turn, answer_turns
from app.core.documents.summary_result import SummaryResult
from app.core.engine import (
    CancelToken,
    ChatMessage,
    EngineError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    InferenceEngine,
    LoadSpec,
)
from app.core.engine.runner import EngineRunner, QueueWait, RunnerClosedError
from app.core.engine.states import StateCache
from app.core.throttle import PieceBatcher

log = logging.getLogger(__name__)
PIECE_INTERVAL_S = 1 / 15  # the view redraws at most 15 times a second anyway
COUNT_MAX_CHARS = 1_000_000
LANE = "window"  # the runner's lane for the window's jobs (the server's is "api")
STOPPED = GenerationResult("", GenerationStats(0, 0, 0.0, 0.0, "cancelled"))


class InferenceWorker(QObject):
    """Runs engine calls on the inference thread, given its engine, and reports through signals
    only. It belongs to the GUI thread; its methods run on the runner's (`EngineHost`).

    Signals:
        loadStarted(object): a `LoadSpec` is being loaded.
        loaded(object): the `ModelInfo` of the model now loaded.
        loadFailed(str): a load failed; the message is fit for the user. Nothing is loaded.
        piece(int, str): request id and the next piece of its answer (the pieces of up to
            1/15 s, joined).
        finished(int, object): request id and its `GenerationResult` (also when stopped).
        failed(int, str): request id and a message fit for the user.
        progress(int, object): request id and a `TurnProgress`: a `SummaryProgress` before
            each step of a summary (and once before it measures the document), a
            `PromptProgress` while a long prompt is read, a `QueueWait` while an answer waits
            for another front-end's job (emitted by `EngineHost`) and, empty, when it starts.
        summarized(int, object): request id and the `SummaryResult` of documents too long to
            send inline (also when stopped); such a request ends with this, not `finished`.
        counted(object, int): the key a count was asked with, and the tokens of its text.
        noted(str): a line for the user about how a request is answered: fewer answers at
            once than asked, memory being short (a summary's parts, Regenerate ×N).
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
    noted = Signal(str)

    def load(self, engine: InferenceEngine, spec: LoadSpec) -> None:
        self.loadStarted.emit(spec)
        try:
            info = engine.load(spec)
        except EngineError as exc:
            self.loadFailed.emit(str(exc))
        except Exception as exc:
            log.exception("loading %s failed", spec.path)
            self.loadFailed.emit(self.tr("Cannot load {name}: {reason}").format(
                name=spec.path.name, reason=exc))
        else:
            self.loaded.emit(info)

    def generate(self, engine: InferenceEngine, request_id: int,
                 messages: Sequence[ChatMessage], params: GenerationParams,
                 cancel: CancelToken) -> None:
        def run(on_piece: Callable[[str], None]) -> GenerationResult:
            engine.use_session(None)  # a one-off prompt: the chat's state is kept aside
            return engine.stream_chat(messages, params, on_piece, cancel)

        self._answer(request_id, run)

    def set_state_limits(self, engine: InferenceEngine, ram_bytes: int,
                         disk_bytes: int) -> None:
        states = getattr(engine, "states", None)
        if isinstance(states, StateCache):
            states.set_limits(ram_bytes, disk_bytes)

    def use_session(self, engine: InferenceEngine, session: str | None) -> None:
        """Make `session` (a chat just opened) the one the engine holds, ahead of its next
        turn: restoring its kept state happens while the user reads and types."""
        if engine.model is not None:
            engine.use_session(session)

    def answer_turn(self, engine: InferenceEngine, request_id: int, request: TurnRequest,
                    cancel: CancelToken) -> None:
        self._answer(request_id, lambda on_piece: answer_turn(
            engine, request, on_piece=on_piece, cancel=cancel,
            on_progress=lambda p: self.progress.emit(request_id, p), on_note=self.noted.emit))

    def answer_turns(self, engine: InferenceEngine, request_ids: Sequence[int],
                     requests: Sequence[TurnRequest], cancel: CancelToken) -> None:
        """Several turns as one job (the versions of Regenerate ×N), answered together where
        the engine can (`turns.answer_turns`), each reported under its own id as
        `answer_turn`'s is. Their signals may come from threads of their own."""
        batchers = [_pieces(self, request_id) for request_id in request_ids]
        ended: set[int] = set()

        def done(index: int, outcome: TurnOutcome) -> None:
            batchers[index].flush()  # every piece arrives before finished or failed
            ended.add(index)
            self._report(request_ids[index], outcome)

        try:
            answer_turns(engine, requests, cancel=cancel, on_done=done, on_note=self.noted.emit,
                         on_piece=lambda index, text: batchers[index].add(text),
                         on_progress=lambda index, progress: self.progress.emit(
                             request_ids[index], progress))
        except Exception as exc:  # the batch could not be made: none is left waiting
            for index, request_id in enumerate(request_ids):
                if index not in ended:
                    self._report(request_id, exc)

    def _answer(self, request_id: int,
                run: Callable[[Callable[[str], None]], GenerationResult | SummaryResult]) -> None:
        """Run one request, its pieces batched, and report how it ended."""
        pieces = _pieces(self, request_id)
        outcome: TurnOutcome
        try:
            try:
                outcome = run(pieces.add)
            finally:
                pieces.flush()  # every piece arrives before finished or failed
        except Exception as exc:
            outcome = exc
        self._report(request_id, outcome)

    def _report(self, request_id: int, outcome: TurnOutcome) -> None:
        """How a request ended: `finished` (or `summarized`), or `failed` with a message for
        the user."""
        if isinstance(outcome, EngineError):
            self.failed.emit(request_id, str(outcome))
        elif isinstance(outcome, Exception):
            log.error("answering request %d failed", request_id, exc_info=outcome)
            self.failed.emit(request_id, self.tr("The model could not answer: {reason}").format(
                reason=outcome))
        elif isinstance(outcome, SummaryResult):
            self.summarized.emit(request_id, outcome)
        else:
            self.finished.emit(request_id, outcome)

    def count_tokens(self, engine: InferenceEngine, key: object, text: str) -> None:
        # A book takes llama.cpp seconds to tokenize in one call that nothing can interrupt,
        # holding up any answer asked meanwhile: past this its chip keeps its estimate.
        if engine.model is not None and len(text) <= COUNT_MAX_CHARS:
            self.counted.emit(key, engine.count_tokens(text))


def _pieces(worker: InferenceWorker, request_id: int) -> PieceBatcher:
    """A request's pieces, emitted joined at most every `PIECE_INTERVAL_S`."""
    return PieceBatcher(lambda text: worker.piece.emit(request_id, text), PIECE_INTERVAL_S)


class EngineHost(QObject):
    """The GUI thread's handle on the inference thread: each call is a job in the "window"
    lane of `runner`, which the local server shares (see the module).

    Signals: those of `InferenceWorker`, re-exposed as `worker`'s; this object adds none of
    its own (`_later` is private).
    """

    # A call to make on the GUI thread once the events already queued are handled: what this
    # object emits on the worker's behalf then arrives in order with what the jobs emit, and
    # after the caller has the request's id.
    _later = Signal(object)

    def __init__(self, engine_factory: Callable[[], InferenceEngine],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._cancel: CancelToken | None = None
        # The latest answer's ids (several for Regenerate ×N) and its job.
        self._queued: tuple[tuple[int, ...], Future[None]] | None = None
        self._closed = False
        self._later.connect(self._call, Qt.ConnectionType.QueuedConnection)
        # Not a child of this object: a job still running at quit may emit on it after the
        # window, and this host with it, are gone.
        self.worker = InferenceWorker()
        self.runner = EngineRunner(engine_factory, name="inference")

    def load(self, spec: LoadSpec) -> None:
        self.stop()
        self._submit(lambda engine: self.worker.load(engine, spec))

    def generate(self, messages: Sequence[ChatMessage], params: GenerationParams) -> int:
        """Queue an answer; returns the id its signals carry."""
        request_id = next(self._ids)
        self._cancel = cancel = CancelToken()
        messages = list(messages)
        self._submit_answer((request_id,), lambda engine: self.worker.generate(
            engine, request_id, messages, params, cancel))
        return request_id

    def answer_turn(self, request: TurnRequest) -> int:
        """Queue a turn of a chat: measured, then answered with its documents inline, leaner,
        or summarized part by part, its history cut by the overflow policy if need be; returns
        the id its signals carry."""
        request_id = next(self._ids)
        self._cancel = cancel = CancelToken()
        self._submit_answer((request_id,), lambda engine: self.worker.answer_turn(
            engine, request_id, request, cancel))
        return request_id

    def answer_turns(self, requests: Sequence[TurnRequest]) -> list[int]:
        """Queue several turns as one job, answered together where the engine can (the
        versions of Regenerate ×N); returns the ids their signals carry, in order. `stop`
        stops them all."""
        request_ids = tuple(next(self._ids) for _request in requests)
        self._cancel = cancel = CancelToken()
        requests = list(requests)
        self._submit_answer(request_ids, lambda engine: self.worker.answer_turns(
            engine, request_ids, requests, cancel))
        return list(request_ids)

    def count_tokens(self, key: object, text: str) -> None:
        """Ask for the length of `text` in tokens; `worker.counted(key, n)` answers, once the
        inference thread is free, if a model is loaded and the text is at most
        `COUNT_MAX_CHARS` long."""
        self._submit(lambda engine: self.worker.count_tokens(engine, key, text))

    def use_session(self, session: str | None) -> None:
        """Ask the inference thread to get `session`'s kept state ready, once it is free."""
        self._submit(lambda engine: self.worker.use_session(engine, session))

    def set_state_limits(self, ram_bytes: int, disk_bytes: int) -> None:
        """New budgets for the chats' kept states (`StateCache.set_limits`)."""
        self._submit(lambda engine: self.worker.set_state_limits(engine, ram_bytes, disk_bytes))

    def stop(self) -> None:
        """Stop the current answer; safe to call at any time. One that has not started yet
        never does: it ends stopped, with nothing written, at once (`finished`, queued)."""
        if self._cancel is not None:
            self._cancel.cancel()
        queued, self._queued = self._queued, None
        if queued is not None and queued[1].cancel():
            request_ids = queued[0]

            def stopped() -> None:
                for request_id in request_ids:
                    self.worker.finished.emit(request_id, STOPPED)

            self._later.emit(stopped)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop, free the model on its thread and wait for the thread to end; safe to repeat.
        A server sharing the runner is stopped first (by the window)."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        self.runner.shutdown(timeout_ms / 1000, last=_unload)

    def _submit_answer(self, request_ids: tuple[int, ...],
                       answer: Callable[[InferenceEngine], None]) -> None:
        """Queue an answer (or several, as one job); while another front-end's job goes
        first, their progress says so, until they start (an empty `QueueWait`, in case they
        show nothing before their first piece)."""
        ahead = None if self._closed else self.runner.busy_elsewhere(LANE)
        if ahead is not None:
            self._later.emit(lambda: self._tell_wait(request_ids, QueueWait(ahead)))

        def job(engine: InferenceEngine) -> None:
            if ahead is not None:
                self._tell_wait(request_ids, QueueWait(None))
            answer(engine)

        future = self._submit(job)
        self._queued = (request_ids, future) if future is not None else None

    def _tell_wait(self, request_ids: tuple[int, ...], wait: QueueWait) -> None:
        for request_id in request_ids:
            self.worker.progress.emit(request_id, wait)

    def _submit(self, job: Callable[[InferenceEngine], None]) -> Future[None] | None:
        try:
            future = self.runner.submit(LANE, job)
        except RunnerClosedError:  # the window is closing: nothing runs any more
            return None
        future.add_done_callback(_log_failure)
        return future

    def _call(self, call: Callable[[], None]) -> None:
        call()


def _unload(engine: InferenceEngine) -> None:
    """The runner's last job: free the model on the thread that owns it."""
    try:
        engine.unload()
    except Exception:
        log.exception("freeing the model failed")


def _log_failure(future: Future[None]) -> None:
    """A job's error would otherwise stay in a future nobody reads."""
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.error("a job on the inference thread failed", exc_info=exc)
