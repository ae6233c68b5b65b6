"""The line above the composer while a question is being edited."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.qt.appearance import follow_theme, set_text_style
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import ICON_SIZE, icon


class EditBar(QFrame):
    """Says, above the composer, that Send will make a new version of a question.

    Signals:
        cancelled(): the user gave up editing.
    """

    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(SPACE.s, SPACE.xxs, SPACE.xxs, SPACE.xxs)
        layout.setSpacing(SPACE.s)
        mark = self.mark = QLabel()
        mark.setObjectName("editBarIcon")
        follow_theme(mark, lambda: mark.setPixmap(icon("edit", "muted").pixmap(ICON_SIZE,
                                                                                ICON_SIZE)))
        label = self.label = QLabel()
        label.setWordWrap(True)
        set_text_style(label, "caption")
        cancel = self.cancel_button = QToolButton()
        cancel.setObjectName("cancelEditButton")
        cancel.clicked.connect(self.cancelled)
        layout.addWidget(mark)
        layout.addWidget(label, 1)
        layout.addWidget(cancel)
        self.hide()
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.mark.setAccessibleName(self.tr("Editing"))
        self.label.setText(self.tr("Editing a question: Send asks it as a new version; the "
                                   "earlier one stays a click away."))
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop editing (Esc)"))

