"""The local server from the window: its switch, the status bar's line and panel, a real OpenAI
client answered through the window's inference thread, a port in use, closing the window; and,
on the real model, the window's chat answered while API requests stream."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QPushButton

from app.core.chat.titles import fallback_title
from app.paths import AppPaths
from app.qt.main_window import MainWindow
from app.qt.server_control import ServerControl, ServerState
from app.qt.viewmodels.conversation_list_model import API_GROUP, Roles, group_title
from app.qt.widgets.server_panel import ServerPanel, ServerStatusButton
from tests.scripted_engine import ScriptedEngine

# A popup on the offscreen platform: it cannot grab the keyboard or raise a window, and says so.
pytestmark = [pytest.mark.qt,
              pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard",
                                        r"This plugin does not support raise\(\)")]
LOAD_TIMEOUT_MS = 60_000
START_TIMEOUT_MS = 30_000
ANSWER_TIMEOUT_MS = 240_000
STORE_WATCH_TIMEOUT_MS = 6_000  # the window asks the store every 2 s


@pytest.fixture
def port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_model(qtbot, window: MainWindow, max_tokens: int = 48) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        window.start()
    window.controller.params = dataclasses.replace(window.controller.params,
                                                   max_tokens=max_tokens, seed=1)


def switch_on(qtbot, window: MainWindow, port: int) -> str:  # type: ignore[no-untyped-def]
    """Turn the server on from the app menu, as the user does; its address."""
    window.controller.settings.set("server.port", port)
    action = window.findChild(QAction, "localServerAction")
    assert isinstance(action, QAction) and not action.isChecked()
    action.trigger()
    assert action.isChecked()
    qtbot.waitUntil(lambda: window.server.state is not ServerState.STARTING,
                    timeout=START_TIMEOUT_MS)
    assert window.server.state is ServerState.ON
    assert window.server.url is not None
    return window.server.url


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run `work` on a thread of its own (the GUI thread must go on processing events); what it
    returned, or raised, lands in the list."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(work())
        except Exception as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def ask(url: str, model: str, question: str) -> Any:
    """One chat completion from the real OpenAI client, its connection closed after."""
    with openai.OpenAI(base_url=url, api_key="x", max_retries=0, timeout=30) as client:
        return client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": question}])


def status(window: MainWindow) -> ServerStatusButton:
    button = window.findChild(ServerStatusButton, "serverStatus")
    assert isinstance(button, ServerStatusButton)
    return button


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def sidebar_rows(window: MainWindow) -> list[str]:
    model = window.sidebar.model
    rows = []
    for row in range(model.rowCount()):
        index = model.index(row)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        rows.append(f"# {text}" if index.data(Roles.IS_HEADER) else text)
    return rows


def test_the_switch_serves_an_openai_client_and_the_panel_counts_its_requests(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine, port: int) -> None:
    # One request at a time: the server then answers with the window's (scripted) engine, not
    # a batched engine of its own on the real model file.
    window.controller.settings.set("server.parallel", 1)
    start_model(qtbot, window)
    button = status(window)
    assert button.text() == "Server: off"
    url = switch_on(qtbot, window, port)
    assert url == f"http://127.0.0.1:{port}/v1"
    assert button.text() == "Server: on"

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the panel opens above it
    panel = button.panel
    assert isinstance(panel, ServerPanel) and panel.isVisible()
    assert panel.address.text() == url
    assert panel.switch.isChecked()
    assert panel.model.text() == f"Model: {window.controller.entry.name}"  # type: ignore[union-attr]
    qtbot.mouseClick(panel.findChild(QPushButton, "serverCopy"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == url

    model = window.controller.entry.name  # type: ignore[union-attr]
    engine.replies.append("Hello from the API.")
    engine.hold.set()  # the answer waits after its first piece: the request stays in flight
    thread, out = in_thread(lambda: ask(url, model, "Hi there"))
    qtbot.waitUntil(lambda: window.server.activity.in_flight == 1, timeout=10_000)
    assert button.text() == "Server on · 1 request"
    assert panel.counts.text() == "1 request in flight · 0 served"
    engine.hold.clear()
    thread.join(10)
    [reply] = out
    assert not isinstance(reply, Exception), reply
    assert reply.choices[0].message.content == "Hello from the API."
    assert reply.choices[0].finish_reason == "stop"
    qtbot.waitUntil(lambda: window.server.activity.served == 1, timeout=5_000)
    assert panel.counts.text() == "0 requests in flight · 1 served"
    assert button.text() == "Server: on"
    assert not panel.error.isVisible()
    # The window's chat saw none of it; nothing was saved (Save API chats is off).
    assert window.controller.model.rowCount() == 0
    assert window.library.chats() == []

    panel.switch.click()  # off from the panel
    qtbot.waitUntil(lambda: window.server.state is ServerState.OFF, timeout=START_TIMEOUT_MS)
    assert button.text() == "Server: off"
    assert not window.findChild(QAction, "localServerAction").isChecked()  # type: ignore[union-attr]
    assert panel.address.text() == "" and not panel.copy.isEnabled()
    assert port_is_free(port)


def test_a_port_in_use_is_one_line_in_the_banner_and_the_switch_goes_back_off(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, port: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen(1)
        window.controller.settings.set("server.port", port)
        action = window.findChild(QAction, "localServerAction")
        assert isinstance(action, QAction)
        with qtbot.waitSignal(window.server.failed, timeout=START_TIMEOUT_MS):
            action.trigger()
    assert window.server.state is ServerState.OFF
    assert not action.isChecked() and action.isEnabled()
    assert window.error_banner.isVisible()
    message = window.error_banner.label.text()
    assert f"port {port} is in use" in message and "\n" not in message
    assert message.startswith("The local server cannot start")
    assert status(window).text() == "Server: off"


def test_closing_the_window_stops_the_server(qtbot, window: MainWindow, port: int) -> None:  # type: ignore[no-untyped-def]
    start_model(qtbot, window)
    switch_on(qtbot, window, port)
    assert not port_is_free(port)
    window.close()  # as the user closes it: the server stops before the inference thread
    assert window.server.state is ServerState.OFF
    assert port_is_free(port)


def test_the_choice_is_remembered_for_the_next_start(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                     paths: AppPaths, port: int) -> None:
    switch_on(qtbot, window, port)
    window.close()  # stops it, but the user left it on

    def next_start() -> ServerControl:  # as the next window's, over the same state file
        control = ServerControl(window.controller.host.runner, window.controller.settings,
                                paths)
        control.restore()
        return control

    again = next_start()
    try:
        qtbot.waitUntil(lambda: again.state is ServerState.ON, timeout=START_TIMEOUT_MS)
        again.set_on(False)
        qtbot.waitUntil(lambda: again.state is ServerState.OFF, timeout=START_TIMEOUT_MS)
    finally:
        again.shutdown()
    assert next_start().state is ServerState.OFF


def test_saved_api_chats_show_in_the_sidebar_under_their_own_header(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine, port: int) -> None:
    start_model(qtbot, window)
    window.controller.settings.set("server.save_chats", True)
    url = switch_on(qtbot, window, port)
    engine.replies.append("Kept.")
    model = window.controller.entry.name  # type: ignore[union-attr]
    thread, out = in_thread(lambda: ask(url, model, "Remember this question"))
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
    assert not isinstance(out[0], Exception), out[0]
    title = fallback_title("Remember this question")
    qtbot.waitUntil(lambda: f"# {group_title(API_GROUP)}" in sidebar_rows(window),
                    timeout=STORE_WATCH_TIMEOUT_MS)
    assert sidebar_rows(window) == [f"# {group_title(API_GROUP)}", title]
    assert window.controller.model.rowCount() == 0  # the window's own chat is untouched


@pytest.mark.model
def test_the_window_answers_while_api_requests_stream(qtbot, real_window: MainWindow,  # type: ignore[no-untyped-def]
                                                     port: int) -> None:
    """Three streaming clients and the window's own question at once, on one inference
    thread: every one of them gets a whole answer of its own, and the API's stay out of the
    window's chat and, with Save API chats off, out of the history."""
    window = real_window
    start_model(qtbot, window, max_tokens=32)
    url = switch_on(qtbot, window, port)
    model = window.controller.entry.name  # type: ignore[union-attr]

    def stream(question: str) -> tuple[str, str | None, float]:
        text, finish = [], None
        with openai.OpenAI(base_url=url, api_key="x", max_retries=0, timeout=180) as client:
            for chunk in client.chat.completions.create(
                    model=model, stream=True, max_tokens=24, seed=7,
                    messages=[{"role": "user", "content": question}]):
                if chunk.choices:
                    text.append(chunk.choices[0].delta.content or "")
                    finish = chunk.choices[0].finish_reason or finish
        return "".join(text), finish, time.monotonic()

    questions = ["Name a fruit.", "Name a colour.", "Name an animal."]
    clients = [in_thread(lambda q=q: stream(q)) for q in questions]
    qtbot.waitUntil(lambda: window.server.activity.in_flight >= 1, timeout=30_000)
    window.composer.setPlainText("Say hello to the lighthouse keeper.")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.composer.submit()
    window_done = time.monotonic()
    for thread, _out in clients:
        qtbot.waitUntil(lambda t=thread: not t.is_alive(), timeout=ANSWER_TIMEOUT_MS)

    result = done.args[0]
    chat = window.controller.model
    assert [chat.message(r).role for r in range(chat.rowCount())] == ["user", "assistant"]
    assert chat.message(1).content == result.text and result.text.strip()
    assert not result.cancelled
    for (_thread, out), question in zip(clients, questions, strict=True):
        [answer] = out
        assert not isinstance(answer, Exception), (question, answer)
        text, finish, _ended = answer
        assert text.strip(), question
        assert finish in ("stop", "length"), (question, finish)
        assert text not in result.text and result.text not in text
    # The lanes took turns: the window's answer did not wait behind all three requests.
    assert window_done < max(out[0][2] for _thread, out in clients)
    qtbot.waitUntil(lambda: window.server.activity.in_flight == 0, timeout=10_000)
    assert window.server.activity.served == len(questions)
    assert window.server.activity.last_error is None
    # Only the window's own chat is in the history: the API's were not saved.
    assert [c.source for c in window.library.chats()] == [None]
    assert f"# {group_title(API_GROUP)}" not in sidebar_rows(window)
