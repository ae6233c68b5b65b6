"""A message the user must read, shown above the conversation until dismissed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.qt.appearance import ThemedStyle, set_style

ERROR_BANNER = ThemedStyle(
    "#errorBanner { background: #fde8e8; border: 1px solid #f5b5b5; border-radius: 4px; } "
    "QLabel { color: #7a1616; }",
    "#errorBanner { background: #3d1f1f; border: 1px solid #7a2e2e; border-radius: 4px; } "
    "QLabel { color: #ffb4ab; }")


class ErrorBanner(QFrame):
    """A message the user must read, shown above the conversation until dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        set_style(self, ERROR_BANNER)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setObjectName("errorText")
        # Errors name files and chats from outside: never rich text that could load an image.
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.show()
