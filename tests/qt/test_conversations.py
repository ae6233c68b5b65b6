"""Conversations in the window: saved as they stream, listed, searched, edited as versions."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView

from app.cli import main as cli_main
from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.chat.titles import clean_title
from app.paths import AppPaths
from app.qt import dialogs
from app.qt.controller import ChatState
from app.qt.main_window import MainWindow
from tests.scripted_engine import ScriptedEngine

pytestmark = [pytest.mark.qt]
LOAD_TIMEOUT_MS = 60_000
ANSWER_TIMEOUT_MS = 180_000


def start(qtbot, win: MainWindow, max_tokens: int = 24, seed: int = 1) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(win.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        win.start()
    win.controller.auto_titles = False
    win.controller.params = dataclasses.replace(win.controller.params, max_tokens=max_tokens,
                                                seed=seed)


def ask(qtbot, win: MainWindow, text: str) -> None:  # type: ignore[no-untyped-def]
    win.composer.setPlainText(text)
    with qtbot.waitSignal(win.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        win.composer.submit()


def new_chat(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+N, as the user presses it: a shortcut needs the window active."""
    with qtbot.waitActive(win):
        win.activateWindow()
    QTest.keySequence(win, QKeySequence.StandardKey.New)


def shown(win: MainWindow) -> list[str]:
    model = win.controller.model
    return [model.message(r).content for r in range(model.rowCount())]


def saved_chat(paths: AppPaths, *texts: str, title: str = "") -> Conversation:
    """A chat written straight to the store, as an earlier session would have left it."""
    store = ConversationStore.open_in(paths.data_dir)
    conversation = Conversation(title=title)
    for i, text in enumerate(texts):
        last = conversation.last()
        store.add_message(conversation, Message("user" if i % 2 == 0 else "assistant", text,
                                                parent_id=last.id if last else None))
    store.close()
    return conversation


def test_a_chat_is_saved_listed_and_seen_by_the_cli(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                     paths: AppPaths, capsys) -> None:
    start(qtbot, window)
    ask(qtbot, window, "What is the capital of France?")
    conversation = window.controller.conversation
    assert conversation.id is not None
    assert window.sidebar.selected_id() == conversation.id
    assert window.sidebar.model.row_of(conversation.id) is not None
    assert "capital of France" in window.windowTitle()

    again = ConversationStore.open_in(paths.data_dir).load(conversation.id)
    assert [m.content for m in again.path()] == shown(window)
    assert again.path()[1].stats is not None and again.model == "SmolLM2 135M Instruct"
    assert again.system_prompt == window.preset_bar.system_prompt()

    assert cli_main(["chats", "list", "--data-dir", str(paths.config_dir.parent)]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith(f"{conversation.id}\t")


def test_the_answer_is_on_disk_while_it_streams(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                paths: AppPaths, engine: ScriptedEngine) -> None:
    start(qtbot, window, max_tokens=2000)
    engine.replies.append("Once upon a time, a keeper kept a light.")
    engine.hold.set()  # the answer goes on until Stop
    window.composer.setPlainText("Write a very long story about a lighthouse keeper.")
    window.composer.submit()
    reader = ConversationStore.open_in(paths.data_dir)

    def partial_on_disk() -> bool:
        conversation_id = window.controller.conversation.id
        if conversation_id is None:
            return False
        path = reader.load(conversation_id).path()
        return len(path) == 2 and len(path[1].content) > 0

    qtbot.waitUntil(partial_on_disk, timeout=ANSWER_TIMEOUT_MS)
    assert window.controller.state is ChatState.GENERATING  # written before the end
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.controller.stop()
    answer = reader.load(window.controller.conversation.id).path()[1]  # type: ignore[arg-type]
    assert answer.stats is not None and answer.stats.finish_reason == "cancelled"
    assert answer.error is None and answer.content == shown(window)[1] == "Once"


def test_an_edited_question_keeps_both_versions(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    start(qtbot, window)
    ask(qtbot, window, "Name a colour.")
    ask(qtbot, window, "Name a fruit.")
    first_answers = shown(window)
    question = window.controller.model.message(2)

    qtbot.mouseClick(window.chat_view.message_widget(2).redo_button, Qt.MouseButton.LeftButton)
    assert window.edit_bar.isVisible() and window.composer.toPlainText() == "Name a fruit."
    window.composer.setPlainText("Name a vegetable.")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    assert not window.edit_bar.isVisible()
    edited = shown(window)
    assert edited[:2] == first_answers[:2] and edited[2] == "Name a vegetable."

    widget = window.chat_view.message_widget(2)
    assert widget.version_label.text() == "2/2" and widget.previous_version.isVisible()
    qtbot.mouseClick(widget.previous_version, Qt.MouseButton.LeftButton)
    assert shown(window) == first_answers  # the question as it was, and its answer
    assert window.chat_view.message_widget(2).version_label.text() == "1/2"
    qtbot.mouseClick(window.chat_view.message_widget(2).next_version, Qt.MouseButton.LeftButton)
    assert shown(window) == edited

    # Saved: the chat opened afresh shows the chosen version and keeps the other.
    reopened = window.controller.store.load(window.controller.conversation.id)  # type: ignore[arg-type]
    assert question.id in reopened
    assert [m.content for m in reopened.path()] == edited
    assert len(reopened) == 6


def test_regenerate_adds_a_version_of_the_answer(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                 engine: ScriptedEngine) -> None:
    start(qtbot, window)
    engine.replies.extend(["Cats purr.", "Cats nap."])
    ask(qtbot, window, "Say something about cats.")
    first = shown(window)[1]
    window.controller.params = dataclasses.replace(window.controller.params, seed=2,
                                                   temperature=1.0)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        qtbot.mouseClick(window.chat_view.message_widget(1).redo_button,
                         Qt.MouseButton.LeftButton)
    assert window.chat_view.message_widget(1).version_label.text() == "2/2"
    assert shown(window) == ["Say something about cats.", "Cats nap."]
    assert engine.params[-1].temperature == 1.0 and engine.params[-1].seed == 2
    assert engine.asked[-1] == engine.asked[0]  # the same question, without the first answer
    window.controller.switch_version(window.controller.model.message(1).id, -1)  # type: ignore[arg-type]
    assert shown(window)[1] == first


def test_search_opens_the_chat_at_the_message_even_in_another_version(  # type: ignore[no-untyped-def]
        qtbot, paths: AppPaths) -> None:
    from app.qt.application import build_window

    filler = [f"filler line {i} " * 20 for i in range(40)]
    saved_chat(paths, "about apples", "apples are red", title="Fruit")
    long_chat = saved_chat(paths, *filler, "the secret word is lighthouse", "noted",
                           title="Long")
    store = ConversationStore.open_in(paths.data_dir)
    # Another version of the last question: the one with the word is not the one shown.
    before = long_chat.path()[-3]
    store.add_message(long_chat, Message("user", "something else", parent_id=before.id))
    store.close()

    win, host = build_window(paths)
    qtbot.addWidget(win)
    win.resize(900, 600)
    win.show()
    try:
        with qtbot.waitSignal(win.sidebar.search_results.model().rowsInserted, timeout=5000):
            QTest.keyClicks(win.sidebar.search_box, "lighthous")
        results = win.sidebar.search_results
        assert results.count() == 1
        rect = results.visualItemRect(results.item(0))
        qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert win.controller.conversation.id == long_chat.id
        assert shown(win)[-2] == "the secret word is lighthouse"
        row = len(shown(win)) - 2
        widget = win.chat_view.message_widget(row)
        qtbot.waitUntil(lambda: not widget.visibleRegion().isEmpty())
        assert win.sidebar.selected_id() == long_chat.id
    finally:
        win.shutdown()
        host.shutdown()


def test_new_chat_rename_and_delete_with_undo(qtbot, paths: AppPaths) -> None:  # type: ignore[no-untyped-def]
    from app.qt.application import build_window

    chat = saved_chat(paths, "hello there", "hi", title="Greeting")
    win, host = build_window(paths)
    qtbot.addWidget(win)
    win.show()
    try:
        win.open_conversation(chat.id)  # type: ignore[arg-type]
        assert shown(win) == ["hello there", "hi"]
        new_chat(qtbot, win)
        assert shown(win) == [] and win.controller.conversation.id is None
        assert win.sidebar.selected_id() is None

        win.open_conversation(chat.id)  # type: ignore[arg-type]
        model = win.sidebar.model
        model.setData(model.index(model.row_of(chat.id)), "Renamed", Qt.ItemDataRole.EditRole)  # type: ignore[arg-type]
        assert win.controller.conversation.title == "Renamed"
        assert win.windowTitle().startswith("Renamed")

        win.sidebar.delete_conversation(chat.id)  # type: ignore[arg-type]
        assert win.controller.conversation.id is None  # the open chat went with it
        assert model.row_of(chat.id) is None and win.sidebar.undo_bar.isVisible()
        qtbot.mouseClick(win.sidebar.undo_button, Qt.MouseButton.LeftButton)
        assert model.row_of(chat.id) is not None
        # Back in the list and in the view: it was selected over an empty view.
        assert win.sidebar.selected_id() == win.controller.conversation.id == chat.id
        assert shown(win) == ["hello there", "hi"]
    finally:
        win.shutdown()
        host.shutdown()


def test_a_chat_deleted_in_one_session_is_gone_with_its_state_at_the_next(  # type: ignore[no-untyped-def]
        qtbot, paths: AppPaths) -> None:
    """Undo lasts one session: the next window purges the chat, and its kept model state
    with it, as it opens."""
    import array

    from app.core.engine.states import Snapshot, StateCache, chat_session
    from app.qt.application import build_window

    gone = saved_chat(paths, "forget me", "forgotten", title="Gone")
    kept = saved_chat(paths, "keep me", "kept", title="Kept")
    cache = StateCache(paths.states_dir, ram_bytes=0, disk_bytes=1 << 20, min_tokens=1)
    for chat in (gone, kept):
        assert chat.id is not None
        cache.keep(chat_session(chat.id), "0123456789abcdef",
                   Snapshot(array.array("i", [1, 2]), b"kv"))
    cache.flush()
    for session in range(2):
        win, host = build_window(paths)
        qtbot.addWidget(win)
        try:
            if session == 0:
                win.sidebar.delete_conversation(gone.id)  # type: ignore[arg-type]
            else:
                assert win.sidebar.model.row_of(gone.id) is None  # type: ignore[arg-type]
                assert win.sidebar.model.row_of(kept.id) is not None  # type: ignore[arg-type]
        finally:
            win.shutdown()
            host.shutdown()
    left = sorted(p.name.split(".")[0] for p in paths.states_dir.iterdir())
    assert left == [chat_session(kept.id)]  # type: ignore[arg-type]


def test_messages_can_be_copied_and_deleted(qtbot, paths: AppPaths,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from app.qt.application import build_window

    chat = saved_chat(paths, "first question", "first answer", "second question",
                      "second **answer**")
    win, host = build_window(paths)
    qtbot.addWidget(win)
    win.show()
    try:
        win.open_conversation(chat.id)  # type: ignore[arg-type]
        qtbot.mouseClick(win.chat_view.message_widget(3).copy_button, Qt.MouseButton.LeftButton)
        assert QGuiApplication.clipboard().text() == "second **answer**"

        asked: list[str] = []
        monkeypatch.setattr(dialogs, "confirm",
                            lambda _parent, _title, text: asked.append(text) or True)
        qtbot.mouseClick(win.chat_view.message_widget(2).delete_button,
                         Qt.MouseButton.LeftButton)
        assert asked and "the one after it" in asked[0]
        assert shown(win) == ["first question", "first answer"]
        assert [m.content for m in win.controller.store.load(chat.id).path()] == shown(win)  # type: ignore[arg-type]
    finally:
        win.shutdown()
        host.shutdown()


def test_the_system_prompt_and_preset_are_kept_with_the_chat(qtbot, paths: AppPaths) -> None:  # type: ignore[no-untyped-def]
    from app.qt.application import build_window

    chat = saved_chat(paths, "Bonjour", "Hello")
    win, host = build_window(paths)
    qtbot.addWidget(win)
    win.show()
    try:
        win.open_conversation(chat.id)  # type: ignore[arg-type]
        translate = win.presets.get("translate")
        assert translate is not None
        win.controller.apply_preset(translate, "German")
        win.preset_bar.systemPromptEdited.emit("Translate into German, formally.")
        saved = win.controller.store.load(chat.id)  # type: ignore[arg-type]
        assert saved.preset == "translate"
        assert saved.system_prompt == "Translate into German, formally."
        assert saved.params is not None and saved.params.temperature == pytest.approx(0.2)

        new_chat(qtbot, win)
        win.open_conversation(chat.id)  # type: ignore[arg-type]
        assert win.preset_bar.system_prompt() == "Translate into German, formally."
        assert win.preset_bar.current_preset() == translate
    finally:
        win.shutdown()
        host.shutdown()


def test_export_writes_markdown_and_json_that_imports_back(qtbot, paths: AppPaths,  # type: ignore[no-untyped-def]
                                                           tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from app.qt.application import build_window

    chat = saved_chat(paths, "What is 2+2?", "It is **4**.", title="Sums")
    win, host = build_window(paths)
    qtbot.addWidget(win)
    try:
        markdown, as_json = tmp_path / "sums.md", tmp_path / "sums.json"
        monkeypatch.setattr(dialogs, "export_path",
                            lambda _parent, _name: (str(markdown), "Markdown"))
        win.export_conversation(chat.id)
        text = markdown.read_text(encoding="utf-8")
        assert "What is 2+2?" in text and "It is **4**." in text

        monkeypatch.setattr(dialogs, "export_path", lambda _parent, _name: (str(as_json), "JSON"))
        win.export_conversation(chat.id)
        assert json.loads(as_json.read_text(encoding="utf-8"))["conversations"][0]["title"] == \
            "Sums"
        ids = win.import_conversations(str(as_json))
        assert len(ids) == 1 and ids[0] != chat.id
        assert [m.content for m in win.controller.store.load(ids[0]).path()] == [
            "What is 2+2?", "It is **4**."]
        assert win.sidebar.model.row_of(ids[0]) is not None

        (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
        assert win.import_conversations(str(tmp_path / "bad.json")) == []
        assert "bad.json" in win.error_banner.label.text()
    finally:
        win.shutdown()
        host.shutdown()


def test_the_model_titles_a_new_chat_when_idle(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                               engine: ScriptedEngine) -> None:
    start(qtbot, window)
    engine.replies.extend(["Knead, rest and bake.", '"Home Bread Baking."'])
    window.controller.auto_titles = True
    ask(qtbot, window, "How do I bake bread at home?")
    assert window.controller._title_request is not None  # asked as soon as the answer is in
    qtbot.waitUntil(lambda: window.controller._title_request is None, timeout=ANSWER_TIMEOUT_MS)
    assert window.controller._title_text.strip()
    conversation = window.controller.conversation
    reply = window.controller._title_text
    expected = clean_title(reply)
    assert expected == "Home Bread Baking" and conversation.title == expected
    assert window.controller.store.load(conversation.id).title == expected  # type: ignore[arg-type]


@pytest.mark.model
def test_the_window_and_the_terminal_save_a_turn_alike(  # type: ignore[no-untyped-def]
        qtbot, real_window: MainWindow, paths: AppPaths, tmp_path: Path) -> None:
    """Both go through the one chat service: the same turn leaves the same rows (on the real
    model, greedy, so that the answers are the same too)."""
    window = real_window
    import sqlite3
    import subprocess
    import sys

    start(qtbot, window, max_tokens=12)
    window.controller.params = dataclasses.replace(window.controller.params, temperature=0.0)
    ask(qtbot, window, "What is the capital of France?")
    shown_chat = window.controller.conversation
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    terminal = tmp_path / "terminal"
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(terminal), "chat", "--seed", "1",
         "--temperature", "0", "--max-tokens", "12", "--system", shown_chat.system_prompt,
         "What is the capital of France?"], capture_output=True, text=True, env=env,
        timeout=300, check=False)
    assert done.returncode == 0, done.stderr

    def rows(data_dir: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        db = sqlite3.connect(data_dir / "chats.db")
        try:
            chats = db.execute("SELECT title, system_prompt, model, model_path, deleted_at "
                               "FROM conversations").fetchall()
            messages = db.execute(
                "SELECT role, content, parent_id, chosen, complete, model, error, attachments, "
                "details, json_extract(stats, '$.finish_reason') FROM messages "
                "ORDER BY id").fetchall()
        finally:
            db.close()
        return chats, messages

    assert rows(paths.data_dir) == rows(terminal / "data")


def test_a_stopped_answer_still_gets_a_title(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                             engine: ScriptedEngine) -> None:
    """Three stopped stories kept three identical "Write a 1000-word story about a…" titles."""
    start(qtbot, window, max_tokens=2000)
    engine.replies.extend(["The keeper climbed the stairs every night.", "The Keeper's Night"])
    window.controller.auto_titles = True
    engine.hold.set()
    window.composer.setPlainText("Write a 1000-word story about a lighthouse keeper.")
    with qtbot.waitSignal(window.controller.model.dataChanged, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.controller.stop()
    engine.hold.clear()
    assert done.args[0].cancelled
    qtbot.waitUntil(lambda: window.controller.conversation.title == "The Keeper's Night",
                    timeout=ANSWER_TIMEOUT_MS)
    # Asked from the question and what the answer had written when it was stopped.
    assert "lighthouse keeper.\n\nThe\"" in engine.asked[-1][-1].content


def test_chats_written_by_another_process_show_without_a_restart(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths) -> None:
    """`lamplight chat` beside the open window: its chat is listed, and a turn it adds to the
    chat the window shows appears there, as soon as the window looks (every 2 s)."""
    opened = saved_chat(paths, "first question", "first answer", title="Shared")
    qtbot.waitUntil(lambda: window.sidebar.model.row_of(opened.id) is not None,  # type: ignore[arg-type]
                    timeout=10_000)
    window.open_conversation(opened.id)  # type: ignore[arg-type]
    assert shown(window) == ["first question", "first answer"]

    store = ConversationStore.open_in(paths.data_dir)  # as the terminal would
    chat = store.load(opened.id)  # type: ignore[arg-type]
    last = chat.last()
    store.add_message(chat, Message("user", "asked in the terminal", parent_id=last.id if last
                                    else None))
    store.close()
    qtbot.waitUntil(lambda: shown(window)[-1:] == ["asked in the terminal"], timeout=10_000)


def test_f2_renames_the_chosen_chat_wherever_the_focus_is(qtbot, paths: AppPaths) -> None:  # type: ignore[no-untyped-def]
    """F2 did nothing in two of three tries right after a click on a chat (the list's own key
    needs the list focused, with a current row)."""
    from PySide6.QtWidgets import QLineEdit

    from app.qt.application import build_window

    chat = saved_chat(paths, "hello there", "hi", title="Greeting")
    win, host = build_window(paths)
    qtbot.addWidget(win)
    win.show()
    try:
        with qtbot.waitActive(win):
            win.activateWindow()
        row = win.sidebar.model.row_of(chat.id)  # type: ignore[arg-type]
        rect = win.sidebar.conversation_list.visualRect(win.sidebar.model.index(row))  # type: ignore[arg-type]
        qtbot.mouseClick(win.sidebar.conversation_list.viewport(), Qt.MouseButton.LeftButton,
                         pos=rect.center())
        assert win.controller.conversation.id == chat.id
        win.composer.setFocus()  # where opening a chat may leave it
        QTest.keyClick(win, Qt.Key.Key_F2)
        qtbot.waitUntil(lambda: win.sidebar.conversation_list.state()
                        == QAbstractItemView.State.EditingState)
        editor = win.sidebar.conversation_list.findChild(QLineEdit)
        assert editor is not None and editor.text() == "Greeting"
    finally:
        win.shutdown()
        host.shutdown()
