"""Where the user writes: Enter sends, Shift+Enter starts a new line.

A long paste (a whole article, a log) is not typed text: it becomes an attachment, as do files
pasted or dropped on the composer. The composer only reports them; the window attaches them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QWidget

MIN_LINES, MAX_LINES = 2, 10
# A paste this long becomes an attachment: a chip reads better than a screenful in the
# composer, and the controller can summarize a document that does not fit the context.
PASTE_AS_ATTACHMENT_CHARS = 2000
PASTE_AS_ATTACHMENT_LINES = 40


def local_files(source: QMimeData) -> list[Path]:
    """The local files `source` carries (a file copied or dragged in a file manager)."""
    if not source.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in source.urls() if url.isLocalFile()]


def is_long_paste(text: str) -> bool:
    return (len(text) >= PASTE_AS_ATTACHMENT_CHARS
            or text.count("\n") + 1 >= PASTE_AS_ATTACHMENT_LINES)


class Composer(QPlainTextEdit):
    """Signals:
    submitted(str): the user pressed Enter (or Send) on non-empty text, or with documents
        attached (`has_attachments()`), in which case the text may be "". The text is then
        cleared.
    pastedDocument(str): the user pasted (or dropped) text too long for the composer: it
        should become an attachment. The composer is left as it was.
    pastedFiles(list): the user pasted (or dropped) these local files (`Path`s).
    """

    submitted = Signal(str)
    pastedDocument = Signal(str)
    pastedFiles = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.can_submit = True  # False while an answer streams: typing goes on, sending waits
        self.enter_sends = True  # the "Enter sends" setting; off: Ctrl+Enter sends
        # Whether documents wait to be sent: then Enter sends even without text. Set by the
        # window, which holds the attachments.
        self.has_attachments: Callable[[], bool] = lambda: False
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def _fit_height(self, *_: object) -> None:
        """Two lines when empty, growing with the text up to ten, then it scrolls."""
        line = self.fontMetrics().lineSpacing()
        lines = max(MIN_LINES, min(MAX_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        frame = 2 * int(self.document().documentMargin()) + margins.top() + margins.bottom()
        self.setFixedHeight(lines * line + frame)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The style sheet sets the frame's room once the composer is polished (shown), and a
        # font size chosen later changes the lines.
        if event.type() in (QEvent.Type.ContentsRectChange, QEvent.Type.FontChange):
            self._fit_height()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        modifiers = event.modifiers()
        if enter and (not modifiers & Qt.KeyboardModifier.ShiftModifier if self.enter_sends
                      else bool(modifiers & Qt.KeyboardModifier.ControlModifier)):
            self.submit()
            return
        super().keyPressEvent(event)

    def setPlaceholderText(self, text: str) -> None:
        """QPlainTextEdit repaints only when the placeholder appears or goes, not when the text
        of one already shown changes: "Loading the model…" stayed after a failed load."""
        if text != self.placeholderText():
            super().setPlaceholderText(text)
            self.viewport().update()

    def hint(self) -> str:
        """How to send, in words, for the placeholder."""
        return ("Enter sends, Shift+Enter starts a new line." if self.enter_sends
                else "Ctrl+Enter sends, Enter starts a new line.")

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(local_files(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        """Paste and drop: files and long text are reported, short text is inserted."""
        files = local_files(source)
        if files:
            self.pastedFiles.emit(files)
        elif source.hasText() and is_long_paste(source.text()):
            self.pastedDocument.emit(source.text())
        else:
            super().insertFromMimeData(source)

    def submit(self) -> None:
        text = self.toPlainText().strip()
        if (text or self.has_attachments()) and self.can_submit and self.isEnabled():
            self.clear()
            self.submitted.emit(text)
