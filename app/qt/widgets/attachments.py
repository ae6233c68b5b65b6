"""Documents attached to the next question: one chip each above the composer, and how a
summary should read when a document is too long to go to the model whole.

The bar holds `Document`s and nothing about sending them: the window reads `documents()` and
`options()` when the user sends. Files are read off the GUI thread (a PDF can take seconds);
meanwhile a "Reading …" placeholder holds the place its chip will take.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from app.core.chat.conversation import Attachment
from app.core.documents.language import LANGUAGES
from app.core.documents.readers import Document, DocumentError, from_paste, read_document
from app.core.documents.summary_options import FORMS, LENGTHS, Form, Length, SummaryOptions
from app.core.text import TOKEN_DENSE
from app.i18n import _
from app.qt import icons
from app.qt.appearance import follow_theme, set_variant
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import icon_button, set_icon
from app.qt.safe_text import elided, plain_tooltip
from app.qt.workers.background import BackgroundCall

PREVIEW_CHARS = 20_000  # more would only slow the GUI down: the preview shows the beginning
PREVIEW_LINES = 12
NAME_WIDTH_PX = 240  # longer names are elided in the middle, keeping their extension
# Characters of a name measured for that: Qt lays out the whole string to elide it.
MAX_NAME_CHARS = 500
EXPANDED_WIDTH_PX = 420
CHIP_ICON_PX = 14

_ESTIMATE_SAMPLE = 200_000  # characters looked at; the share found is extrapolated


def estimate_tokens(text: str) -> int:
    """About how many tokens `text` takes, until the model has counted them.

    A character of a CJK or Hangul script counts one token, any other character a quarter
    (English and its kin average about four characters a token), so mixed text gets a mixed
    estimate. Only the first 200,000 characters are examined, so a huge document costs no more.
    """
    sample = text[:_ESTIMATE_SAMPLE]
    if not sample:
        return 0
    dense = len(TOKEN_DENSE.findall(sample)) * len(text) / len(sample)
    return math.ceil(dense + (len(text) - dense) / 4)


def _rounded(n: int) -> int:
    """`n` to two significant digits: an estimate should not look exact."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return round(n / step) * step


def kind_label(kind: str) -> str:
    """What kind of document a `Document.kind` is, in words."""
    labels = {
        "text": QCoreApplication.translate("AttachmentChip", "Plain text"),
        "markdown": QCoreApplication.translate("AttachmentChip", "Markdown"),
        "pdf": QCoreApplication.translate("AttachmentChip", "PDF"),
        "docx": QCoreApplication.translate("AttachmentChip", "Word document"),
        "html": QCoreApplication.translate("AttachmentChip", "Web page"),
        "paste": QCoreApplication.translate("AttachmentChip", "Pasted text"),
    }
    return labels.get(kind, kind)


def tokens_text(n: int, estimated: bool = False) -> str:
    """"12,345 tokens", or "≈ 12,000 tokens" for an estimate."""
    if estimated:
        if n == 1:
            return QCoreApplication.translate("AttachmentChip", "≈ 1 token")
        return QCoreApplication.translate("AttachmentChip", "≈ {n} tokens").format(
            n=f"{_rounded(n):,}")
    if n == 1:
        return QCoreApplication.translate("AttachmentChip", "1 token")
    return QCoreApplication.translate("AttachmentChip", "{n} tokens").format(n=f"{n:,}")


def characters_text(n: int) -> str:
    """"1 character", "12,345 characters"."""
    if n == 1:
        return QCoreApplication.translate("AttachmentChip", "1 character")
    return QCoreApplication.translate("AttachmentChip", "{n} characters").format(n=f"{n:,}")


def preview_text(text: str) -> str:
    """The beginning of `text` for the preview, with how much is left out."""
    if len(text) <= PREVIEW_CHARS:
        return text
    more = len(text) - PREVIEW_CHARS
    said = QCoreApplication.translate("AttachmentChip", "(1 more character)") if more == 1 \
        else QCoreApplication.translate("AttachmentChip", "({n} more characters)").format(
            n=f"{more:,}")
    return f"{text[:PREVIEW_CHARS]}\n… {said}"


class _FlowLayout(QLayout):
    """Lays widgets out left to right and wraps them, as words in a line of text.

    A widget whose horizontal size policy expands (an opened chip) takes a whole line.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def insertWidget(self, index: int, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self._items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Place the items in `rect` (when `move`); returns the height they take."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():  # a hidden widget
                continue
            widget = item.widget()
            whole_line = (widget is not None and widget.sizePolicy().horizontalPolicy()
                          == QSizePolicy.Policy.Expanding)
            if whole_line:
                width = area.width()
                height = (item.heightForWidth(width) if item.hasHeightForWidth()
                          else item.sizeHint().height())
                size = QSize(width, height)
            else:
                size = item.sizeHint().boundedTo(QSize(area.width(), 1 << 24))
            if x > area.x() and (whole_line or x + size.width() > area.right() + 1):
                x, y, line_height = area.x(), y + line_height + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), size))
            x += size.width() + self._spacing
            line_height = max(line_height, size.height())
            if whole_line:
                x = area.right() + 1  # what follows starts a new line
        return y + line_height - rect.y() + margins.bottom()


def _chip_button(icon_name: str, text: str, name: str) -> QToolButton:
    button = icon_button(icon_name, "", object_name=name, size=CHIP_ICON_PX)
    button.setText(text)  # not shown beside the icon
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    # Square and snug: a chip is one line of text.
    side = button.fontMetrics().height() + SPACE.s
    button.setFixedSize(side, side)
    return button


class AttachmentChip(QFrame):
    """One attached document: its name and size, a preview that opens below, and ✕.

    Signals:
        removeRequested(): the user clicked ✕.
    """

    removeRequested = Signal()

    def __init__(self, document: Document, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentChip")
        set_variant(self, "card")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.document = document
        self.label = label  # the name shown: "report.pdf (2)" for a second report.pdf
        self.tokens: int | None = None  # counted by the model; None while only estimated
        self.preview: QPlainTextEdit | None = None  # made when first opened

        icon = QLabel()
        follow_theme(icon, lambda: icon.setPixmap(
            icons.icon("document", "muted").pixmap(CHIP_ICON_PX, CHIP_ICON_PX)))
        self.name_label = QLabel(self.fontMetrics().elidedText(
            elided(label, MAX_NAME_CHARS), Qt.TextElideMode.ElideMiddle, NAME_WIDTH_PX))
        self.name_label.setObjectName("attachmentName")
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)  # a file's name, as it is
        self.size_label = QLabel()
        self.size_label.setObjectName("attachmentSize")
        self.size_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._estimate = estimate_tokens(document.text)  # shown until the model counts
        self._estimated = True
        self.expand_button = _chip_button("expand", "▸", "attachmentExpand")
        self.expand_button.setCheckable(True)
        self.expand_button.toggled.connect(self.set_expanded)
        self.remove_button = _chip_button("close", "✕", "attachmentRemove")
        self.remove_button.clicked.connect(self.removeRequested)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(SPACE.s)
        header.addWidget(icon)
        header.addWidget(self.name_label)
        header.addWidget(self.size_label)
        header.addStretch(1)
        header.addWidget(self.expand_button)
        header.addWidget(self.remove_button)
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(SPACE.s, SPACE.xxs, SPACE.xxs, SPACE.xxs)
        self._column.setSpacing(SPACE.xs)
        self._column.addLayout(header)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.setToolTip(plain_tooltip(self._describe()))
        self._show_size()
        self._name_expand(self.expand_button.isChecked())
        self.remove_button.setToolTip(self.tr("Remove this document"))
        self.remove_button.setAccessibleName(self.tr("Remove this document"))

    def _describe(self) -> str:
        doc = self.document
        facts = [kind_label(doc.kind)]
        if doc.pages is not None:
            facts.append(self.tr("1 page") if doc.pages == 1 else
                         self.tr("{n} pages").format(n=f"{doc.pages:,}"))
        if doc.encoding:
            facts.append(doc.encoding)
        facts.append(characters_text(len(doc.text)))
        return f"{self.label}\n{' · '.join(facts)}"

    def _show_size(self) -> None:
        count = self.tokens if self.tokens is not None else self._estimate
        self.size_label.setText(tokens_text(count, self._estimated))

    def _name_expand(self, expanded: bool) -> None:
        tip = self.tr("Hide the beginning") if expanded else self.tr("Show the beginning")
        self.expand_button.setToolTip(tip)
        self.expand_button.setAccessibleName(tip)

    def set_tokens(self, n: int, estimated: bool = False) -> None:
        """The model's own count replaces the estimate (`estimated`: the server of a remote
        model could only estimate it too)."""
        self.tokens = n
        self._estimated = estimated
        self._show_size()

    def set_expanded(self, expanded: bool) -> None:
        """Open or close the preview; an open chip takes a line of the bar to itself."""
        if self.expand_button.isChecked() != expanded:
            self.expand_button.setChecked(expanded)  # comes back here through `toggled`
            return
        set_icon(self.expand_button, "collapse" if expanded else "expand")
        self.expand_button.setText("▾" if expanded else "▸")
        self._name_expand(expanded)
        if expanded and self.preview is None:
            self.preview = self._make_preview()
            self._column.addWidget(self.preview)
        if self.preview is not None:
            self.preview.setVisible(expanded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding if expanded
                           else QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(EXPANDED_WIDTH_PX if expanded else 0)
        self.updateGeometry()

    def _make_preview(self) -> QPlainTextEdit:
        text = preview_text(self.document.text)
        preview = QPlainTextEdit()
        preview.setObjectName("attachmentPreview")
        preview.setReadOnly(True)
        preview.setPlainText(text)
        # Lines as they will wrap, roughly: the preview is as tall as its text, up to a limit.
        wrapped = sum(1 + len(line) // 90 for line in text[:4000].split("\n")[:PREVIEW_LINES])
        lines = min(PREVIEW_LINES, max(3, wrapped))
        frame = 2 * (preview.frameWidth() + int(preview.document().documentMargin()))
        preview.setFixedHeight(lines * preview.fontMetrics().lineSpacing() + frame)
        return preview


class _ReadingChip(QFrame):
    """Holds a file's place while it is read on a worker thread.

    Signals:
        read(object): the file's `Document`.
        failed(str): why it cannot be read, for the user.
    """

    read = Signal(object)
    failed = Signal(str)

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentReading")
        set_variant(self, "dashed")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._path = path
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.label.setToolTip(plain_tooltip(str(path)))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(SPACE.s, SPACE.xs, SPACE.s, SPACE.xs)
        layout.addWidget(self.label)
        self._retranslate()
        on_language_change(self, self._retranslate)
        # Signal to signal: once this placeholder is gone, a late result reaches nobody.
        self.call = BackgroundCall(lambda: read_document(path), self.tr("Reading {name}").format(
            name=path.name))
        self.call.done.connect(self.read)
        self.call.failed.connect(self.failed)
        self.call.start()

    def _retranslate(self) -> None:
        self.label.setText(self.fontMetrics().elidedText(
            self.tr("Reading {name}…").format(name=elided(self._path.name, MAX_NAME_CHARS)),
            Qt.TextElideMode.ElideMiddle, NAME_WIDTH_PX))


class AttachmentBar(QWidget):
    """The documents that go with the next question, and how to summarize the long ones.

    Hidden while it holds nothing. Two equal documents (the same text pasted twice) are two
    attachments: documents are told apart by identity, never by equality.

    Signals:
        changed(): a document was added or removed, or the bar was cleared.
        counted(): the model counted a document's tokens (`set_tokens`).
        tokensWanted(object): this `Document` was added and shows an estimate; the window has
            the model count its tokens and calls `set_tokens`.
        failed(str): a file or a paste could not be attached; the message is for the user.
    """

    changed = Signal()
    counted = Signal()
    tokensWanted = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentBar")
        self._slots: list[AttachmentChip | _ReadingChip] = []  # in the order shown
        chip_area = QWidget()
        self._flow = _FlowLayout(chip_area)
        self.options_row = self._make_options_row()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, SPACE.xs, 0, 0)
        column.setSpacing(SPACE.xs)
        column.addWidget(chip_area)
        column.addWidget(self.options_row)
        self._update_visibility()
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        lengths = {"short": self.tr("Short"), "medium": self.tr("Medium"),
                   "detailed": self.tr("Detailed")}
        forms = {"bullets": self.tr("Bullets"), "prose": self.tr("Prose")}
        for picker, words in ((self.length_picker, lengths), (self.form_picker, forms)):
            for index in range(picker.count()):
                value = str(picker.itemData(index))
                picker.setItemText(index, words.get(value, value.capitalize()))
        self.language_picker.setItemText(0, self.tr("Document's language"))
        for index in range(1, self.language_picker.count()):
            # The language's name as the core says it (the prompt names it in English).
            self.language_picker.setItemText(index, _(str(self.language_picker.itemData(index))))
        self.options_row.setToolTip(
            self.tr("How a document too long for the model's context is summarized"))
        self._options_label.setText(self.tr("Long documents are summarized:"))

    def _make_options_row(self) -> QWidget:
        self.length_picker = QComboBox()
        self.length_picker.setObjectName("summaryLength")
        for length in LENGTHS:
            self.length_picker.addItem("", length)
        self.length_picker.setCurrentIndex(LENGTHS.index("medium"))
        self.form_picker = QComboBox()
        self.form_picker.setObjectName("summaryForm")
        for form in FORMS:
            self.form_picker.addItem("", form)
        self.language_picker = QComboBox()
        self.language_picker.setObjectName("summaryLanguage")
        self.language_picker.addItem("", None)
        for language in LANGUAGES:
            self.language_picker.addItem(language, language)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self._options_label = label = QLabel()
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(label)
        layout.addWidget(self.length_picker)
        layout.addWidget(self.form_picker)
        layout.addWidget(self.language_picker)
        layout.addStretch(1)
        return row

    # -- what it holds -----------------------------------------------------------------------

    def chips(self) -> list[AttachmentChip]:
        return [slot for slot in self._slots if isinstance(slot, AttachmentChip)]

    def documents(self) -> list[Document]:
        """The attached documents, in the order shown; files still being read are not."""
        return [chip.document for chip in self.chips()]

    def attachments(self) -> tuple[Attachment, ...]:
        """The documents as a question carries them: under the names shown ("a.txt (2)" for
        a second a.txt), with their token counts where the model has counted them."""
        return tuple(Attachment(chip.label, chip.document.text, chip.document.kind, chip.tokens)
                     for chip in self.chips())

    def is_reading(self) -> bool:
        """Whether a file is still being read (its document is not in `documents()` yet)."""
        return any(isinstance(slot, _ReadingChip) for slot in self._slots)

    def chip(self, document: Document) -> AttachmentChip | None:
        return next((chip for chip in self.chips() if chip.document is document), None)

    def options(self) -> SummaryOptions:
        """How summaries should read; the question is left for the caller to fill in."""
        length: Length = self.length_picker.currentData()
        form: Form = self.form_picker.currentData()
        return SummaryOptions(length=length, form=form,
                              language=self.language_picker.currentData())

    # -- changing it -------------------------------------------------------------------------

    def add_document(self, document: Document) -> None:
        self._place(AttachmentChip(document, self._free_label(document.name)))
        self.changed.emit()
        self.tokensWanted.emit(document)

    def add_text(self, text: str) -> None:
        """Text the user pasted, as a document; `failed` when there is nothing in it."""
        try:
            document = from_paste(text)
        except DocumentError as exc:
            self.failed.emit(str(exc))
            return
        self.add_document(document)

    def add_files(self, paths: list[Path]) -> None:
        """Read the files on worker threads; each becomes a chip, or a `failed` message."""
        for path in paths:
            self._place(_ReadingChip(path))

    def set_tokens(self, document: Document, n: int, estimated: bool = False) -> None:
        """The model counted `document` (this very object): show the count, with "≈" when the
        model's server only `estimated` it. A document removed meanwhile is ignored."""
        chip = self.chip(document)
        if chip is not None:
            chip.set_tokens(n, estimated)
            self.counted.emit()

    def remove(self, document: Document) -> None:
        chip = self.chip(document)
        if chip is not None:
            self._take(chip)
            self.changed.emit()

    def clear(self) -> None:
        """Remove every document, and forget the files still being read."""
        if not self._slots:
            return
        for slot in list(self._slots):
            self._take(slot)
        self.changed.emit()

    # -- inside ------------------------------------------------------------------------------

    def _free_label(self, name: str) -> str:
        taken = {chip.label for chip in self.chips()}
        label, n = name, 1
        while label in taken:
            n += 1
            label = f"{name} ({n})"
        return label

    def _place(self, slot: AttachmentChip | _ReadingChip, index: int | None = None) -> None:
        if index is None:
            index = len(self._slots)
        if isinstance(slot, AttachmentChip):
            slot.removeRequested.connect(lambda: self.remove(slot.document))
        else:
            slot.read.connect(lambda document: self._on_read(slot, document))
            slot.failed.connect(lambda message: self._on_failed(slot, message))
        self._slots.insert(index, slot)
        self._flow.insertWidget(index, slot)
        self._update_visibility()

    def _take(self, slot: AttachmentChip | _ReadingChip) -> int:
        index = self._slots.index(slot)
        del self._slots[index]
        self._flow.removeWidget(slot)
        if isinstance(slot, _ReadingChip):
            slot.call.abandon()
        slot.hide()
        slot.deleteLater()
        self._update_visibility()
        return index

    def _on_read(self, reading: _ReadingChip, document: Document) -> None:
        if reading not in self._slots:
            return
        index = self._take(reading)
        self._place(AttachmentChip(document, self._free_label(document.name)), index)
        self.changed.emit()
        self.tokensWanted.emit(document)

    def _on_failed(self, reading: _ReadingChip, message: str) -> None:
        if reading in self._slots:
            self._take(reading)
        self.failed.emit(message)

    def _update_visibility(self) -> None:
        self.options_row.setVisible(any(isinstance(s, AttachmentChip) for s in self._slots))
        self.setVisible(bool(self._slots))
