"""The conversation view: one widget per message in a scroll area, driven by the list model.

The messages stand in a reading column centred in the view: about `COLUMN_CHARS` characters of
body text wide at any window width (the width of the font in use), the whole width in a narrower
window. A long line of text is hard to read; and past that width, making the window wider moves
the column and re-wraps nothing. A chat without messages shows `EmptyChat` in its place.

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

import time
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.core.chat.markdown import MarkdownRenderer
from app.core.engine import ModelInfo
from app.core.models.library import ModelEntry
from app.qt.appearance import colors_for, set_surface
from app.qt.controller import ChatState
from app.qt.design import SPACE, markdown_colours
from app.qt.i18n import on_language_change
from app.qt.throttle import gui_throttle
from app.qt.viewmodels.conversation_model import ConversationModel
from app.qt.widgets.empty_chat import EmptyChat
from app.qt.widgets.message_widget import MessageWidget, text_width

# 15 redraws a second: smooth to read, and cheap enough to leave llama.cpp its cores.
RENDER_INTERVAL_MS = 66
_WARM_UP = "```python\nx = 1\n```"
# Drawing the earlier messages of a long chat: one slice per turn of the event loop.
LOAD_SLICE_MS = 20
_STICK_SLACK_PX = 8
# The reading column: about this many characters of body text a line.
COLUMN_CHARS = 80
# In the column's layout, its stretch against the room either side of it (none): it takes all
# the width up to its maximum, and the sides share what is left.
_COLUMN_STRETCH = 1


class ChatView(QScrollArea):
    """Shows a `ConversationModel`.

    A long conversation opens at its end at once: the last messages are drawn first and the
    earlier ones are added above them in slices of at most `LOAD_SLICE_MS`, between which the
    window stays responsive; the view keeps its distance from the bottom meanwhile.

    Signals:
        rendered(int): a row was (re)drawn; tests and benchmarks wait on it.
        loaded(): every message of the conversation set last is drawn.
        actionRequested(str, int): a message's action (see `MessageWidget`) and its id.
        starterChosen(str, str): a starter of the empty chat was clicked: the preset's key
            and the text to put in the composer (`EmptyChat`).
    """

    rendered = Signal(int)
    loaded = Signal()
    actionRequested = Signal(str, int)
    starterChosen = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._renderer = MarkdownRenderer(colours=markdown_colours(colors_for(self.palette())))
        set_surface(self, "conversation")
        self._model: ConversationModel | None = None
        self._widgets: list[MessageWidget] = []
        self._first = 0  # rows above this one are not drawn yet
        self._dirty: set[int] = set()
        self._stick_to_bottom = True
        self._from_bottom = 0  # kept while earlier messages are added above
        self._actions_enabled = True
        # The scroll area's one widget, holding a page for the conversation shown (or the empty
        # chat) in the reading column, with room either side.
        self._pages = QWidget()
        self._pages_layout = QHBoxLayout(self._pages)
        self._pages_layout.setContentsMargins(0, 0, 0, 0)
        self._pages_layout.setSpacing(0)
        self._pages_layout.addStretch(0)
        self._pages_layout.addStretch(0)
        self.setWidget(self._pages)
        self._pages.setAutoFillBackground(False)  # the conversation's surface shows through
        self._column_px = self._column_width()
        self._empty_shown: tuple[bool, QWidget] | None = None  # and the page it was shown with
        self.empty = EmptyChat()
        self.empty.starterChosen.connect(self.starterChosen)
        self._in_column(self.empty)
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
        on_language_change(self, self._redraw_all)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()
        elif event.type() == QEvent.Type.FontChange:
            self._follow_font()

    # -- the reading column ----------------------------------------------------------------

    def _column_width(self) -> int:
        """The column's widest, in px: `COLUMN_CHARS` of body text, and the margins around a
        message's text."""
        text = text_width(QFontMetricsF(self.font()), COLUMN_CHARS)
        document = 4  # a text view's document margin, either side
        return text + 2 * (SPACE.l + SPACE.s + document)

    @property
    def column_width(self) -> int:
        """How wide the reading column may be, in px, in the font in use."""
        return self._column_px

    def _in_column(self, page: QWidget) -> None:
        """Put `page` in the reading column: the width there is up to the column's."""
        page.setMaximumWidth(self._column_px)
        page.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._pages_layout.insertWidget(self._pages_layout.count() - 1, page, _COLUMN_STRETCH)

    def _column_rect(self) -> QRect:
        """Where the column is in the view now."""
        room = self._pages.rect()
        width = min(room.width(), self._column_px)
        return QRect(room.x() + (room.width() - width) // 2, room.y(), width, room.height())

    def _follow_font(self) -> None:
        """A new font size: the column keeps its number of characters."""
        width = self._column_width()
        if width != self._column_px:
            self._column_px = width
            self.empty.setMaximumWidth(width)
            self._content.setMaximumWidth(width)

    def _follow_palette(self) -> None:
        """A light or dark theme chosen while the window is open recolours the code blocks."""
        colours = markdown_colours(colors_for(self.palette()))
        if colours == self._renderer.colours:
            return
        self._renderer.colours = colours
        self._redraw_all()

    def _redraw_all(self) -> None:
        """Draw every message again, whole: in a new theme's colours, or in a new language
        (the stats under them, and the renderer's words: Copy, Show all)."""
        for widget in self._widgets:
            widget.forget_rendering()
        if self._model is not None:
            self._dirty.update(range(self._first, self._first + len(self._widgets)))
            self._redraw.now()

    def _new_content(self) -> tuple[QWidget, QVBoxLayout]:
        """A page for a conversation's messages, in the scroll area's one widget. Pages come
        and go inside it: taking a page out instead (QScrollArea.takeWidget) would reparent
        each of its hundreds of widgets, and under the application's style sheet Qt polishes
        every reparented widget again (a third of a second for a long chat)."""
        content = QWidget(self._pages)
        content.setObjectName("conversationColumn")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(SPACE.l, SPACE.l, SPACE.l, SPACE.l)
        layout.setSpacing(SPACE.s)
        layout.addStretch(1)
        self._in_column(content)
        # At the width it will have, at once: messages laid out at another width first would
        # wrap all their text twice.
        content.setGeometry(self._column_rect())
        return content, layout

    def _show_empty(self) -> None:
        """The empty chat in place of a conversation without messages, and back."""
        empty = self._model is None or self._model.rowCount() == 0
        if (empty, self._content) != self._empty_shown:
            self._empty_shown = empty, self._content
            self.empty.setVisible(empty)
            self._content.setVisible(not empty)

    @property
    def showing_empty(self) -> bool:
        """The empty chat is shown (the conversation has no messages)."""
        return self._empty_shown is not None and self._empty_shown[0]

    def show_model(self, entry: ModelEntry | None, info: ModelInfo | None,
                   state: ChatState) -> None:
        """The model in use, from the controller's: the empty chat says it in words
        (`empty_chat.model_summary`), and again in a new language."""
        self.empty.show_model(entry, info, state)

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
        old = self._content
        old.hide()
        self._pages_layout.removeWidget(old)
        self._doomed.append(old)
        self._doomed.extend(self._widgets)
        self._content, self._layout = self._new_content()
        self._reaper.start()
        self._widgets = []
        self._dirty.clear()
        self._stick_to_bottom = True
        self._first = self._model.rowCount() if self._model is not None else 0
        self._show_empty()
        if self._first:
            self._load_earlier()
            # The new page's height now, not at a later turn of the event loop: the scroll
            # range follows at once and the chat's end shows before the old page is deleted.
            self._pages_layout.activate()
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
        widget.show_message(message, self._model.version(message),
                            last=row == self._model.rowCount() - 1)
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
        self._show_empty()
        for row in range(first, last + 1):
            widget = self._new_widget(row)
            # Rows are only ever added at the end (`ConversationModel.sync` removes the rows
            # that change before it adds their replacements); the stretch stays last.
            self._layout.insertWidget(self._layout.count() - 1, widget)
            self._widgets.insert(row - self._first, widget)
            self.rendered.emit(row)
        self._last_changed(first - 1)  # no longer the last: its Continue goes

    def _on_rows_removed(self, _parent: QModelIndex | QPersistentModelIndex, first: int,
                         last: int) -> None:
        self.ensure_loaded(first)
        start, end = first - self._first, last - self._first + 1
        for widget in self._widgets[start:end]:
            widget.hide()
            widget.deleteLater()
        del self._widgets[start:end]
        self._dirty = {r for r in self._dirty if r < first}
        self._last_changed(first - 1)  # the last again: a stopped answer offers Continue
        self._show_empty()

    def _last_changed(self, row: int) -> None:
        """`row` stopped or started being the last, which its footer shows: redraw it."""
        if row >= self._first:
            self._dirty.add(row)
            self._redraw()

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
                self._widgets[row - self._first].show_message(
                    message, self._model.version(message),
                    last=row == self._model.rowCount() - 1)
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
