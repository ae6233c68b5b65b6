"""Small flat buttons, as the chat's messages and the attachment chips use them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton


def tool_button(text: str, tip: str, name: str) -> QToolButton:
    """A flat button showing `text`, with `tip` as its tooltip and `name` as its objectName."""
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setObjectName(name)
    button.setAutoRaise(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button
