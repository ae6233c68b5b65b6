"""The line above the composer while a question is being edited."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


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
        layout.setContentsMargins(8, 2, 2, 2)
        label = QLabel("Editing a question: Send asks it as a new version; the earlier one "
                       "stays a click away.")
        label.setWordWrap(True)
        cancel = QToolButton()
        cancel.setObjectName("cancelEditButton")
        cancel.setText("Cancel")
        cancel.clicked.connect(self.cancelled)
        layout.addWidget(label, 1)
        layout.addWidget(cancel)
        self.hide()
