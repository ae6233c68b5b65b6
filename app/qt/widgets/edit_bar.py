"""The line above the composer while a question is being edited."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.qt.appearance import follow_theme, set_text_style
from app.qt.design import SPACE
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
        mark = QLabel()
        mark.setObjectName("editBarIcon")
        mark.setAccessibleName(self.tr("Editing"))
        follow_theme(mark, lambda: mark.setPixmap(icon("edit", "muted").pixmap(ICON_SIZE,
                                                                                ICON_SIZE)))
        label = QLabel(self.tr("Editing a question: Send asks it as a new version; the earlier "
                               "one stays a click away."))
        label.setWordWrap(True)
        set_text_style(label, "caption")
        cancel = QToolButton()
        cancel.setObjectName("cancelEditButton")
        cancel.setText(self.tr("Cancel"))
        cancel.setToolTip(self.tr("Stop editing (Esc)"))
        cancel.clicked.connect(self.cancelled)
        layout.addWidget(mark)
        layout.addWidget(label, 1)
        layout.addWidget(cancel)
        self.hide()

