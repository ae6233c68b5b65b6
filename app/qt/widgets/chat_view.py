"""The conversation view: one widget per message in a scroll area, driven by the list model.

Streaming never re-renders the conversation: a changed row is marked dirty and the dirty rows
are rendered together at most every `RENDER_INTERVAL_MS`, and a growing answer re-renders only
its unfinished last block (so a redraw costs the same at the 10th token and the 5,000th). The
view follows new text only while the user is at the bottom, so scrolling up to read is never
fought.

While the model writes, every wake-up of the GUI thread costs tokens/s, not only its CPU time:
it takes a core from llama.cpp mid-token and the GIL from the inference thread. So a redraw that
is due is done at once, in the wake-up that brought the new text (a `Throttle`); its timer only
catches text that arrived too soon after a redraw and was not followed by more.
"""

from __future__ import annotations

import contextlib
import html
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QEnterEvent,
    QGuiApplication,
    QPalette,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.chat.conversation import Message
from app.core.chat.markdown import (
    ALL_SCHEME,
    CODE_SCHEME,
    COPY_SCHEME,
    LINK_SCHEME,
    MAX_ATTACHMENT_LINES,
    MAX_RENDER_COST,
    TABLE_SCHEME,
    Link,
    MarkdownRenderer,
    RenderedMarkdown,
    Table,
    plain_text_html,
    rest_html,
    stable_prefix_length,
)
from app.core.documents.summarize import SavedSummary
from app.qt.appearance import is_dark
from app.qt.safe_text import SafeTextBrowser, elided, open_link, plain_tooltip
from app.qt.throttle import gui_throttle
from app.qt.viewmodels.conversation_model import ConversationModel
from app.qt.widgets.buttons import tool_button
from app.qt.widgets.show_all import ShowAllTable, ShowAllText

# 15 redraws a second: smooth to read, and cheap enough to leave llama.cpp its cores.
RENDER_INTERVAL_MS = 66
_WARM_UP = "```python\nx = 1\n```"
# Drawing the earlier messages of a long chat: one slice per turn of the event loop.
LOAD_SLICE_MS = 20
_STICK_SLACK_PX = 8
_BLOCK_SPACING_PX = 12  # Qt's margin around a <p>
# Of a model's name in a message's header, and of an error under it: outside text, cut.
MAX_NAME_CHARS = 200
MAX_FOOTER_CHARS = 1_000


class _MessageBody(SafeTextBrowser):
    """Rich text that is as tall as its content, so the outer scroll area does the scrolling;
    it reads no resource and follows no link (the message decides what a click does)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
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


class _VersionNav(QWidget):
    """`‹ 2/3 ›`: made only for messages that have other versions."""

    def __init__(self, request: Callable[[str], None]) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.previous = tool_button("‹", "Previous version", "previousVersion")
        self.label = QLabel()
        self.label.setObjectName("versionLabel")
        self.next = tool_button("›", "Next version", "nextVersion")
        self.previous.clicked.connect(lambda: request("previous"))
        self.next.clicked.connect(lambda: request("next"))
        for widget in (self.previous, self.label, self.next):
            layout.addWidget(widget)


class _MessageActions(QWidget):
    """Copy, Edit or Regenerate, Delete: made the first time the pointer is over a message,
    so a long chat does not build hundreds of buttons nobody hovers."""

    def __init__(self, request: Callable[[str], None], copy: Callable[[], None]) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.copy = tool_button("Copy", "Copy this message", "copyMessageButton")
        self.copy.clicked.connect(copy)
        self.redo = tool_button("", "", "redoButton")  # Edit or Regenerate, by role
        self.redo.clicked.connect(lambda: request("redo"))
        self.delete = tool_button("Delete", "Delete this message and what follows it",
                                   "deleteMessageButton")
        self.delete.clicked.connect(lambda: request("delete"))
        for button in (self.copy, self.redo, self.delete):
            layout.addWidget(button)


class MessageWidget(QFrame):
    """One message: who wrote it, its versions (`< 2/3 >`), the text, and under it the stats
    and, while the pointer is over it, what can be done with it.

    Signals:
        copied(str): text put on the clipboard (a code block's, or the whole message's).
        actionRequested(str, int): "edit", "regenerate", "delete", "previous", "next" or
            "parts" (a summary's Parts… link) and the message id; the window decides what
            happens.
    """

    copied = Signal(str)
    actionRequested = Signal(str, int)

    def __init__(self, renderer: MarkdownRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer = renderer
        self._code_blocks: list[str] = []
        self._links: list[Link] = []
        self._tables: list[Table] = []
        self._streamed: _Streamed | None = None
        self._content = ""
        self._role = "user"
        self._complete = False
        self._version = 1, 1
        self._actions_enabled = True
        self._nav: _VersionNav | None = None
        self._actions: _MessageActions | None = None
        self.message_id: int | None = None
        self.setObjectName("message")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)

        self.author = QLabel()
        self.author.setObjectName("messageAuthor")
        self._header = QHBoxLayout()
        self._header.setContentsMargins(0, 0, 0, 0)
        self._header.addWidget(self.author)
        self._header.addStretch(1)

        self.body = _MessageBody()
        self.body.setObjectName("messageBody")
        self.body.anchorClicked.connect(self._on_link)

        self.footer = QLabel()
        self.footer.setObjectName("messageFooter")
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        self.footer.linkActivated.connect(self._request)
        self.footer.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._bottom = QHBoxLayout()
        self._bottom.setContentsMargins(0, 0, 0, 0)
        self._bottom.addWidget(self.footer, 1)

        layout.addLayout(self._header)
        layout.addWidget(self.body)
        layout.addLayout(self._bottom)

    # -- parts made on demand --------------------------------------------------------------

    def versions(self) -> _VersionNav:
        if self._nav is None:
            self._nav = _VersionNav(self._request)
            self._header.addWidget(self._nav)
            self._show_version(*self._version)
        return self._nav

    def actions(self) -> _MessageActions:
        if self._actions is None:
            self._actions = _MessageActions(self._request, self.copy_text)
            self._bottom.addWidget(self._actions)
            self._show_actions_state()
        return self._actions

    @property
    def previous_version(self) -> QToolButton:
        return self.versions().previous

    @property
    def next_version(self) -> QToolButton:
        return self.versions().next

    @property
    def version_label(self) -> QLabel:
        return self.versions().label

    @property
    def copy_button(self) -> QToolButton:
        return self.actions().copy

    @property
    def redo_button(self) -> QToolButton:
        return self.actions().redo

    @property
    def delete_button(self) -> QToolButton:
        return self.actions().delete

    def enterEvent(self, event: QEnterEvent) -> None:
        super().enterEvent(event)
        if self._complete:
            self.actions().show()

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        if self._actions is not None:
            self._actions.hide()

    # -- showing ---------------------------------------------------------------------------

    def show_message(self, message: Message, version: tuple[int, int] = (1, 1)) -> None:
        user = message.role == "user"
        self.message_id = message.id
        self._content = message.content
        self._role = message.role
        self._complete = not message.streaming and message.id is not None
        name = elided(message.model_name or "Assistant", MAX_NAME_CHARS)
        self.author.setText("<b>You</b>" if user else f"<b>{html.escape(name)}</b>")
        if user:
            self._streamed = None
            self.body.setHtml(_attachments_html(message) + plain_text_html(message.content))
            self._code_blocks, self._links, self._tables = [], [], []
        elif message.streaming and not message.content and message.progress:
            self._streamed = None  # the answer's first words replace the progress
            self.body.setHtml(f"<p><i>{html.escape(elided(message.progress, MAX_FOOTER_CHARS))}"
                              "</i></p>")
        elif message.streaming:
            self._show_streaming(message.content)
        else:  # complete: rendered whole, once, as history is
            self._streamed = None
            rendered = self._renderer.render(message.content)
            self._code_blocks = rendered.code_blocks
            self._links, self._tables = rendered.links, rendered.tables
            self.body.setHtml(rendered.html + rendered.notice if message.content
                              else "<p><i>(no answer)</i></p>")
        self.footer.setText(_footer_text(message))
        self.footer.setToolTip(plain_tooltip(_stats_tooltip(message)))
        self._show_version(*version)
        self._show_actions_state()

    def _show_version(self, number: int, count: int) -> None:
        self._version = number, count
        if count > 1:
            self.versions()
        if self._nav is None:
            return
        self._nav.setVisible(count > 1)
        self._nav.label.setText(f"{number}/{count}")
        self._nav.previous.setEnabled(self._actions_enabled and number > 1)
        self._nav.next.setEnabled(self._actions_enabled and number < count)

    def _show_actions_state(self) -> None:
        if self._actions is None:
            return
        user = self._role == "user"
        self._actions.redo.setText("Edit" if user else "Regenerate")
        self._actions.redo.setToolTip(
            "Ask again with changed words: a new version of this question" if user else
            "Answer again: a new version of this answer")
        self._actions.redo.setEnabled(self._actions_enabled)
        self._actions.delete.setEnabled(self._actions_enabled)
        if not self._complete:
            self._actions.hide()

    def set_actions_enabled(self, enabled: bool) -> None:
        """While an answer streams, messages can be read and copied, not changed."""
        self._actions_enabled = enabled
        self._show_version(*self._version)
        self._show_actions_state()

    def copy_text(self) -> None:
        """The message as written (Markdown for answers), onto the clipboard."""
        QGuiApplication.clipboard().setText(self._content)
        self.copied.emit(self._content)

    def highlight(self, duration_ms: int = 1500) -> None:
        """Mark the message for a moment: the one a search result jumped to."""
        self.setStyleSheet("#message { background: palette(highlight); border-radius: 4px; }")
        QTimer.singleShot(duration_ms, self, lambda: self.setStyleSheet(""))

    def _request(self, action: str) -> None:
        if action == "redo":
            action = "edit" if self._role == "user" else "regenerate"
        if self.message_id is not None:
            self.actionRequested.emit(action, self.message_id)

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
        # One edit block: the document is laid out once, when it ends, rather than after the
        # removal and after each insertion, and the cursor does not lay out its line each time.
        cursor.beginEditBlock()
        try:
            cursor.setPosition(streamed.end)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()  # the old unfinished rest, and the break before it

            if streamed.cost <= MAX_RENDER_COST:
                boundary = stable_prefix_length(text, len(streamed.text))
                if boundary > len(streamed.text):
                    rendered = self._render(text[len(streamed.text):boundary], streamed)
                    _append_blocks(cursor, rendered.html)
                    stable = boundary if rendered.rest is None else \
                        len(streamed.text) + rendered.rest
                    streamed.text = text[:stable]
                    streamed.end = document.characterCount() - 1
                    streamed.cost += rendered.cost
                    streamed.code_blocks += rendered.code_blocks
                    streamed.links += rendered.links
                    streamed.tables += rendered.tables
            if streamed.cost > MAX_RENDER_COST or len(streamed.text) > MAX_RENDER_COST:
                # As much is shown as a complete answer would show; the rest is behind Show
                # all, as it will be once the answer is complete.
                streamed.cost = MAX_RENDER_COST + 1
                rest = RenderedMarkdown(rest_html(text, len(streamed.text)))
            else:
                rest = self._render(text[len(streamed.text):], streamed)
            _append_blocks(cursor, rest.html + rest.notice)
        finally:
            cursor.endEditBlock()
        self._code_blocks = streamed.code_blocks + rest.code_blocks
        self._links = streamed.links + rest.links
        self._tables = streamed.tables + rest.tables

    def _render(self, text: str, streamed: _Streamed) -> RenderedMarkdown:
        return self._renderer.render(text, len(streamed.code_blocks), len(streamed.links),
                                     len(streamed.tables))

    def forget_rendering(self) -> None:
        """The next `show_message` renders a streaming answer whole (the colours changed)."""
        self._streamed = None

    def plain_text(self) -> str:
        return self.body.toPlainText()

    def _on_link(self, url: QUrl) -> None:
        """A click on a link of the body: only the renderer's own schemes do anything; a link
        from the text stands for an entry of `_links` and opens through `open_link`."""
        scheme, path = url.scheme(), url.path()
        index = int(path) if path.isdigit() else -1
        if scheme == COPY_SCHEME and 0 <= index < len(self._code_blocks):
            QGuiApplication.clipboard().setText(self._code_blocks[index])
            self.copied.emit(self._code_blocks[index])
        elif scheme == LINK_SCHEME and 0 <= index < len(self._links):
            open_link(self, self._links[index])
        elif scheme in (TABLE_SCHEME, CODE_SCHEME, ALL_SCHEME):
            self.show_all(scheme, index)

    def show_all(self, scheme: str, index: int = -1) -> QDialog | None:
        """Open the whole of what the message shows in part (a Show all link): the message,
        one of its code blocks or one of its tables. Returns the window opened."""
        dialog: QDialog | None = None
        if scheme == TABLE_SCHEME and 0 <= index < len(self._tables):
            dialog = ShowAllTable(self._tables[index], self.window())
        elif scheme == CODE_SCHEME and 0 <= index < len(self._code_blocks):
            dialog = ShowAllText("Code", self._code_blocks[index], code=True,
                                 parent=self.window())
        elif scheme == ALL_SCHEME:
            dialog = ShowAllText("Message", self._content, parent=self.window())
        if dialog is not None:
            dialog.show()
        return dialog


@dataclass
class _Streamed:
    """The part of a streaming answer already in the document for good."""

    text: str = ""
    end: int = 0  # document position where it ends
    cost: int = 0  # what rendering it cost (see MAX_RENDER_COST)
    code_blocks: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


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


def _stats_tooltip(message: Message) -> str:
    s = message.stats
    if s is None or message.streaming:
        return ""
    return (f"Model: {message.model_name or 'unknown'}\n"
            f"Time to first token: {s.ttft_s:.2f} s\n"
            f"Speed: {s.tokens_per_s:.1f} tokens/s\n"
            f"Prompt: {s.prompt_tokens} tokens · answer: {s.completion_tokens} tokens" +
            (f"\nSeed: {s.seed}" if s.seed is not None else ""))


def _footer_text(message: Message) -> str:
    """The line under a message (rich text: a summary's parts are a link)."""
    if message.error:
        return html.escape(f"⚠ {elided(message.error, MAX_FOOTER_CHARS)}")
    if message.streaming:  # while the body shows the progress, the footer need not
        return html.escape(elided(message.progress, MAX_FOOTER_CHARS)) if message.content \
            else ""
    if message.stats is None:
        return ""
    s = message.stats
    parts = [f"{s.tokens_per_s:.1f} tok/s", f"{s.completion_tokens} tokens",
             f"first token {s.ttft_s:.2f} s"]
    if s.finish_reason == "cancelled":
        parts.insert(0, "stopped")
    elif s.finish_reason == "length":
        parts.insert(0, "cut at the length limit")
    if message.summarized and message.details is not None:
        return _summary_footer(message.details, stopped=s.finish_reason == "cancelled")
    return html.escape(" · ".join(parts))


def _summary_footer(details: dict[str, Any], stopped: bool) -> str:
    """What a part-by-part summary read, how long it took, and the link to its parts."""
    summary = SavedSummary.from_details(details)
    count, tokens = len(summary.parts), summary.document_tokens
    plural = "s" if count != 1 else ""
    if stopped:
        words = [f"stopped after {count} part{plural} of a {tokens:,}-token document"]
    else:
        words = [f"summary of {count} part{plural}", f"{tokens:,} tokens read"]
    if summary.elapsed_s is not None:
        minutes, seconds = divmod(round(summary.elapsed_s), 60)
        words.append(f"{minutes} min {seconds} s" if minutes else f"{seconds} s")
    link = ' · <a href="parts">Parts…</a>' if count else ""
    return html.escape(" · ".join(words)) + link


def _attachments_html(message: Message) -> str:
    """The documents sent with a question, one line each (the text itself is not shown)."""
    lines = []
    for attachment in message.attachments[:MAX_ATTACHMENT_LINES]:
        size = f" · {attachment.tokens:,} tokens" if attachment.tokens else \
            f" · {len(attachment.text):,} characters"
        # Words, not a document emoji: many Linux desktops have no emoji font.
        name = html.escape(elided(attachment.name, MAX_NAME_CHARS))
        lines.append(f"<p>Attached: <b>{name}</b>{size}</p>")
    more = len(message.attachments) - MAX_ATTACHMENT_LINES
    if more > 0:
        lines.append(f"<p>and {more:,} more documents</p>")
    return "".join(lines)


class ChatView(QScrollArea):
    """Shows a `ConversationModel`.

    A long conversation opens at its end at once: the last messages are drawn first and the
    earlier ones are added above them in slices of at most `LOAD_SLICE_MS`, between which the
    window stays responsive; the view keeps its distance from the bottom meanwhile.

    Signals:
        rendered(int): a row was (re)drawn; tests and benchmarks wait on it.
        loaded(): every message of the conversation set last is drawn.
        actionRequested(str, int): a message's action (see `MessageWidget`) and its id.
    """

    rendered = Signal(int)
    loaded = Signal()
    actionRequested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._renderer = MarkdownRenderer(dark=is_dark(self.palette()))
        self._model: ConversationModel | None = None
        self._widgets: list[MessageWidget] = []
        self._first = 0  # rows above this one are not drawn yet
        self._dirty: set[int] = set()
        self._stick_to_bottom = True
        self._from_bottom = 0  # kept while earlier messages are added above
        self._actions_enabled = True
        self._content, self._layout = self._new_content()

        self._redraw = gui_throttle(self._render_dirty, RENDER_INTERVAL_MS / 1000, self)
        self._loader = QTimer(self)
        self._loader.setSingleShot(True)
        self._loader.setInterval(0)
        self._loader.timeout.connect(self._load_earlier)
        self._doomed: list[QWidget] = []  # widgets of a chat shown before, to be deleted
        self._reaper = QTimer(self)
        self._reaper.setSingleShot(True)
        self._reaper.setInterval(0)
        self._reaper.timeout.connect(self._delete_doomed)
        # Pygments loads a lexer the first time it meets a language; Python's costs ~60 ms.
        # Paid while the window is idle rather than when the first chat opens.
        QTimer.singleShot(300, self, lambda: self._renderer.render(_WARM_UP))

        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()

    def _follow_palette(self) -> None:
        """A light or dark theme chosen while the window is open recolours the code blocks."""
        dark = is_dark(self.palette())
        if dark == self._renderer.dark:
            return
        self._renderer.dark = dark
        for widget in self._widgets:
            widget.forget_rendering()
        if self._model is not None:
            self._dirty.update(range(self._first, self._first + len(self._widgets)))
            self._redraw.now()

    def _new_content(self) -> tuple[QWidget, QVBoxLayout]:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addStretch(1)
        self.setWidget(content)
        return content, layout

    # -- model binding ---------------------------------------------------------------------

    def set_model(self, model: ConversationModel) -> None:
        if self._model is not None:
            self._model.disconnect(self)
        self._model = model
        model.rowsInserted.connect(self._on_rows_inserted)
        model.rowsRemoved.connect(self._on_rows_removed)
        model.dataChanged.connect(self._on_data_changed)
        model.modelReset.connect(self._rebuild)
        self._rebuild()

    def message_widget(self, row: int) -> MessageWidget:
        self.ensure_loaded(row)
        return self._widgets[row - self._first]

    @property
    def loading(self) -> bool:
        """Earlier messages are still being added."""
        return self._first > 0

    def set_actions_enabled(self, enabled: bool) -> None:
        self._actions_enabled = enabled
        for widget in self._widgets:
            widget.set_actions_enabled(enabled)

    def _rebuild(self) -> None:
        self._loader.stop()
        # The old messages are deleted a slice at a time on later turns of the event loop:
        # deleting a long chat's widgets at once froze the window for a quarter of a second.
        old = self.takeWidget()
        self._doomed.append(old)
        self._doomed.extend(self._widgets)
        self._content, self._layout = self._new_content()
        self._reaper.start()
        self._widgets = []
        self._dirty.clear()
        self._stick_to_bottom = True
        self._first = self._model.rowCount() if self._model is not None else 0
        if self._first:
            self._load_earlier()
        else:
            self.loaded.emit()

    def _delete_doomed(self) -> None:
        """Delete old widgets, the messages before their container, for one slice."""
        deadline = time.perf_counter() + LOAD_SLICE_MS / 1000
        while self._doomed and time.perf_counter() < deadline:
            widget = self._doomed.pop()
            if shiboken6.isValid(widget):
                shiboken6.delete(widget)
        if self._doomed:
            self._reaper.start()

    def _new_widget(self, row: int) -> MessageWidget:
        assert self._model is not None
        widget = MessageWidget(self._renderer)
        widget.actionRequested.connect(self.actionRequested)
        widget.set_actions_enabled(self._actions_enabled)
        message = self._model.message(row)
        widget.show_message(message, self._model.version(message))
        return widget

    def _load_earlier(self, until: int | None = None) -> None:
        """Draw earlier messages, last first: for one slice, or down to row `until`."""
        deadline = time.perf_counter() + LOAD_SLICE_MS / 1000
        # One container per slice: inserting it at the top moves one widget down, where
        # inserting each message would move every message below it, again on every slice.
        group = QWidget()
        group_layout = QVBoxLayout(group)
        group_layout.setContentsMargins(0, 0, 0, 0)
        group_layout.setSpacing(self._layout.spacing())
        drawn: list[int] = []
        while self._first > 0:
            if until is None and drawn and time.perf_counter() > deadline:
                break
            if until is not None and self._first <= until:
                break
            self._first -= 1
            widget = self._new_widget(self._first)
            group_layout.insertWidget(0, widget)
            self._widgets.insert(0, widget)
            drawn.append(self._first)
        self._layout.insertWidget(0, group)
        for row in drawn:
            self.rendered.emit(row)
        if self._first > 0:
            self._loader.start()
        else:
            self.loaded.emit()

    def ensure_loaded(self, row: int) -> None:
        """Draw every message from `row` down, now."""
        if row < self._first:
            self._load_earlier(until=row)

    def _on_rows_inserted(self, _parent: QModelIndex | QPersistentModelIndex, first: int,
                          last: int) -> None:
        assert self._model is not None
        self.ensure_loaded(first)
        for row in range(first, last + 1):
            widget = self._new_widget(row)
            # Rows are only ever added at the end (`ConversationModel.sync` removes the rows
            # that change before it adds their replacements); the stretch stays last.
            self._layout.insertWidget(self._layout.count() - 1, widget)
            self._widgets.insert(row - self._first, widget)
            self.rendered.emit(row)

    def _on_rows_removed(self, _parent: QModelIndex | QPersistentModelIndex, first: int,
                         last: int) -> None:
        self.ensure_loaded(first)
        start, end = first - self._first, last - self._first + 1
        for widget in self._widgets[start:end]:
            widget.hide()
            widget.deleteLater()
        del self._widgets[start:end]
        self._dirty = {r for r in self._dirty if r < first}

    def _on_data_changed(self, top_left: QModelIndex | QPersistentModelIndex,
                         bottom_right: QModelIndex | QPersistentModelIndex, *_: Any) -> None:
        assert self._model is not None
        self._dirty.update(range(top_left.row(), bottom_right.row() + 1))
        finished = not self._model.message(bottom_right.row()).streaming
        # The last words and the stats show at once; so does text that comes when a redraw is
        # due, in the wake-up that brought it rather than in one of the timer's own.
        if finished:
            self._redraw.now()
        else:
            self._redraw()

    def _render_dirty(self) -> None:
        assert self._model is not None
        dirty, self._dirty = sorted(self._dirty), set()
        for row in dirty:
            if self._first <= row < self._first + len(self._widgets):
                message = self._model.message(row)
                self._widgets[row - self._first].show_message(message,
                                                              self._model.version(message))
                self.rendered.emit(row)

    # -- following the end -----------------------------------------------------------------

    @property
    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - _STICK_SLACK_PX

    def _on_scrolled(self, _value: int) -> None:
        self._stick_to_bottom = self.at_bottom
        bar = self.verticalScrollBar()
        self._from_bottom = bar.maximum() - bar.value()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        bar = self.verticalScrollBar()
        if self._stick_to_bottom:
            bar.setValue(maximum)
        elif self.loading:  # earlier messages were added above what the user reads
            bar.setValue(maximum - self._from_bottom)

    def scroll_to_bottom(self) -> None:
        self._stick_to_bottom = True
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def scroll_to_row(self, row: int) -> None:
        """Bring a message into view and mark it for a moment (a search result)."""
        widget = self.message_widget(row)
        self._stick_to_bottom = False
        widget.highlight()
        # After the layout has placed the widgets just added.
        QTimer.singleShot(0, self, lambda: self.ensureWidgetVisible(widget, 0, 40))
