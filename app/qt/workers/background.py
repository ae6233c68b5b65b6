"""The GUI's one runner for blocking work off the GUI thread: hub queries, downloads, file
copies, reading documents and headers, probing the hardware.

`BackgroundCall(fn).start()` runs `fn` on a thread of its own and reports on the GUI thread, as
Anki's `QueryOp` does: the caller connects `done`, `failed` (and, for long work, `progressed`
and `stopped`) and never sees a thread. The public signals are emitted by an object that lives
on the GUI thread, so slots, lambdas and `qtbot.waitSignal` all see them there; only the private
signals of its thread cross, queued.

The one other thread of the window is the inference thread (`workers/inference.py`): llama.cpp's
context belongs to one thread for its life, so what needs the model (answers, token counts,
kept states) is queued there instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from app.core.documents.readers import DocumentError
from app.core.engine.cancel import CancelToken
from app.core.engine.gguf import GGUFError
from app.core.models.catalog import CatalogError
from app.core.models.hub import HubError
from app.core.models.library import LibraryError

log = logging.getLogger(__name__)

# Errors whose message is written for the user: shown as they are, without a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (HubError, LibraryError, CatalogError, GGUFError,
                                                DocumentError, OSError)

Explain = Callable[[BaseException], str | None]


class _CallThread(QThread):
    """Runs the callable; only its `BackgroundCall`, on the GUI thread, listens (queued).

    Signals:
        _result(str, object): "done" and the value, "stopped" and None, or "failed" and a
            message for the user. The thread's last act.
        _progress(object): what the callable reported.
    """

    _result = Signal(str, object)
    _progress = Signal(object)

    def __init__(self, fn: Callable[[], Any], what: str, cancel: CancelToken | None,
                 explain: Explain | None) -> None:
        super().__init__()
        self._fn = fn
        self._what = what
        self._cancel = cancel
        self._explain = explain

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception as exc:
            if self._cancel is not None and self._cancel.cancelled:
                self._result.emit("stopped", None)  # it ended because it was asked to
                return
            self._result.emit("failed", self._message(exc))
        else:
            self._result.emit("done", value)

    def _message(self, exc: Exception) -> str:
        told = self._explain(exc) if self._explain is not None else None
        if told:
            return told
        if isinstance(exc, USER_ERRORS):
            return str(exc) or type(exc).__name__
        log.exception("%s failed", self._what or "a background task")
        if self._what:
            #: {task} is what was being done, as its caller says it ("Reading the hardware").
            return QCoreApplication.translate(
                "BackgroundCall", "{task} failed: {reason}").format(task=self._what, reason=exc)
        return QCoreApplication.translate(
            "BackgroundCall", "Something went wrong: {reason}").format(reason=exc)


class BackgroundCall(QObject):
    """Runs `fn()` on a worker thread; its result or error arrives on the GUI thread.

    A call keeps itself alive until it has reported, so callers may drop their reference.
    Long work takes a `cancel` token (see `stop`) and reports how far it is with `report`.

    Signals:
        done(object): what `fn` returned.
        failed(str): a message fit for the user: `explain`'s for the exception if it gives
            one; expected errors (`HubError`, `LibraryError`, `OSError`, ...) give their own
            message; anything else is logged with its traceback and told as "`what` failed:
            …" (so `what`, "Reading the hardware", is in the user's language).
        stopped(): `fn` raised after `stop` (or anyone) set its cancel token.
        progressed(object): a value `fn` passed to `report`, in order, before the end.
    """

    done = Signal(object)
    failed = Signal(str)
    stopped = Signal()
    progressed = Signal(object)
    _live: ClassVar[set[BackgroundCall]] = set()

    def __init__(self, fn: Callable[[], Any], what: str = "", *,
                 cancel: CancelToken | None = None, explain: Explain | None = None) -> None:
        super().__init__()  # no parent: a parent deleted first would take the call with it
        self.cancel = cancel
        self._thread = _CallThread(fn, what, cancel, explain)
        self._thread.setObjectName(what or "background call")
        self._thread._result.connect(self._report)
        self._thread._progress.connect(self._on_progress)
        self._abandoned = False

    def start(self) -> BackgroundCall:
        BackgroundCall._live.add(self)
        self._thread.start()
        return self

    def report(self, value: object) -> None:
        """For `fn`, on its thread: hand `value` to `progressed` on the GUI thread. Each is a
        queued signal, so `fn` reports at most a few times a second (a `Throttle`)."""
        self._thread._progress.emit(value)

    def stop(self) -> None:
        """Ask `fn` to end through its cancel token; `stopped` follows when it has."""
        if self.cancel is not None:
            self.cancel.cancel()

    def is_running(self) -> bool:
        return self in BackgroundCall._live

    def wait(self, timeout_ms: int) -> bool:
        """Block until `fn` has returned (True), or `timeout_ms` passed (False)."""
        return self._thread.wait(timeout_ms)

    def abandon(self) -> None:
        """Nobody wants the result any more (a newer search, a closing window): drop it."""
        self._abandoned = True

    @Slot(object)
    def _on_progress(self, value: object) -> None:
        if not self._abandoned:
            self.progressed.emit(value)

    @Slot(str, object)
    def _report(self, outcome: str, value: object) -> None:
        self._thread.wait()  # run() has returned or is about to: a short wait at most
        BackgroundCall._live.discard(self)
        if self._abandoned:
            return
        if outcome == "done":
            self.done.emit(value)
        elif outcome == "stopped":
            self.stopped.emit()
        else:
            self.failed.emit(str(value))

    @classmethod
    def stop_all(cls, timeout_ms: int = 15_000) -> None:
        """At quit: stop and abandon every call and let those still running end, so no thread
        is destroyed while it runs and no result reaches a window that is gone.

        A hub query that hangs ends at the client's own timeout (10 s by default).
        """
        for call in list(cls._live):
            call.abandon()
            call.stop()
        for call in list(cls._live):
            if not call.wait(timeout_ms):
                log.warning("%s did not end in %d ms", call._thread.objectName(), timeout_ms)
