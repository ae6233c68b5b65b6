"""Where the user writes: Enter sends, Shift+Enter starts a new line.

A long paste (a whole article, a log) is not typed text: it becomes an attachment, as do files
pasted or dropped on the composer. The composer only reports them; the window attaches them.

`ComposerCard` is how the window shows it, as the peers do: a rounded card holding Attach, the
edit (one line when empty, growing to eight, then scrolling) and a round Send that turns into
Stop while an answer streams; the card draws the focus ring while the edit has the focus.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.qt.appearance import repolish, set_variant
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import ICON_SIZE, icon_button, set_icon

MIN_LINES, MAX_LINES = 1, 8
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
        # An input method (pinyin, wubi...) composing: its pre-edit text is not ours yet, and
        # an Enter meanwhile is its (some commit the Latin letters with it), never a send.
        self.composing = False
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def _fit_height(self, *_: object) -> None:
        """One line when empty, growing with the text up to eight, then it scrolls."""
        line = self.fontMetrics().lineSpacing()
        lines = max(MIN_LINES, min(MAX_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        frame = 2 * int(self.document().documentMargin()) + margins.top() + margins.bottom()
        self.setFixedHeight(lines * line + frame)
        # Below the limit every line shows: no scroll bar (Qt would show one for a pixel short).
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded
                                        if self.document().size().height() > MAX_LINES
                                        else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The style sheet sets the frame's room once the composer is polished (shown), and a
        # font size chosen later changes the lines.
        if event.type() in (QEvent.Type.ContentsRectChange, QEvent.Type.FontChange):
            self._fit_height()

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        self.composing = bool(event.preeditString())
        super().inputMethodEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.composing = False  # the input method ends its composition with the focus
        super().focusOutEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.composing:
            event.accept()  # the input method's Enter: neither a send nor a new line
            return
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
        return (self.tr("Enter sends, Shift+Enter starts a new line.") if self.enter_sends
                else self.tr("Ctrl+Enter sends, Enter starts a new line."))

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


class ComposerCard(QFrame):
    """The composer as the window shows it: Attach, the edit and Send (Stop while an answer
    streams) in one rounded card, which shows the focus ring while the edit has the focus.

    The parts are the window's to connect: `edit` (the `Composer`), `attach_button`,
    `send_button` (clicks submit the edit) and `stop_button`.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerCard")
        set_variant(self, "card")
        self.edit = Composer()
        self.edit.installEventFilter(self)  # its focus is the card's ring
        self.attach_button: QToolButton = icon_button("attach", "", object_name="attachButton")
        self.send_button = self._round_button("sendButton", "send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.edit.submit)
        self.stop_button = self._round_button("stopButton", "stop")
        self.stop_button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(SPACE.s, SPACE.s, SPACE.s, SPACE.s)
        layout.setSpacing(SPACE.s)
        bottom = Qt.AlignmentFlag.AlignBottom
        layout.addWidget(self.attach_button, 0, bottom)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.send_button, 0, bottom)
        layout.addWidget(self.stop_button, 0, bottom)
        self.setFocusProxy(self.edit)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.attach_button.setToolTip(self.tr("Attach documents (txt, md, pdf, docx, html)"))
        self.attach_button.setAccessibleName(self.tr("Attach documents"))
        self.send_button.setToolTip(self.tr("Send (Enter)"))
        self.send_button.setAccessibleName(self.tr("Send"))
        self.stop_button.setToolTip(self.tr("Stop the answer (Esc)"))
        self.stop_button.setAccessibleName(self.tr("Stop"))

    @staticmethod
    def _round_button(name: str, icon_name: str) -> QPushButton:
        """A round, icon-only button filled with the accent (its size is the style sheet's)."""
        button = QPushButton()
        button.setObjectName(name)
        set_variant(button, "primary")
        set_icon(button, icon_name, "on_accent")
        button.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def set_generating(self, generating: bool) -> None:
        """Send while the chat waits for a question, Stop while an answer streams."""
        focused = self.send_button.hasFocus() or self.stop_button.hasFocus()
        self.send_button.setVisible(not generating)
        self.stop_button.setVisible(generating)
        if focused:  # the button under the keyboard went: the one taking its place has it
            (self.stop_button if generating else self.send_button).setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() in (QEvent.Type.FocusIn,
                                                     QEvent.Type.FocusOut):
            focused = event.type() == QEvent.Type.FocusIn
            if self.property("focusWithin") != focused:
                self.setProperty("focusWithin", focused)
                repolish(self)
        return super().eventFilter(watched, event)
