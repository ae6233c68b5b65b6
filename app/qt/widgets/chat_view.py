"""The conversation view: one widget per message in a scroll area, driven by the list model.

Streaming never re-renders the conversation: a changed row is marked dirty and the dirty rows
are rendered together at most every `RENDER_INTERVAL_MS`, and a growing answer re-renders only
its unfinished last block (so a redraw costs the same at the 10th token and the 5,000th). The
view follows new text only while the user is at the bottom, so scrolling up to read is never
fought.
"""

from __future__ import annotations

import contextlib
import html
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.core.conversation import Message
from app.core.markdown import (
    COPY_SCHEME,
    MarkdownRenderer,
    plain_text_html,
    stable_prefix_length,
)
from app.qt.viewmodels.conversation_model import ConversationModel

# 15 redraws a second: smooth to read, and cheap enough to leave llama.cpp its cores.
RENDER_INTERVAL_MS = 66
_STICK_SLACK_PX = 8
_BLOCK_SPACING_PX = 12  # Qt's margin around a <p>


class _MessageBody(QTextBrowser):
    """Rich text that is as tall as its content, so the outer scroll area does the scrolling."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setOpenLinks(False)
        self.viewport().setAutoFillBackground(False)
        self._editing = False
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)

    @contextlib.contextmanager
    def editing(self) -> Iterator[None]:
        """Several edits, one resize: the document's height passes through every intermediate
        state otherwise, and each resize lays out and repaints the whole view."""
        self._editing = True
        try:
            yield
        finally:
            self._editing = False
            self._fit_height()

    def _fit_height(self, *_: Any) -> None:
        if self._editing:
            return
        margins = self.contentsMargins()
        height = math.ceil(self.document().size().height()) + margins.top() + margins.bottom()
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()


class MessageWidget(QFrame):
    """One message: who wrote it, the text, and for answers the stats line.

    Signals:
        copied(str): the text put on the clipboard from a code block's Copy link.
    """

    copied = Signal(str)

    def __init__(self, renderer: MarkdownRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer = renderer
        self._code_blocks: list[str] = []
        self._streamed: _Streamed | None = None
        self.setObjectName("message")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        self.author = QLabel()
        self.author.setObjectName("messageAuthor")
        self.body = _MessageBody()
        self.body.setObjectName("messageBody")
        self.body.anchorClicked.connect(self._on_link)
        self.footer = QLabel()
        self.footer.setObjectName("messageFooter")
        self.footer.setStyleSheet("color: palette(mid);")
        self.footer.hide()
        layout.addWidget(self.author)
        layout.addWidget(self.body)
        layout.addWidget(self.footer)

    def show_message(self, message: Message) -> None:
        user = message.role == "user"
        self.setProperty("role", message.role)
        self.author.setText("<b>You</b>" if user else
                            f"<b>{html.escape(message.model_name or 'Assistant')}</b>")
        if user:
            self._streamed = None
            self.body.setHtml(plain_text_html(message.content))
            self._code_blocks = []
        elif message.streaming:
            self._show_streaming(message.content)
        else:  # complete: rendered whole, once, as history is
            self._streamed = None
            rendered = self._renderer.render(message.content)
            self._code_blocks = rendered.code_blocks
            self.body.setHtml(rendered.html if message.content else "<p><i>(no answer)</i></p>")
        self.footer.setText(_footer_text(message))
        self.footer.setVisible(bool(self.footer.text()))

    def _show_streaming(self, text: str) -> None:
        """Redraw a growing answer at a cost that does not grow with it.

        The final part of the text (see `stable_prefix_length`) is rendered once and appended
        to the document; only the unfinished rest is removed and rendered again each time.
        """
        with self.body.editing():
            self._update_streaming(text)

    def _update_streaming(self, text: str) -> None:
        streamed = self._streamed
        if streamed is None or not text.startswith(streamed.text):
            self.body.clear()
            streamed = self._streamed = _Streamed()
        document = self.body.document()
        cursor = QTextCursor(document)
        cursor.setPosition(streamed.end)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()  # the old unfinished rest, and the break before it

        boundary = stable_prefix_length(text, len(streamed.text))
        if boundary > len(streamed.text):
            rendered = self._renderer.render(text[len(streamed.text):boundary],
                                             len(streamed.code_blocks))
            _append_blocks(cursor, rendered.html)
            streamed.text = text[:boundary]
            streamed.end = document.characterCount() - 1
            streamed.code_blocks += rendered.code_blocks
        rest = self._renderer.render(text[boundary:], len(streamed.code_blocks))
        _append_blocks(cursor, rest.html)
        self._code_blocks = streamed.code_blocks + rest.code_blocks

    def plain_text(self) -> str:
        return self.body.toPlainText()

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == COPY_SCHEME:
            index = int(url.path() or "-1")
            if 0 <= index < len(self._code_blocks):
                QGuiApplication.clipboard().setText(self._code_blocks[index])
                self.copied.emit(self._code_blocks[index])
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)


@dataclass
class _Streamed:
    """The part of a streaming answer already in the document for good."""

    text: str = ""
    end: int = 0  # document position where it ends
    code_blocks: list[str] = field(default_factory=list)


def _append_blocks(cursor: QTextCursor, html_blocks: str) -> None:
    """Append rendered blocks at the end of the cursor's document, as new paragraphs."""
    if not html_blocks.strip():
        return
    cursor.movePosition(QTextCursor.MoveOperation.End)
    if not cursor.document().isEmpty():
        # The first inserted block keeps this block's format, not its own <p>'s margin.
        spacing = QTextBlockFormat()
        spacing.setTopMargin(_BLOCK_SPACING_PX)
        cursor.insertBlock(spacing, QTextCharFormat())
    cursor.insertHtml(html_blocks)


def _footer_text(message: Message) -> str:
    if message.error:
        return f"⚠ {message.error}"
    if message.streaming or message.stats is None:
        return ""
    s = message.stats
    parts = [f"{s.tokens_per_s:.1f} tok/s", f"{s.completion_tokens} tokens",
             f"first token {s.ttft_s:.2f} s"]
    if s.finish_reason == "cancelled":
        parts.insert(0, "stopped")
    elif s.finish_reason == "length":
        parts.insert(0, "cut at the length limit")
    return " · ".join(parts)


class ChatView(QScrollArea):
    """Shows a `ConversationModel`.

    Signals:
        rendered(int): a row was (re)drawn; tests and benchmarks wait on it.
    """

    rendered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._renderer = MarkdownRenderer()
        self._model: ConversationModel | None = None
        self._widgets: list[MessageWidget] = []
        self._dirty: set[int] = set()
        self._stick_to_bottom = True

        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self.setWidget(self._content)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RENDER_INTERVAL_MS)
        self._timer.timeout.connect(self._render_dirty)

        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)

    # -- model binding ---------------------------------------------------------------------

    def set_model(self, model: ConversationModel) -> None:
        if self._model is not None:
            self._model.disconnect(self)
        self._model = model
        model.rowsInserted.connect(self._on_rows_inserted)
        model.dataChanged.connect(self._on_data_changed)
        model.modelReset.connect(self._rebuild)
        self._rebuild()

    def message_widget(self, row: int) -> MessageWidget:
        return self._widgets[row]

    def _rebuild(self) -> None:
        for widget in self._widgets:
            widget.deleteLater()
        self._widgets = []
        self._dirty.clear()
        if self._model is not None and self._model.rowCount():
            self._on_rows_inserted(QModelIndex(), 0, self._model.rowCount() - 1)

    def _on_rows_inserted(self, _parent: QModelIndex | QPersistentModelIndex, first: int,
                          last: int) -> None:
        assert self._model is not None
        for row in range(first, last + 1):
            widget = MessageWidget(self._renderer)
            self._layout.insertWidget(row, widget)  # the stretch stays last
            self._widgets.insert(row, widget)
            widget.show_message(self._model.message(row))
            self.rendered.emit(row)

    def _on_data_changed(self, top_left: QModelIndex | QPersistentModelIndex,
                         bottom_right: QModelIndex | QPersistentModelIndex, *_: Any) -> None:
        assert self._model is not None
        self._dirty.update(range(top_left.row(), bottom_right.row() + 1))
        finished = not self._model.message(bottom_right.row()).streaming
        if finished:  # the last words and the stats show at once
            self._timer.stop()
            self._render_dirty()
        elif not self._timer.isActive():
            self._timer.start()

    def _render_dirty(self) -> None:
        assert self._model is not None
        dirty, self._dirty = sorted(self._dirty), set()
        for row in dirty:
            if row < len(self._widgets):
                self._widgets[row].show_message(self._model.message(row))
                self.rendered.emit(row)

    # -- following the end -----------------------------------------------------------------

    @property
    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - _STICK_SLACK_PX

    def _on_scrolled(self, _value: int) -> None:
        self._stick_to_bottom = self.at_bottom

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_bottom:
            self.verticalScrollBar().setValue(maximum)

    def scroll_to_bottom(self) -> None:
        self._stick_to_bottom = True
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
