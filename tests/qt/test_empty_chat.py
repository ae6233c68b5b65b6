"""The conversation as a modern chat shows it: an empty chat that offers ways to start, a
reading column of bounded width, the user's words in a bubble at the right, a code block's bar
with a Copy button, and action buttons made only for the messages the pointer visits."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QEnterEvent, QFontMetricsF, QGuiApplication, QTextCursor
from PySide6.QtWidgets import QApplication, QToolButton

from app.core.chat.conversation import Message
from app.core.chat.markdown import COPY_SCHEME, MarkdownRenderer
from app.core.engine import ModelInfo
from app.core.models.library import ModelEntry
from app.qt.appearance import apply_appearance
from app.qt.controller import ChatState
from app.qt.main_window import MainWindow
from app.qt.viewmodels.conversation_model import ConversationModel
from app.qt.widgets.chat_view import ChatView
from app.qt.widgets.empty_chat import StarterCard, model_summary, starters
from app.qt.widgets.message_widget import BUBBLE_CHARS, MessageWidget, text_width
from tests.qt import look
from tests.qt.test_chat_view import marked_language
from tests.qt.test_main_window import ANSWER_TIMEOUT_MS, start_and_wait
from tests.scripted_engine import ScriptedEngine

pytestmark = [pytest.mark.qt]

CODE = 'with open("notes.txt") as f:\n    print(f.read())'
LONG_ANSWER = ("A model's context window is the text it can see at once: your messages, its "
               "answers and any documents, counted in tokens. ") * 6


def view_of(qtbot, *messages: Message, width: int = 1600) -> ChatView:  # type: ignore[no-untyped-def]
    model = ConversationModel()
    view = ChatView()
    qtbot.addWidget(view)
    view.set_model(model)
    for message in messages:
        model.append_message(message)
    view.resize(width, 700)
    view.show()
    qtbot.waitUntil(lambda: len(view._widgets) == len(messages))
    qtbot.waitUntil(lambda: view.widget().width() == view.viewport().width())
    return view


# -- the empty chat ---------------------------------------------------------------------------

def test_the_empty_chat_shows_until_the_first_message_and_in_a_new_chat(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine) -> None:
    view = window.chat_view
    assert view.showing_empty and view.empty.isVisible()
    assert view.empty.model_name.text() == "No model loaded"
    start_and_wait(qtbot, window)
    # The model in use and its size, as the window learnt them when it loaded.
    assert view.empty.model_name.text() == "SmolLM2 135M Instruct"
    assert view.empty.model_detail.text().endswith(" MB · on this computer")
    assert [card.accessibleName() for card in view.empty.cards] == [
        "Translate a text", "Summarize a document", "Ask a question", "Write something"]
    assert view.empty.drop_hint.isVisible()

    engine.replies.append("Hello there.")
    window.composer.setPlainText("Hi")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    assert not view.showing_empty and not view.empty.isVisible()
    assert view.message_widget(1).isVisible()

    window.new_chat()
    qtbot.waitUntil(lambda: view.showing_empty)
    assert view.empty.isVisible()
    assert view.empty.model_name.text() == "SmolLM2 135M Instruct"


@pytest.mark.parametrize("index", range(4))
def test_a_starter_picks_its_preset_and_readies_the_composer(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, index: int) -> None:
    start_and_wait(qtbot, window)
    card = window.chat_view.empty.cards[index]
    starter = card.starter
    assert starter.preset == ["translate", "summarize", "qa", "writing"][index]
    with qtbot.waitSignal(window.chat_view.starterChosen) as chosen:
        qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert chosen.args == [starter.preset, starter.text]
    # As choosing the preset on its chip: shown there, the chat's, its prompt in force.
    preset = window.presets.get(starter.preset)
    assert preset is not None
    assert window.preset_bar.current_preset() == preset
    assert window.controller.conversation.preset == starter.preset
    assert window.controller.conversation.system_prompt == \
        preset.prompt_for(window.preset_bar.language())
    assert window.composer.toPlainText() == starter.text
    assert window.composer.textCursor().position() == len(starter.text)
    assert window.focusWidget() is window.composer
    # What was typed before is kept, after the starter's words.
    window.composer.setPlainText("a note to my landlord")
    card.click()
    assert window.composer.toPlainText() == starter.text + "a note to my landlord"
    card.click()  # not twice
    assert window.composer.toPlainText() == starter.text + "a note to my landlord"


def test_the_starters_are_named_and_keyboard_reachable(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = view_of(qtbot)
    assert [s.preset for s in starters()] == ["translate", "summarize", "qa", "writing"]
    for card in view.empty.cards:
        assert isinstance(card, StarterCard)
        assert card.accessibleName() and card.toolTip() and card.accessibleDescription()
        assert card.focusPolicy() & Qt.FocusPolicy.TabFocus
    with qtbot.waitSignal(view.starterChosen) as chosen:
        view.empty.cards[3].click()  # Enter or Space on a focused card
    assert chosen.args == ["writing", "Help me write "]


def test_the_model_summary_says_size_and_where_it_runs(tmp_path: Path) -> None:
    entry = ModelEntry("m", "M", tmp_path / "m.gguf")
    info = ModelInfo(tmp_path / "m.gguf", "m", 2048, 2048, 2, 1, 105_100_000, "chatml",
                     "gguf")  # type: ignore[arg-type]
    assert model_summary(entry, info, ChatState.READY) == \
        (entry.display_name, "105.1 MB · on this computer")
    assert model_summary(entry, None, ChatState.LOADING) == (entry.display_name, "Loading…")
    assert model_summary(entry, info, ChatState.NO_MODEL)[0] == "No model loaded"
    remote = ModelInfo(tmp_path / "m", "m", 2048, 2048, 2, 1, 0, "chatml", "gguf",  # type: ignore[arg-type]
                       location="lab")
    assert model_summary(entry, remote, ChatState.READY) == (entry.display_name, "on lab")


def test_a_language_change_rewords_the_empty_chat(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = view_of(qtbot)
    entry = ModelEntry("m", "M", tmp_path / "m.gguf")
    info = ModelInfo(tmp_path / "m.gguf", "m", 2048, 2048, 2, 1, 105_100_000, "chatml",
                     "gguf")  # type: ignore[arg-type]
    view.show_model(entry, info, ChatState.READY)
    assert view.empty.model_detail.text() == "105.1 MB · on this computer"
    with marked_language(qtbot):
        assert view.empty.model_detail.text() == "«{size} · on this computer»".format(
            size="105.1 MB")
        assert view.empty.cards[0].accessibleName() == "«Translate a text»"
        assert view.empty.cards[3].starter.text == "«Help me write »"
        assert view.empty.drop_words.text().startswith("«Drop a file")
    assert view.empty.model_detail.text() == "105.1 MB · on this computer"
    assert view.empty.cards[3].starter.text == "Help me write "


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_empty_chat_passes_the_look_checks(qtbot, window: MainWindow, theme: str) -> None:  # type: ignore[no-untyped-def]
    """Every visible widget of the empty chat: named buttons, readable text, nothing cut."""
    start_and_wait(qtbot, window)
    settings = window.controller.settings
    settings.set("app.theme", theme)
    window.apply_app_settings()
    try:
        for size in (QSize(1400, 900), QSize(900, 650)):
            window.resize(size)
            qtbot.waitUntil(lambda size=size: window.size() == size)
            assert window.chat_view.empty.isVisible()
            found = look.findings(window.chat_view)  # (the composer's are test_look's)
            assert not found, look.spell(found)
    finally:
        settings.set("app.theme", "system")
        apply_appearance(settings)


# -- the reading column, the bubble --------------------------------------------------------------

def test_the_reading_column_is_bounded_and_centred_in_a_wide_view(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = view_of(qtbot, Message("user", "Hi", id=1),
                   Message("assistant", LONG_ANSWER, id=2), width=2400)
    column = view.column_width
    metrics = QFontMetricsF(view.font())
    # About 80 characters of body text, whatever the window's width.
    assert text_width(metrics, 70) < column < text_width(metrics, 100)
    answer = view.message_widget(1)
    page = answer.parentWidget()
    while page.parentWidget() is not view.widget():
        page = page.parentWidget()
    assert page.width() == column
    left = page.x()
    right = view.widget().width() - page.x() - page.width()
    assert abs(left - right) <= 1  # centred
    assert answer.width() <= column
    # A line of the answer holds some 70-80 characters.
    document = answer.body.document()
    layout = document.firstBlock().layout()
    lengths = [layout.lineAt(i).textLength() for i in range(layout.lineCount() - 1)]
    assert lengths and 60 <= max(lengths) <= 95, lengths

    view.resize(500, 700)  # narrower than the column: the whole width
    qtbot.waitUntil(lambda: page.width() == view.viewport().width())


def test_the_user_s_words_are_a_bubble_at_the_right(qtbot) -> None:  # type: ignore[no-untyped-def]
    long = "Please explain in a few sentences how a context window works. " * 4
    view = view_of(qtbot, Message("user", "Hi there", id=1), Message("user", long, id=2),
                   width=1600)
    short, wide = view.message_widget(0), view.message_widget(1)
    for widget in (short, wide):
        bubble = widget._bubble
        assert bubble is not None and bubble.property("variant") == "bubble"
        assert widget.body.parentWidget() is bubble
        right = bubble.mapTo(widget, QPoint(bubble.width(), 0)).x()
        # At the right of the message, within its margin.
        assert widget.width() - right <= widget.layout().contentsMargins().right() + 1
        assert widget._author is None  # no "You" header: its accessible name says who
        assert widget.accessibleName() == "Your message"
    # As wide as its words; a long question up to BUBBLE_CHARS, wrapped.
    metrics = QFontMetricsF(short.body.font())
    assert short._bubble.width() < metrics.horizontalAdvance("Hi there") + 60  # type: ignore[union-attr]
    assert short.body.document().firstBlock().layout().lineCount() == 1
    bubble_max = text_width(metrics, BUBBLE_CHARS) + 60
    assert text_width(metrics, BUBBLE_CHARS) <= wide._bubble.width() <= bubble_max  # type: ignore[union-attr]
    assert wide.body.document().firstBlock().layout().lineCount() > 1


# -- a code block's bar ----------------------------------------------------------------------------

def test_the_copy_button_of_a_code_block_s_bar_copies_its_code(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = MessageWidget(MarkdownRenderer())
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    widget.show_message(Message("assistant", f"Read it:\n\n```python\n{CODE}\n```\n\nDone.",
                                id=1))
    document = widget.body.document()
    found = document.find("Copy")
    assert not found.isNull()
    assert found.charFormat().anchorHref() == f"{COPY_SCHEME}:0"
    bar = found.currentTable()
    assert bar is not None and (bar.rows(), bar.columns()) == (1, 2)  # language | Copy
    assert bar.cellAt(0, 0).firstCursorPosition().block().text() == "python"
    assert bar.format().background().color().name() == MarkdownRenderer().colours.code_header
    # Clicked where it is drawn, it copies the code.
    at = QTextCursor(document)
    at.setPosition(found.selectionStart() + 1)
    point = widget.body.cursorRect(at).center()
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(widget.copied) as copied:
        qtbot.mouseClick(widget.body.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert copied.args == [CODE]
    assert QGuiApplication.clipboard().text() == CODE


# -- the hover row ---------------------------------------------------------------------------------

def test_action_buttons_are_made_only_for_messages_the_pointer_visits(qtbot) -> None:  # type: ignore[no-untyped-def]
    messages = [Message("user" if i % 2 == 0 else "assistant", f"Message {i}", id=i + 1)
                for i in range(60)]
    view = view_of(qtbot, *messages)
    qtbot.waitUntil(lambda: not view.loading)
    assert all(view.message_widget(row)._actions is None for row in range(60))
    action_names = {"copyMessageButton", "redoButton", "deleteMessageButton"}
    assert not [b for b in view.findChildren(QToolButton) if b.objectName() in action_names]
    answer = view.message_widget(59)
    point = QPointF(5, 5)
    QApplication.sendEvent(answer, QEnterEvent(point, point, point))
    assert answer._actions is not None and answer._actions.isVisible()
    assert [b.accessibleName() for b in (answer.copy_button, answer.redo_button,
                                         answer.delete_button)] == ["Copy", "Regenerate", "Delete"]
    assert sum(view.message_widget(row)._actions is not None for row in range(60)) == 1
    # Under the stats' line, at its right: the message does not grow when they show.
    assert answer.footer.height() >= answer.copy_button.height()


def test_a_widget_shown_another_role_moves_its_text_in_or_out_of_the_bubble(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = MessageWidget(MarkdownRenderer())
    qtbot.addWidget(widget)
    widget.resize(700, 300)
    widget.show()
    for role, words in (("user", "A question"), ("assistant", "An answer"),
                        ("user", "Another question")):
        widget.show_message(Message(role, words, id=1, model_name="M"))
        bubble = widget._bubble
        assert bubble is not None
        # (A widget added to one on screen shows at the next turn of the event loop.)
        qtbot.waitUntil(lambda role=role, bubble=bubble: bubble.isVisible() is (role == "user")
                        and widget.author.isVisible() is (role == "assistant"))
        assert (widget.body.parentWidget() is bubble) is (role == "user")
        assert widget.body.isVisible() and widget.plain_text().strip() == words


def test_a_larger_font_widens_the_column_to_as_many_characters(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = window.chat_view
    before = view.column_width
    settings = window.controller.settings
    size = settings.get("app.font_size")
    settings.set("app.font_size", 16)
    window.apply_app_settings()
    try:
        qtbot.waitUntil(lambda: view.column_width > before * 1.2)
        assert view.empty.maximumWidth() == view.column_width
    finally:
        settings.set("app.font_size", size)
        apply_appearance(settings)
