"""The GUI's one runner for blocking work: results, progress, Stop and errors on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from app.core.engine.cancel import CancelToken
from app.qt.workers.background import BackgroundCall

pytestmark = [pytest.mark.qt]


def test_progress_then_the_result_arrive_on_the_gui_thread_in_order(qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[object, bool]] = []
    gui = QThread.currentThread()

    def work() -> str:
        for i in range(5):
            call.report(i)
        return "done"

    call = BackgroundCall(work, "Counting")
    call.progressed.connect(lambda v: seen.append((v, QThread.currentThread() is gui)))
    with qtbot.waitSignal(call.done) as done:
        call.start()
    assert done.args == ["done"]
    assert seen == [(i, True) for i in range(5)]
    assert not call.is_running()


def test_stop_ends_the_work_through_its_token_and_says_stopped(qtbot) -> None:  # type: ignore[no-untyped-def]
    cancel = CancelToken()
    started = threading.Event()

    def work() -> None:
        started.set()
        while not cancel.wait(0.01):
            pass
        raise OSError("the file was half written")  # what a stopped job raises is not a failure

    call = BackgroundCall(work, "Waiting", cancel=cancel)
    failed: list[str] = []
    call.failed.connect(failed.append)
    call.start()
    assert started.wait(5)
    with qtbot.waitSignal(call.stopped):
        call.stop()
    assert failed == []


def test_a_failure_is_told_in_the_callers_words_or_the_errors_own(qtbot) -> None:  # type: ignore[no-untyped-def]
    def disk_full() -> None:
        raise OSError(28, "No space left on device")

    explained = BackgroundCall(disk_full, "Saving",
                               explain=lambda exc: f"Cannot save model.gguf: {exc.strerror}")
    with qtbot.waitSignal(explained.failed) as failed:
        explained.start()
    assert failed.args == ["Cannot save model.gguf: No space left on device"]

    def broken() -> None:
        raise RuntimeError("a bug")

    plain = BackgroundCall(broken, "Reading the headers")
    with qtbot.waitSignal(plain.failed) as failed:
        plain.start()
    assert failed.args == ["Reading the headers failed: a bug"]
