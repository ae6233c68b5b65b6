"""The window's answer while the inference thread answers a request to the local server: it
says it waits, until it starts; a Stop while it waits ends it at once, and it never starts."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator, Sequence

import pytest

from app.core.engine import ChatMessage
from app.qt.controller import ChatState
from app.qt.main_window import MainWindow
from tests.scripted_engine import ScriptedEngine

pytestmark = [pytest.mark.qt]
LOAD_TIMEOUT_MS = 60_000
ANSWER_TIMEOUT_MS = 30_000
WAITING = "Waiting for a request to the local server to finish…"
StartRequest = Callable[[], threading.Event]


def start(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        window.start()
    window.controller.params = dataclasses.replace(window.controller.params, max_tokens=48)
    window.controller.auto_titles = False


@pytest.fixture
def api_request(window: MainWindow) -> Iterator[StartRequest]:
    """Starts a request to the local server on the window's inference thread, which runs
    until the event it returns is set (at the end of the test at the latest)."""
    ends: list[threading.Event] = []

    def begin() -> threading.Event:
        running, done = threading.Event(), threading.Event()
        ends.append(done)

        def request(_engine: object) -> None:
            running.set()
            done.wait(10)

        window.controller.host.runner.submit("api", request)
        assert running.wait(10)
        return done

    yield begin
    for done in ends:
        done.set()


def test_an_answer_says_it_waits_for_the_local_server_then_streams(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine, api_request: StartRequest) -> None:
    """There was only "Generating…" over the answer until the API's request ended."""
    start(qtbot, window)
    request = api_request()
    started, go_on = threading.Event(), threading.Event()

    def reply(_messages: Sequence[ChatMessage]) -> str:  # the answer has started, no piece yet
        started.set()
        go_on.wait(10)
        return "The lamp was lit."

    engine.replies.append(reply)
    window.composer.setPlainText("Is the lamp lit?")
    window.composer.submit()
    widget = window.chat_view.message_widget(1)
    qtbot.waitUntil(lambda: WAITING in widget.plain_text())
    assert window.status.currentMessage() == WAITING  # also there, the answer may be out of view
    assert window.controller.model.message(1).content == ""
    assert window.controller.state is ChatState.GENERATING

    request.set()  # the request ends: the answer starts, and the line goes before any piece
    assert started.wait(10)
    qtbot.waitUntil(lambda: WAITING not in widget.plain_text())
    assert window.controller.model.message(1).progress == ""
    assert window.status.currentMessage() == ""
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        go_on.set()
    answer = window.controller.model.message(1)
    assert answer.content == "The lamp was lit." and not answer.cancelled
    assert answer.progress == ""
    assert WAITING not in window.chat_view.message_widget(1).plain_text()


def test_the_first_piece_takes_the_place_of_the_waiting_line(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine, api_request: StartRequest) -> None:
    start(qtbot, window)
    request = api_request()
    engine.replies.append("Once upon a time.")
    engine.hold.set()  # the answer stops after its first piece
    window.composer.setPlainText("Tell me a story.")
    window.composer.submit()
    widget = window.chat_view.message_widget(1)
    qtbot.waitUntil(lambda: WAITING in widget.plain_text())
    request.set()
    qtbot.waitUntil(lambda: window.controller.model.message(1).content == "Once")
    qtbot.waitUntil(lambda: "Once" in widget.plain_text())
    assert WAITING not in widget.plain_text()
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        engine.hold.clear()
    assert window.controller.model.message(1).content == "Once upon a time."


def test_stop_while_waiting_ends_the_answer_at_once(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine, api_request: StartRequest) -> None:
    """The answer is taken off the queue: stopped with nothing written, while the API's request
    still runs, and the model never sees it; the next question is answered as usual."""
    start(qtbot, window)
    request = api_request()
    window.composer.setPlainText("Is the lamp lit?")
    window.composer.submit()
    widget = window.chat_view.message_widget(1)
    qtbot.waitUntil(lambda: WAITING in widget.plain_text())
    asked = len(engine.asked)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=2_000) as finished:
        window.stop_button.click()
    assert finished.args[0].cancelled
    assert window.controller.state is ChatState.READY
    assert not request.is_set()  # the request to the server still runs
    answer = window.controller.model.message(1)
    assert answer.cancelled and answer.content == "" and answer.progress == ""
    assert WAITING not in window.chat_view.message_widget(1).plain_text()
    assert window.status.currentMessage() == ""
    saved = window.controller.store.load(window.controller.conversation.id)  # type: ignore[arg-type]
    assert saved.path()[1].stats is not None and not saved.path()[1].streaming

    request.set()
    engine.replies.append("It is.")
    window.composer.setPlainText("And now?")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    assert len(engine.asked) == asked + 1  # the stopped answer never reached the model
    assert window.controller.model.message(3).content == "It is."
    assert WAITING not in window.chat_view.message_widget(3).plain_text()


def test_an_answer_with_nothing_ahead_says_nothing_of_waiting(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine) -> None:
    start(qtbot, window)
    shown: list[str] = []
    window.controller.progressChanged.connect(shown.append)
    engine.replies.append("Yes.")
    window.composer.setPlainText("Is the lamp lit?")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    assert not any("Waiting" in text for text in shown)
    assert window.controller.model.message(1).content == "Yes."
