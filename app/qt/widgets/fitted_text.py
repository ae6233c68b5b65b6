"""Text as tall as its content, in a message: the outer scroll area does the scrolling."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QSizePolicy, QWidget

from app.qt.safe_text import SafeTextBrowser


class FittedText(SafeTextBrowser):
    """Rich or plain text that is as tall as its content, so the outer scroll area does the
    scrolling; it reads no resource and follows no link (its owner decides what a click
    does)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self._editing = False
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)

    @contextlib.contextmanager
    def editing(self) -> Iterator[None]:
        """Several edits, one resize: the document's height passes through every intermediate
        state otherwise, and each resize lays out and repaints the whole view."""
        self._editing = True
        try:
            yield
        finally:
            self._editing = False
            self._fit_height()

    def _fit_height(self, *_: Any) -> None:
        if self._editing:
            return
        margins = self.contentsMargins()
        height = math.ceil(self.document().size().height()) + margins.top() + margins.bottom()
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()
