"""A reasoning model's thinking in the window (issue 22): shown apart above its answer while it
streams, folded once the answer starts (open if the reader opened it), opened on a click, kept
with the chat, never copied with the answer nor sent back to the model; the tokens counted
apart; a template's fallback warning under its answer; the Thinking switch for models whose
template has one. On the scripted engine, which streams thinking as the real engines do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.core.chat.conversation import Message
from app.core.chat.markdown import MarkdownRenderer
from app.core.engine import GenerationStats
from app.qt.main_window import MainWindow
from app.qt.widgets.message_widget import MessageWidget
from app.qt.widgets.thinking_block import (
    MAX_THINKING_SHOWN,
    PREVIEW_CHARS,
    ThinkingBlock,
    duration_text,
    thought_label,
)
from app.qt.workers import inference
from tests.qt.test_main_window import ANSWER_TIMEOUT_MS, start_and_wait
from tests.scripted_engine import ScriptedEngine
from tests.thinking_model import THINKING_TEMPLATE

pytestmark = [pytest.mark.qt]

THOUGHT = "The user says hello.\nI should greet them back, briefly."
REPLY = f"<think>{THOUGHT}</think>Hello! How can I help?"
# REPLY's pieces (the scripted engine's: a tag, or a word with the spaces before it): the
# fifth is " hello.", the thirteenth the answer's first word.
IN_THINKING, ANSWER_STARTED = 4, 12
# A template with how hard to think (gpt-oss's), and no switch.
EFFORT_TEMPLATE = ("{% for m in messages %}{{ m['content'] }}{% endfor %}"
                   "Reasoning: {{ reasoning_effort }}")


@pytest.fixture(autouse=True)
def every_piece_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker hands each piece on as it comes, so that what came before a hold shows
    during it (joined every 1/15 s, a piece can wait for the next one)."""
    monkeypatch.setattr(inference, "PIECE_INTERVAL_S", 0.0)


@pytest.fixture
def chatting(qtbot, window: MainWindow, engine: ScriptedEngine) -> MainWindow:  # type: ignore[no-untyped-def]
    start_and_wait(qtbot, window, max_tokens=2000)
    window.controller.auto_titles = False
    return window


def ask(qtbot, window: MainWindow, text: str) -> None:  # type: ignore[no-untyped-def]
    window.composer.setPlainText(text)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()


def block_of(window: MainWindow, row: int) -> ThinkingBlock:
    widget = window.chat_view.message_widget(row)
    assert widget._thinking is not None, "no thinking shown"
    return widget._thinking


def test_the_thinking_shows_while_the_model_thinks_and_folds_when_it_answers(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    engine.replies.append(REPLY)
    engine.hold_at = frozenset({IN_THINKING, ANSWER_STARTED})
    engine.hold.set()
    window.composer.setPlainText("Hi")
    window.composer.submit()
    qtbot.waitUntil(lambda: engine.held == 1)
    widget = window.chat_view.message_widget(1)
    qtbot.waitUntil(lambda: widget._thinking is not None and
                    "says hello." in widget._thinking.preview.toPlainText())
    block = block_of(window, 1)
    assert block.isVisible() and block.thinking_now
    assert block.label.startswith("Thinking…")
    assert block.preview.isVisible() and not block.text.isVisible()
    assert block._timer.isActive()  # the running time
    assert not widget.body.isVisible()  # no empty answer under it yet
    assert widget.plain_text() == ""
    assert window.status.currentMessage() == "Thinking…"  # not "Generating…"

    engine.let_go()
    qtbot.waitUntil(lambda: engine.held == 2)
    qtbot.waitUntil(lambda: block.label.startswith("Thought for"))
    assert window.status.currentMessage() == ""
    assert window.controller.model.message(1).streaming
    assert not block.preview.isVisible() and not block.text.isVisible() and not block.is_open
    assert not block._timer.isActive()
    assert widget.body.isVisible() and widget.plain_text().startswith("Hello!")

    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        engine.hold.clear()
    answer = window.controller.model.message(1)
    assert (answer.thinking, answer.content) == (THOUGHT, "Hello! How can I help?")
    qtbot.waitUntil(lambda: "answer tokens" in widget.footer.text())
    assert block.label.startswith("Thought for") and not block.is_open
    assert "user says" not in widget.plain_text()


def test_a_block_the_reader_opened_while_it_thought_stays_open(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    engine.replies.append(REPLY)
    engine.hold_at = frozenset({IN_THINKING})
    engine.hold.set()
    window.composer.setPlainText("Hi")
    window.composer.submit()
    qtbot.waitUntil(lambda: engine.held == 1)
    qtbot.waitUntil(lambda: window.chat_view.message_widget(1)._thinking is not None)
    block = block_of(window, 1)
    assert "show" in block.toggle.accessibleName() and block.toggle.toolTip()
    qtbot.mouseClick(block.toggle, Qt.MouseButton.LeftButton)
    assert block.is_open and block.text.isVisible() and not block.preview.isVisible()
    assert "hide" in block.toggle.accessibleName()
    assert block.toggle.arrowType() is Qt.ArrowType.DownArrow

    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        engine.hold.clear()
    qtbot.waitUntil(lambda: block.label.startswith("Thought for"))
    assert block.is_open and block.text.toPlainText() == THOUGHT  # added to as it came
    qtbot.mouseClick(block.toggle, Qt.MouseButton.LeftButton)
    assert not block.is_open and not block.text.isVisible()
    assert block.toggle.arrowType() is Qt.ArrowType.RightArrow


def test_a_saved_chat_shows_its_thinking_folded_and_keeps_it_to_itself(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    """Reopened, the block is folded and opens to the whole thinking; Copy copies the answer
    alone; the next turn sends the model its earlier answers without their thinking."""
    window = chatting
    engine.replies.extend([REPLY, "<think>Asked about me.</think>Fine, thanks."])
    ask(qtbot, window, "Hi")
    ask(qtbot, window, "How are you?")
    sent = [m.content for m in engine.asked[-1] if m.role == "assistant"]
    assert sent == ["Hello! How can I help?"]
    chat = window.controller.conversation.id
    assert chat is not None

    window.new_chat()
    window.open_conversation(chat)
    block = block_of(window, 1)
    qtbot.waitUntil(block.isVisible)  # shown by the layout, a turn of the event loop later
    assert not block.is_open and not block.thinking_now
    assert block.label.startswith("Thought for")
    assert not block.preview.isVisible() and not block.text.isVisible()
    qtbot.mouseClick(block.toggle, Qt.MouseButton.LeftButton)
    assert block.text.isVisible() and block.text.toPlainText() == THOUGHT
    assert block_of(window, 3).text.toPlainText() == ""  # the other answer's stays folded

    widget = window.chat_view.message_widget(1)
    widget.copy_text()
    assert QGuiApplication.clipboard().text() == "Hello! How can I help?"


def test_thinking_and_answer_tokens_are_counted_apart(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    engine.replies.append(REPLY)
    ask(qtbot, window, "Hi")
    stats = window.controller.model.message(1).stats
    assert stats is not None and stats.thinking_tokens > 0 and stats.answer_tokens > 0
    counts = f"{stats.thinking_tokens} thinking + {stats.answer_tokens} answer tokens"
    widget = window.chat_view.message_widget(1)
    qtbot.waitUntil(lambda: counts in widget.footer.text())
    assert counts in window.status.speed.text()
    assert "Thought for" in window.status.speed.toolTip()
    tip = widget.footer.toolTip()
    assert f"thinking: {stats.thinking_tokens} tokens" in tip and "Thought for" in tip


def test_an_answer_without_thinking_has_no_block_and_one_count(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    engine.replies.append("Hello there.")
    ask(qtbot, window, "Hi")
    widget = window.chat_view.message_widget(1)
    assert widget._thinking is None and widget._warning is None
    assert "thinking" not in widget.footer.text() and "tokens" in widget.footer.text()
    assert "thinking" not in window.status.speed.text() and window.status.speed.toolTip() == ""


def test_a_template_s_fallback_warning_shows_under_its_answer(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    engine.warning = ("The model's chat template failed (unknown tag 'generation'); this "
                      "answer used a generic chat format (chatml) instead.")
    ask(qtbot, window, "Hi")
    widget = window.chat_view.message_widget(1)
    qtbot.waitUntil(lambda: widget._warning is not None and widget._warning.isVisible())
    assert widget.warning().text() == f"⚠ {engine.warning}"
    chat = window.controller.conversation.id
    assert chat is not None
    window.new_chat()
    window.open_conversation(chat)  # kept with the answer
    assert window.chat_view.message_widget(1).warning().text() == f"⚠ {engine.warning}"


def load_with_template(qtbot, window: MainWindow, engine: ScriptedEngine,  # type: ignore[no-untyped-def]
                       template: str | None) -> None:
    engine.chat_template = template
    entry = window.controller.entry
    assert entry is not None
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=ANSWER_TIMEOUT_MS):
        window.controller.select_model(entry)


def test_the_thinking_switch_is_offered_only_by_a_model_with_one(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    """Per chat: off, the model is asked with thinking off (and answers at once); a new chat
    starts as the settings say, and the chat that had it off still has it off."""
    window = chatting
    switch = window.thinking_switch
    assert not switch.isVisible()  # SmolLM2's template has none
    load_with_template(qtbot, window, engine, THINKING_TEMPLATE)
    assert switch.isVisible() and switch.toggle.isVisible() and not switch.effort.isVisible()
    assert switch.toggle.isChecked()

    qtbot.mouseClick(switch.toggle, Qt.MouseButton.LeftButton)
    assert not window.controller.generation_params().thinking
    engine.replies.append(REPLY)
    ask(qtbot, window, "Hi")
    assert engine.params[-1].thinking is False
    answer = window.controller.model.message(1)
    assert answer.content == "Hello! How can I help?" and answer.thinking == ""
    assert window.chat_view.message_widget(1)._thinking is None
    chat = window.controller.conversation.id
    assert chat is not None

    window.new_chat()
    assert switch.toggle.isChecked()
    ask(qtbot, window, "Hi again")
    assert engine.params[-1].thinking is True
    window.open_conversation(chat)
    assert not switch.toggle.isChecked()  # kept with the chat

    load_with_template(qtbot, window, engine, None)
    assert not switch.isVisible()


def test_the_effort_choice_reaches_the_model(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    load_with_template(qtbot, window, engine, EFFORT_TEMPLATE)
    switch = window.thinking_switch
    assert switch.isVisible() and switch.effort.isVisible() and not switch.toggle.isVisible()
    assert switch.effort.currentData() == "medium"
    high = switch.effort.findData("high")
    switch.effort.setCurrentIndex(high)
    switch.effort.activated.emit(high)
    ask(qtbot, window, "Hi")
    assert engine.params[-1].reasoning_effort == "high"


def test_a_preset_keeps_the_thinking_switch(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    load_with_template(qtbot, window, engine, THINKING_TEMPLATE)
    switch, bar = window.thinking_switch, window.preset_bar
    qtbot.mouseClick(switch.toggle, Qt.MouseButton.LeftButton)
    bar._ask_preset_name = lambda: "Quick answers"  # type: ignore[method-assign]
    bar.save_action.trigger()
    saved = bar.current_preset()
    assert saved is not None and saved.params["thinking"] is False

    general = window.presets.get("general")
    assert general is not None
    bar._choose(general)
    assert switch.toggle.isChecked()  # the model's own setting again
    bar._choose(saved)
    assert not switch.toggle.isChecked()
    ask(qtbot, window, "Hi")
    assert engine.params[-1].thinking is False


# -- the block alone ---------------------------------------------------------------------------


@pytest.fixture
def widget(qtbot) -> Iterator[MessageWidget]:  # type: ignore[no-untyped-def]
    w = MessageWidget(MarkdownRenderer())
    qtbot.addWidget(w)
    w.resize(700, 400)
    w.show()
    yield w


def test_the_preview_shows_the_newest_lines_at_any_length(widget: MessageWidget) -> None:
    """Each redraw lays out the last few hundred characters, however long the thinking."""
    message = Message("assistant", "", streaming=True, id=7)
    for n in range(1, 2000, 97):
        message.thinking += " ".join(f"step{n}.{i}" for i in range(97)) + "\n"
        widget.show_message(message)
        shown = widget.thinking().preview.toPlainText()
        assert len(shown) <= PREVIEW_CHARS + 1
        assert shown.endswith(f"step{n}.96")


def test_the_open_block_grows_as_the_thinking_streams(widget: MessageWidget) -> None:
    thought = "First I look at the question.\n\nThen at what it needs: " * 40
    message = Message("assistant", "", streaming=True, id=7)
    widget.show_message(Message("assistant", "", streaming=True, id=7, thinking="x"))
    block = widget.thinking()
    for end in range(1, len(thought), 53):
        message.thinking = thought[:end]
        widget.show_message(message)
        if end == 1:
            block.toggle_open()
        assert block.text.toPlainText() == thought[:end]


def test_thinking_is_shown_as_written(widget: MessageWidget) -> None:
    hostile = '<b>not bold</b> <img src="/dev/zero"> &amp; [link](file:///etc/passwd)\0end'
    widget.show_message(Message("assistant", "", streaming=True, thinking=hostile))
    block = widget.thinking()
    assert block.preview.toPlainText() == hostile.replace("\0", "\ufffd")
    block.toggle_open()
    assert block.text.toPlainText() == hostile.replace("\0", "\ufffd")


def test_outsized_thinking_is_shown_in_part_and_whole_on_demand(  # type: ignore[no-untyped-def]
        qtbot, widget: MessageWidget) -> None:
    thought = "A long thought goes on and on.\n" * 5_000
    stats = GenerationStats(10, 1000, 0.1, 1.0, "stop", thinking_tokens=900, thinking_s=75.4)
    widget.show_message(Message("assistant", "Done.", stats=stats, thinking=thought, id=3))
    block = widget.thinking()
    assert block.label == "Thought for 1 min 15 s"
    block.toggle_open()
    assert len(block.text.toPlainText()) <= MAX_THINKING_SHOWN
    assert block.more.isVisible() and "more characters" in block.more.text()
    dialog = block.show_all()
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.loading)
    assert dialog.text.toPlainText() == thought.rstrip("\n") or \
        dialog.text.toPlainText() == thought


def test_a_new_answer_in_the_same_widget_forgets_the_reader_s_choice(
        widget: MessageWidget) -> None:
    widget.show_message(Message("assistant", "One.", thinking="Hmm.", id=1))
    widget.thinking().toggle_open()
    widget.show_message(Message("assistant", "Two.", thinking="Well.", id=2))
    assert not widget.thinking().is_open and widget.thinking().text.toPlainText() == ""
    widget.show_message(Message("assistant", "Three.", id=3))
    assert not widget.thinking().isVisible()


def test_how_long_it_thought_in_words() -> None:
    assert duration_text(0.4) == "0 s" and duration_text(59.6) == "1 min"
    assert thought_label(None) == "Thinking"
    assert thought_label(0.2) == "Thought for less than a second"
    assert thought_label(12.2) == "Thought for 12 s"
    assert duration_text(125) == "2 min 5 s"


def test_the_thinking_setting_shows_on_the_switch_of_a_chat_without_its_own(  # type: ignore[no-untyped-def]
        qtbot, chatting: MainWindow, engine: ScriptedEngine) -> None:
    window = chatting
    load_with_template(qtbot, window, engine, THINKING_TEMPLATE)
    window.controller.settings.set("sampling.thinking", False)
    window._apply_settings(["sampling.thinking"])
    assert not window.thinking_switch.toggle.isChecked()
    ask(qtbot, window, "Hi")
    assert engine.params[-1].thinking is False
