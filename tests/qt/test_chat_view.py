"""The conversation view's streaming render: incremental, yet the same as rendering whole."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator, QUrl
from PySide6.QtGui import QGuiApplication

from app.core.chat.conversation import Message
from app.core.chat.markdown import MarkdownRenderer
from app.core.throttle import PieceBatcher
from app.qt.widgets.message_widget import MessageWidget

pytestmark = [pytest.mark.qt]

ANSWER = ("Here is **how** to do it, with `code`:\n\n1. first\n2. second\n\n"
          "```python\ndef double(x):\n\n    return x * 2\n```\n\n"
          "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\nAnd ~~that~~ is all.\n\n") * 8


class _CountingRenderer(MarkdownRenderer):
    def __init__(self) -> None:
        super().__init__()
        self.lengths: list[int] = []

    def render(self, text: str, *first: int):  # type: ignore[no-untyped-def]
        self.lengths.append(len(text))
        return super().render(text, *first)


@pytest.fixture
def widget(qtbot) -> Iterator[tuple[MessageWidget, _CountingRenderer]]:  # type: ignore[no-untyped-def]
    renderer = _CountingRenderer()
    w = MessageWidget(renderer)
    qtbot.addWidget(w)
    w.resize(700, 400)
    w.show()
    yield w, renderer


def shown(widget: MessageWidget) -> tuple[list[str], list[str], list[str]]:
    """The words on screen, the code the Copy links copy, and the links in document order."""
    links = re.findall(r'href="copy-code:(\d+)"', widget.body.toHtml())
    return widget.plain_text().split(), list(widget._code_blocks), links


def whole(widget: MessageWidget, text: str) -> tuple[list[str], list[str], list[str]]:
    widget.show_message(Message("assistant", text))
    return shown(widget)


def test_streaming_shows_what_rendering_whole_shows(widget) -> None:  # type: ignore[no-untyped-def]
    w, _ = widget
    reference = MessageWidget(MarkdownRenderer())
    for end in range(1, len(ANSWER) + 1, 37):
        w.show_message(Message("assistant", ANSWER[:end], streaming=True))
        assert shown(w) == whole(reference, ANSWER[:end]), f"after {end} characters"
    reference.deleteLater()


def test_each_redraw_renders_only_the_unfinished_end(widget) -> None:  # type: ignore[no-untyped-def]
    w, renderer = widget
    for end in range(0, len(ANSWER) + 1, 11):
        w.show_message(Message("assistant", ANSWER[:end], streaming=True))
    assert max(renderer.lengths) < 300  # one block at a time, however long the answer grows
    renderer.lengths.clear()
    w.show_message(Message("assistant", ANSWER))  # complete: rendered whole, once
    assert renderer.lengths == [len(ANSWER)]


def test_copy_links_of_blocks_rendered_earlier_still_copy_their_code(
        qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    w, _ = widget
    w.show_message(Message("assistant", ANSWER[: len(ANSWER) // 2], streaming=True))
    assert len(w._code_blocks) >= 3
    with qtbot.waitSignal(w.copied) as copied:
        w.body.anchorClicked.emit(QUrl("copy-code:2"))
    assert copied.args[0] == "def double(x):\n\n    return x * 2"
    assert QGuiApplication.clipboard().text() == copied.args[0]


def test_a_new_answer_in_the_same_widget_starts_afresh(widget) -> None:  # type: ignore[no-untyped-def]
    w, _ = widget
    w.show_message(Message("assistant", "First answer.\n\nMore\n", streaming=True))
    w.show_message(Message("assistant", "Other\n\ntext\n", streaming=True))
    assert w.plain_text().split() == ["Other", "text"]


def test_pieces_are_batched_but_the_first_goes_at_once() -> None:
    sent: list[str] = []
    batcher = PieceBatcher(sent.append, interval_s=3600)
    for piece in ("Hel", "lo", ", ", "world"):
        batcher.add(piece)
    assert sent == ["Hel"]
    batcher.flush()
    assert sent == ["Hel", "lo, world"]
    batcher.flush()
    assert sent == ["Hel", "lo, world"]

    every: list[str] = []
    unbatched = PieceBatcher(every.append, interval_s=0)
    for piece in ("a", "b", "c"):
        unbatched.add(piece)
    assert every == ["a", "b", "c"]


def test_actions_appear_while_the_pointer_is_over_a_finished_message(widget) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QEnterEvent
    from PySide6.QtWidgets import QApplication

    w, _ = widget
    w.show_message(Message("assistant", "partial", streaming=True, id=7))
    point = QPointF(5, 5)
    QApplication.sendEvent(w, QEnterEvent(point, point, point))
    assert w._actions is None  # nothing to do with an answer still being written
    w.show_message(Message("assistant", "done", id=7), version=(2, 3))
    QApplication.sendEvent(w, QEnterEvent(point, point, point))
    # Icon buttons, named for a screen reader and explained by their tooltips.
    assert w.redo_button.isVisible() and w.redo_button.accessibleName() == "Regenerate"
    assert w.redo_button.text() == "" and w.redo_button.toolTip()
    assert w.copy_button.accessibleName() == "Copy" and w.copy_button.toolTip()
    assert w.delete_button.accessibleName() == "Delete" and w.delete_button.toolTip()
    assert w.version_label.text() == "2/3" and w.previous_version.isEnabled()
    asked: list[tuple[str, int]] = []
    w.actionRequested.connect(lambda action, message_id: asked.append((action, message_id)))
    w.redo_button.click()
    w.next_version.click()
    assert asked == [("regenerate", 7), ("next", 7)]
    QApplication.sendEvent(w, QEvent(QEvent.Type.Leave))
    assert not w.redo_button.isVisible()
    w.set_actions_enabled(False)  # an answer streams elsewhere
    assert not w.next_version.isEnabled() and not w.delete_button.isEnabled()


def test_a_dark_theme_recolours_code_blocks_already_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.qt.appearance import dark_palette
    from app.qt.viewmodels.conversation_model import ConversationModel
    from app.qt.widgets.chat_view import ChatView

    code = "```python\nprint('hi')\n```\n\n"
    model = ConversationModel()
    view = ChatView()
    qtbot.addWidget(view)
    view.set_model(model)
    model.append_message(Message("assistant", code + "done", id=1))
    model.append_message(Message("assistant", code + "still writing", streaming=True))
    view.resize(600, 400)
    view.show()
    qtbot.waitUntil(lambda: len(view._widgets) == 2)

    def backgrounds() -> list[str]:
        return [re.findall(r"background-color:(#\w+)", w.body.toHtml())[0]
                for w in view._widgets]

    light = backgrounds()
    view.setPalette(dark_palette())  # what choosing the dark theme does to every widget
    dark = backgrounds()
    assert len(set(light)) == 1 and len(set(dark)) == 1 and light[0] != dark[0]
    assert view._widgets[1].plain_text().split()[-2:] == ["still", "writing"]


class MarkedLanguage(QTranslator):
    """A language in which every string of ours reads «as in English»: what a widget says
    through `tr` is told apart from what it says without, with no catalog compiled."""

    def isEmpty(self) -> bool:
        return False

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str:
        return f"«{source}»"


@contextlib.contextmanager
def marked_language(qtbot) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The window in `MarkedLanguage` while it lasts, then in English again; each switch as
    Settings makes it, by Qt's LanguageChange events."""
    app = QCoreApplication.instance()
    assert app is not None
    translator = MarkedLanguage()
    app.installTranslator(translator)
    QCoreApplication.processEvents()  # the LanguageChange events Qt posted
    try:
        yield
    finally:
        app.removeTranslator(translator)
        QCoreApplication.processEvents()


def test_a_language_change_rewords_the_chat_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.core.engine import GenerationStats
    from app.qt.viewmodels.conversation_model import ConversationModel
    from app.qt.widgets.chat_view import ChatView

    model = ConversationModel()
    view = ChatView()
    qtbot.addWidget(view)
    view.set_model(model)
    stats = GenerationStats(10, 40, 0.1, 1.0, "cancelled")
    model.append_message(Message("user", "Hi", id=1))
    model.append_message(Message("assistant", "Hello.", id=2, stats=stats, thinking="Hmm."))
    view.resize(800, 500)
    view.show()
    qtbot.waitUntil(lambda: len(view._widgets) == 2)
    answer = view.message_widget(1)
    answer.actions()
    with marked_language(qtbot):
        assert answer.footer.text().startswith("«stopped» · ")  # the chat redrawn
        assert answer.copy_button.toolTip() == "«Copy this message»"
        assert answer.thinking().label == "«Thinking»"
        assert answer.accessibleName() == "«Answer from «Assistant»»"
        assert view.message_widget(0).plain_text() == "Hi"  # the words of the chat, as they are
    assert answer.footer.text().startswith("stopped · ")
    assert answer.copy_button.toolTip() == "Copy this message"


def test_the_copy_button_says_copied_for_a_moment(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from app.qt.widgets.message_widget import COPIED_FEEDBACK_MS

    w, _ = widget
    w.show_message(Message("assistant", "An **answer**.", id=3))
    button = w.copy_button
    before = button.icon().cacheKey()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "An **answer**."
    assert button.accessibleName() == "Copied to the clipboard"  # and a check mark
    assert button.toolTip() == "Copied to the clipboard"
    assert button.icon().cacheKey() != before
    qtbot.waitUntil(lambda: button.accessibleName() == "Copy", timeout=COPIED_FEEDBACK_MS * 3)
    assert button.toolTip() == "Copy this message"


def code_links(w: MessageWidget) -> list[str]:
    """The text of each code block's link, in document order."""
    return re.findall(r'href="copy-code:\d+">(?:<span[^>]*>)?([^<]*)<', w.body.toHtml())


def test_a_code_block_s_copy_link_says_copied_for_a_moment(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    from app.qt.widgets.message_widget import COPIED_FEEDBACK_MS

    w, _ = widget
    w.show_message(Message("assistant", "```python\na = 1\n```\n\n```\nb = 2\n```", id=4))
    with qtbot.waitSignal(w.copied):
        w.body.anchorClicked.emit(QUrl("copy-code:1"))
    assert QGuiApplication.clipboard().text() == "b = 2"
    assert code_links(w) == ["Copy", "Copied"]
    qtbot.waitUntil(lambda: code_links(w) == ["Copy", "Copy"], timeout=COPIED_FEEDBACK_MS * 3)
    w.body.anchorClicked.emit(QUrl("copy-code:1"))  # it copies again, and says so again
    assert code_links(w) == ["Copy", "Copied"]


def test_copied_in_a_streaming_answer_does_not_disturb_what_streams_in(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    from app.qt.widgets.message_widget import COPIED_FEEDBACK_MS

    w, _ = widget
    reference = MessageWidget(MarkdownRenderer())
    qtbot.addWidget(reference)
    w.show_message(Message("assistant", ANSWER[: len(ANSWER) // 2], streaming=True))
    w.body.anchorClicked.emit(QUrl("copy-code:0"))  # a block already rendered for good
    assert code_links(w)[0] == "Copied"
    for end in range(len(ANSWER) // 2, len(ANSWER) + 1, 97):
        w.show_message(Message("assistant", ANSWER[:end], streaming=True))
        words, blocks, links = shown(w)
        words = [word.replace("Copied", "Copy") for word in words]
        assert (words, blocks, links) == whole(reference, ANSWER[:end]), f"after {end}"
    qtbot.waitUntil(lambda: "Copied" not in code_links(w), timeout=COPIED_FEEDBACK_MS * 3)
    w.show_message(Message("assistant", ANSWER + "The end.\n", streaming=True))
    assert shown(w) == whole(reference, ANSWER + "The end.\n")


def test_a_formula_is_shown_without_its_dollars_and_prices_with_theirs(widget) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    w, _ = widget
    text = ("Euler: $e^{i\\pi} + 1 = 0$, it costs $5 and $10.\n\n"
            "$$\nx = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}\n$$\n\nDone.")
    for streaming in (True, False):
        for end in range(0, len(text), 7) if streaming else ():
            w.show_message(Message("assistant", text[:end], streaming=True, id=5))
        w.show_message(Message("assistant", text, streaming=streaming, id=5))
        plain = w.plain_text()
        assert "Euler: eiπ + 1 = 0, it costs $5 and $10." in plain
        assert "x = (−b ± √(b2 − 4ac))/(2a)" in plain
        assert "\\frac" not in plain and "$e" not in plain and "$$" not in plain
        formula = w.body.document().find("x = (−b")
        assert formula.blockFormat().alignment() & Qt.AlignmentFlag.AlignHCenter


def tables_of(w: MessageWidget) -> list[Any]:
    """Every table of the message's document, nested ones too, outermost first."""
    from PySide6.QtGui import QTextTable

    found, frames = [], [w.body.document().rootFrame()]
    while frames:
        frame = frames.pop(0)
        if isinstance(frame, QTextTable):
            found.append(frame)
        frames.extend(frame.childFrames())
    return found


@pytest.mark.parametrize("dark", [False, True])
def test_tables_have_borders_and_quotes_a_bar(qtbot, dark: bool) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QTextFrameFormat

    w = MessageWidget(MarkdownRenderer(dark=dark))
    qtbot.addWidget(w)
    w.resize(700, 400)
    w.show()
    w.show_message(Message("assistant", "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted words",
                           id=6))
    table, quote = tables_of(w)
    style = table.format()
    assert style.border() >= 1 and style.borderCollapse()
    assert style.borderStyle() == QTextFrameFormat.BorderStyle.BorderStyle_Solid
    border = style.borderBrush().color().name()
    assert border == ("#3d444d" if dark else "#d0d7de")
    assert table.cellAt(0, 0).format().background().color().name() == \
        ("#1c2128" if dark else "#f6f8fa")  # the header row
    assert (quote.rows(), quote.columns()) == (1, 2)
    bar = quote.cellAt(0, 0).format().background().color().name()
    assert bar == border
    assert quote.cellAt(0, 0).firstCursorPosition().block().text() == ""
    assert quote.cellAt(0, 1).firstCursorPosition().block().text() == "quoted words"
