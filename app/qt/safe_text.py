"""Outside text shown safely: rich text that reads nothing, tooltips shown as written, links
that open only on the reader's say-so.

Qt's rich text engine reads whatever an `<img>`, a `background` or a style sheet link names,
local files included (a FIFO hangs the window, `/dev/zero` aborts it), and it takes a tooltip
or an AutoText label for rich text when it merely starts with a tag. So text from a model, a
chat file, a document or the hub reaches Qt only through these.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import QMessageBox, QTextBrowser, QWidget

from app.core.chat.markdown import Link, literal_html

# A tooltip is a glance: longer outside text is cut, so a 1 MB chat title cannot stall the
# window when the pointer rests on it.
MAX_TOOLTIP_CHARS = 2_000


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that never loads a resource and never follows a link itself.

    Qt asks `loadResource` for every image, background and style sheet the HTML names; when
    it gets nothing it reads the file itself. An empty answer of the right type stops both
    (for an image a 1x1 transparent one: Qt loads an image straight from the file when the
    answer is not a valid image).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)

    def loadResource(self, kind: int, _name: QUrl | str) -> Any:
        """Nothing, whatever is asked for."""
        if kind == QTextDocument.ResourceType.ImageResource.value:
            return _BLANK_IMAGE
        return ""


def _blank_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    return image


_BLANK_IMAGE = _blank_image()


def plain_tooltip(text: str) -> str:
    """A tooltip that shows `text` as written, however it starts; long text is cut."""
    if len(text) > MAX_TOOLTIP_CHARS:
        text = text[:MAX_TOOLTIP_CHARS] + "…"
    return literal_html(text)


def elided(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, for labels that outside text could make huge."""
    return text if len(text) <= limit else text[:limit] + "…"


def open_link(parent: QWidget, link: Link) -> QMessageBox | None:
    """Open a link from outside text in the browser: web pages and mail only, and when its
    text does not say where it goes, only after showing that and asking.

    Returns the question when one is asked (it answers itself later; tests click it).
    """
    if not link.openable:
        return None
    url = QUrl(link.url, QUrl.ParsingMode.StrictMode)
    if not url.isValid():
        return None
    if not link.needs_confirmation:
        QDesktopServices.openUrl(url)
        return None
    box = QMessageBox(QMessageBox.Icon.Question,
                      QCoreApplication.translate("OpenLink", "Open link"), "", parent=parent)
    box.setObjectName("openLinkQuestion")
    # The target as plain text: the reader sees its every character, and nothing in it is
    # taken for markup.
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(QCoreApplication.translate(
        "OpenLink", "This link goes to:\n\n{url}\n\nOpen it in your browser?").format(
            url=elided(link.url, MAX_TOOLTIP_CHARS)))
    opening = box.addButton(QCoreApplication.translate("OpenLink", "Open"),
                            QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def answered() -> None:
        if box.clickedButton() is opening:
            QDesktopServices.openUrl(url)
        box.deleteLater()

    box.finished.connect(answered)
    box.open()
    return box
