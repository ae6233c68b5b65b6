"""A reasoning model's thinking, above its answer.

While the model thinks, the block reads "Thinking… 12 s" over the newest lines of its thinking;
when the answer starts it folds to one line, "Thought for 12 s" (unless the reader opened it
meanwhile), which a click opens to the whole thinking and closes again. The thinking is the
model's text, so hostile: it is shown as plain text only, in widgets that load nothing, and an
outsized one in part, the whole of it behind Show all.

While it streams, each redraw costs what the newest lines cost: the preview shows the last few
hundred characters, and the open block appends only what is new.
"""

from __future__ import annotations

import html
import math
import time

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent, QTextCursor, QTextOption
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.core.chat.conversation import Message
from app.core.chat.markdown import MAX_RENDER_COST, shown_length
from app.qt.appearance import THINKING_BLOCK, set_style
from app.qt.design import SPACE
from app.qt.safe_text import SafeTextBrowser
from app.qt.widgets.buttons import tool_button
from app.qt.widgets.fitted_text import FittedText
from app.qt.widgets.message_footer import duration_text
from app.qt.widgets.show_all import ShowAllText

PREVIEW_LINES = 3
# Of the end of the thinking, shown under "Thinking…": a few lines' worth at any width, so that
# each redraw lays out as much, however long the thinking grew.
PREVIEW_CHARS = 600
# Of the thinking, shown when the block is open; the rest is behind Show all, as an answer's is.
MAX_THINKING_SHOWN = MAX_RENDER_COST
TICK_MS = 1000  # the running time's step


def thought_label(seconds: float | None) -> str:
    """The folded block's line: how long the model thought, when that is known."""
    if seconds is None:
        return QCoreApplication.translate("ThinkingBlock", "Thinking")
    if seconds < 1:
        return QCoreApplication.translate("ThinkingBlock", "Thought for less than a second")
    return QCoreApplication.translate("ThinkingBlock", "Thought for {duration}").format(
        duration=duration_text(seconds))


def _plain(text: str) -> str:
    # A NUL would end the text Qt takes from Python; what markdown-it does with one.
    return text.replace("\0", "\ufffd") if "\0" in text else text


def preview_text(thinking: str) -> str:
    """The end of `thinking` that the preview shows: its last `PREVIEW_CHARS` characters,
    from a word's start."""
    thinking = thinking.rstrip()
    if len(thinking) <= PREVIEW_CHARS:
        return thinking
    start = len(thinking) - PREVIEW_CHARS
    space = thinking.find(" ", start, start + 40)
    return "…" + thinking[space + 1 if space >= 0 else start:].lstrip()


class ThinkingBlock(QFrame):
    """The thinking of one answer (see the module); `show_message` shows it as it is now.

    The reader's choice, open or closed, holds for the answer it was made on; until it is
    made the block follows the answer (the newest lines while it thinks, folded after). The
    running time is counted by a timer on the GUI thread that runs only while the model
    thinks and the block shows.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thinkingBlock")
        set_style(self, THINKING_BLOCK)
        self._message: Message | None = None
        self._opened: bool | None = None  # the reader's choice; None: none made yet
        self._started: float | None = None  # when this block first saw the model think
        self._measured: float | None = None  # how long it saw it think, once it answered
        self._thinking_now = False
        self._shown = ""  # the thinking as the open block has it
        self._preview = ""

        self.toggle = tool_button("", "", "thinkingToggle")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.clicked.connect(self.toggle_open)

        self.preview = SafeTextBrowser()
        self.preview.setObjectName("thinkingPreview")
        self._quiet(self.preview)
        self.preview.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        # No margin: scrolled to its end, the preview shows whole lines only.
        self.preview.document().setDocumentMargin(0)
        # In line with the open text.
        self.preview.setContentsMargins(SPACE.xs, SPACE.xxs, 0, SPACE.xxs)
        self.preview.document().documentLayout().documentSizeChanged.connect(self._fit_preview)

        self.text = FittedText()
        self.text.setObjectName("thinkingText")
        self._quiet(self.text)
        self.text.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.text.setUndoRedoEnabled(False)

        self.more = QLabel()  # our own words and number, and the link
        self.more.setObjectName("thinkingMore")
        self.more.setTextFormat(Qt.TextFormat.RichText)
        self.more.linkActivated.connect(lambda _link: self.show_all())

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._show_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE.s, 0, 0, SPACE.xs)
        layout.setSpacing(0)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        for part in (self.preview, self.text, self.more):
            part.hide()
            layout.addWidget(part)

    @staticmethod
    def _quiet(browser: SafeTextBrowser) -> None:
        browser.setFrameShape(QFrame.Shape.NoFrame)
        browser.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        browser.viewport().setAutoFillBackground(False)

    # -- what it shows ---------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """The whole thinking is shown (the reader opened the block)."""
        return self._opened is True

    @property
    def thinking_now(self) -> bool:
        """The answer it shows has thought and not yet begun to answer."""
        return self._thinking_now

    @property
    def label(self) -> str:
        return self.toggle.text()

    def show_message(self, message: Message) -> None:
        """Show `message`'s thinking as it is now: hidden when it has none."""
        if message is not self._message and (message.id is None
                                             or self._message is None
                                             or message.id != self._message.id):
            self._forget()
        self._message = message
        if not message.thinking.strip():
            self._thinking_now = False
            self.hide()
            return
        now = time.monotonic()
        self._thinking_now = message.streaming and not message.content
        if self._thinking_now and self._started is None:
            self._started = now
        elif not self._thinking_now and self._started is not None and self._measured is None:
            self._measured = now - self._started
        self.show()
        self._show_label()
        self._show_parts()
        self._run_timer()

    def _run_timer(self) -> None:
        """The running time counts while the model thinks and the block is on screen."""
        if self._thinking_now and self.isVisible():
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Its words in the new language (an event rather than `on_language_change`: a long
        # chat has many blocks, and this costs none of them an object).
        if event.type() == QEvent.Type.LanguageChange and self._message is not None:
            self._show_label()
            if self.is_open:
                thinking = self._message.thinking
                self._show_more(thinking, shown_length(thinking, MAX_THINKING_SHOWN))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._run_timer()
        self._show_label()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def _forget(self) -> None:
        """Another answer: nothing of the one shown before holds for it."""
        self._opened = None
        self._started = self._measured = None
        self._shown = self._preview = ""
        self.text.clear()
        self.preview.clear()

    def toggle_open(self) -> None:
        """Open the block to the whole thinking, or close it to its one line."""
        self._opened = not self.is_open
        self._show_label()
        self._show_parts()

    def _seconds(self) -> float | None:
        """How long the model thought: as its stats say once it answered, else as seen."""
        stats = self._message.stats if self._message is not None else None
        if stats is not None and stats.thinking_s > 0:
            return stats.thinking_s
        return self._measured

    def _show_label(self) -> None:
        if self._thinking_now:
            elapsed = time.monotonic() - self._started if self._started is not None else 0.0
            label = self.tr("Thinking… {duration}").format(duration=duration_text(elapsed)) \
                if elapsed >= 1 else self.tr("Thinking…")
        else:
            label = thought_label(self._seconds())
        if label != self.toggle.text():
            self.toggle.setText(label)
        opened = self.is_open
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        what = self.tr("Hide the model's thinking") if opened else \
            self.tr("Show what the model thought before it answered")
        self.toggle.setToolTip(what)
        self.toggle.setAccessibleName(
            self.tr("{label}: hide the thinking").format(label=label) if opened
            else self.tr("{label}: show the thinking").format(label=label))

    def _show_parts(self) -> None:
        message = self._message
        if message is None:
            return
        previewing = self._thinking_now and self._opened is None
        self.preview.setVisible(previewing)
        if previewing:
            self._show_preview(message.thinking)
        self.text.setVisible(self.is_open)
        if self.is_open:
            self._show_text(message.thinking)
        else:
            self.more.hide()

    def _show_preview(self, thinking: str) -> None:
        text = preview_text(thinking)
        if text == self._preview:
            return
        self._preview = text
        self.preview.setPlainText(_plain(text))
        self._fit_preview()

    def _fit_preview(self, *_: object) -> None:
        """As tall as its lines, up to PREVIEW_LINES of them: the newest, at its end."""
        lines = PREVIEW_LINES * self.preview.fontMetrics().lineSpacing()
        margins = self.preview.contentsMargins()
        height = min(lines, math.ceil(self.preview.document().size().height()))
        height += margins.top() + margins.bottom()
        if height != self.preview.height():
            self.preview.setFixedHeight(height)
        bar = self.preview.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _show_text(self, thinking: str) -> None:
        """The thinking in the open block, bounded; while it grows, only what is new is
        added."""
        end = shown_length(thinking, MAX_THINKING_SHOWN)
        if not thinking.startswith(self._shown) or len(self._shown) > end:
            self.text.clear()
            self._shown = ""
        if end > len(self._shown):
            with self.text.editing():
                cursor = QTextCursor(self.text.document())
                cursor.movePosition(QTextCursor.MoveOperation.End)
                cursor.insertText(_plain(thinking[len(self._shown):end]))
            self._shown = thinking[:end]
        self._show_more(thinking, end)

    def _show_more(self, thinking: str, end: int) -> None:
        """Under an open block cut short at `end`: how much is not shown, and Show all."""
        hidden = len(thinking) - end if thinking[end:].strip() else 0
        self.more.setVisible(hidden > 0)
        if hidden:
            words = self.tr("1 more character of the thinking is not shown here.") \
                if hidden == 1 else self.tr(
                    "{n} more characters of the thinking are not shown here.").format(
                        n=f"{hidden:,}")
            self.more.setText('<i>{}</i> <a href="all">{}</a>'.format(
                html.escape(words), html.escape(self.tr("Show all"))))

    def show_all(self) -> ShowAllText | None:
        """The whole thinking in a window of its own (see `show_all`)."""
        if self._message is None:
            return None
        dialog = ShowAllText(self.tr("Thinking"), self._message.thinking, parent=self.window())
        dialog.show()
        return dialog
