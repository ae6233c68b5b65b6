"""One blocking call (a hub query, a file copy, reading headers) off the GUI thread.

`BackgroundCall(fn).start()` runs `fn` on a thread of its own and reports on the GUI thread, as
Anki's `QueryOp` does: the caller connects `done` and `failed` and never sees a thread. The
public signals are emitted by an object that lives on the GUI thread, so slots, lambdas and
`qtbot.waitSignal` all see them there; only the private `_result` crosses threads, queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.documents.readers import DocumentError
from app.core.engine.gguf import GGUFError
from app.core.models.catalog import CatalogError
from app.core.models.hub import HubError
from app.core.models.library import LibraryError

log = logging.getLogger(__name__)

# Errors whose message is written for the user: shown as they are, without a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (HubError, LibraryError, CatalogError, GGUFError,
                                                DocumentError, OSError)


class _CallThread(QThread):
    """Runs the callable; only its `BackgroundCall`, on the GUI thread, listens (queued).

    Signals:
        _result(bool, object): True and the value, or False and a message for the user.
    """

    _result = Signal(bool, object)

    def __init__(self, fn: Callable[[], Any], what: str) -> None:
        super().__init__()
        self._fn = fn
        self._what = what

    def run(self) -> None:
        try:
            value = self._fn()
        except USER_ERRORS as exc:
            self._result.emit(False, str(exc) or type(exc).__name__)
        except Exception as exc:
            log.exception("%s failed", self._what)
            self._result.emit(False, f"{self._what} failed: {exc}")
        else:
            self._result.emit(True, value)


class BackgroundCall(QObject):
    """Runs `fn()` on a worker thread; its result or error arrives on the GUI thread.

    A call keeps itself alive until it has reported, so callers may drop their reference.

    Signals:
        done(object): what `fn` returned.
        failed(str): a message fit for the user; expected errors (`HubError`, `LibraryError`,
            `OSError`, ...) give their own message, anything else is logged with its traceback.
    """

    done = Signal(object)
    failed = Signal(str)
    _live: ClassVar[set[BackgroundCall]] = set()

    def __init__(self, fn: Callable[[], Any], what: str = "A background task") -> None:
        super().__init__()  # no parent: a parent deleted first would take the call with it
        self._thread = _CallThread(fn, what)
        self._thread.setObjectName(what)
        self._thread._result.connect(self._report)
        self._abandoned = False

    def start(self) -> BackgroundCall:
        BackgroundCall._live.add(self)
        self._thread.start()
        return self

    def is_running(self) -> bool:
        return self in BackgroundCall._live

    def abandon(self) -> None:
        """Nobody wants the result any more (a newer search, a closing window): drop it."""
        self._abandoned = True

    @Slot(bool, object)
    def _report(self, ok: bool, value: object) -> None:
        self._thread.wait()  # run() has returned or is about to: a short wait at most
        BackgroundCall._live.discard(self)
        if self._abandoned:
            return
        if ok:
            self.done.emit(value)
        else:
            self.failed.emit(str(value))

    @classmethod
    def stop_all(cls, timeout_ms: int = 15_000) -> None:
        """At quit: abandon every call and let those still running end, so no thread is
        destroyed while it runs and no result reaches a window that is gone.

        A hub query that hangs ends at the client's own timeout (10 s by default).
        """
        for call in list(cls._live):
            call.abandon()
            if not call._thread.wait(timeout_ms):
                log.warning("%s did not end in %d ms", call._thread.objectName(), timeout_ms)
