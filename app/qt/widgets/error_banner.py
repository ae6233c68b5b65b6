"""A message the user must read, shown above the conversation until dismissed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from app.qt.appearance import ThemedStyle, set_style
from app.qt.design import RADIUS, SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import icon_button, set_icon

ERROR_BANNER = ThemedStyle(lambda c: (
    f"#errorBanner {{ background: {c.error_background}; border: 1px solid {c.error_border};"
    f" border-radius: {RADIUS.medium}px; }} QLabel {{ color: {c.error_text}; }}"))


class ErrorBanner(QFrame):
    """A message the user must read, shown above the conversation until dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        set_style(self, ERROR_BANNER)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(SPACE.m, SPACE.s, SPACE.s, SPACE.s)
        self.label = QLabel()
        self.label.setObjectName("errorText")
        # Errors name files and chats from outside: never rich text that could load an image.
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = self.close_button = icon_button("close", "")
        set_icon(close, "close", "error_text")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAccessibleName(self.tr("Dismiss the message"))

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.show()
