"""A part-by-part summary opened up: each part's note beside the text it was written from."""

from __future__ import annotations

import html

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.chat.conversation import Message, documents_text
from app.core.chat.markdown import ALL_SCHEME, LINK_SCHEME, Link, MarkdownRenderer, plain_text_html
from app.core.documents.summarize import PartNote, SavedSummary
from app.qt.appearance import current_colors
from app.qt.design import markdown_colours
from app.qt.i18n import on_language_change
from app.qt.safe_text import SafeTextBrowser, open_link
from app.qt.widgets.show_all import ShowAllText

# A part is a context's worth of text (some thousands of words); more than this is cut in the
# view so that a part of a document with very long lines cannot stall the dialog.
MAX_SOURCE_CHARS = 40_000


class PartsDialog(QDialog):
    """The notes a summary was combined from, part by part, with each part's own text."""

    def __init__(self, answer: Message, question: Message | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("partsDialog")
        summary = SavedSummary.from_details(answer.details)
        self.notes: list[PartNote] = list(summary.parts)
        self._source = documents_text(question.attachments) if question else ""
        self._links: list[Link] = []  # those of the note shown
        self._shown_source = self._shown_note = ""  # the part shown: its text and its note
        self._renderer = MarkdownRenderer(colours=markdown_colours(current_colors()))
        self._summary = summary
        self.resize(900, 600)

        heading = self.heading = QLabel()
        heading.setWordWrap(True)
        self.part_list = QListWidget()
        self.part_list.setObjectName("partsList")
        for _note in self.notes:
            self.part_list.addItem("")
        # A note is a model's text: it reads no resource and opens links only on the reader's
        # say-so; the view is never navigated away.
        self.part_text = SafeTextBrowser()
        self.part_text.setObjectName("partText")
        self.part_text.anchorClicked.connect(self._on_link)
        self.part_list.currentRowChanged.connect(self.show_part)
        splitter = QSplitter()
        splitter.addWidget(self.part_list)
        splitter.addWidget(self.part_text)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([200, 700])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self._retranslate()
        on_language_change(self, self._retranslate)
        if self.notes:
            self.part_list.setCurrentRow(0)

    def _retranslate(self) -> None:
        summary = self._summary
        self.setWindowTitle(self.tr("Summary of {name}, part by part").format(name=summary.name))
        count = len(self.notes)
        parts = self.tr("1 part") if count == 1 else self.tr("{n} parts").format(n=count)
        tokens = f"{summary.document_tokens:,}"
        self.heading.setText(
            self.tr("{parts}, {tokens} tokens. Each part's note, then the text it was written "
                    "from.").format(parts=parts, tokens=tokens) if summary.complete else
            self.tr("{parts}, {tokens} tokens (stopped before the end). Each part's note, then "
                    "the text it was written from.").format(parts=parts, tokens=tokens))
        for row, note in enumerate(self.notes):
            item = self.part_list.item(row)
            if item is not None:
                item.setText(self.tr("Part {index} · {tokens} tokens").format(
                    index=note.index, tokens=f"{note.tokens:,}"))
        if self.part_list.currentRow() >= 0:
            self.show_part(self.part_list.currentRow())

    def show_part(self, row: int) -> None:
        if not 0 <= row < len(self.notes):
            self.part_text.clear()
            return
        note = self.notes[row]
        source = self._shown_source = self._source[note.start:note.end]
        cut = ""
        if len(source) > MAX_SOURCE_CHARS:
            more = self.tr("… {n} more characters").format(
                n=f"{len(source) - MAX_SOURCE_CHARS:,}")
            show_all = self.tr("Show all")
            cut = (f"<p><i>{html.escape(more)}</i> "
                   f'<a href="{ALL_SCHEME}:source">{html.escape(show_all)}</a></p>')
            source = source[:MAX_SOURCE_CHARS]
        self._shown_note = note.note
        rendered = self._renderer.render(note.note)
        self._links = rendered.links
        empty = self.tr("(empty)")
        note_html = (rendered.html + rendered.notice if note.note else
                     f"<p><i>{html.escape(empty)}</i></p>")
        note_title = self.tr("Note on part {index}").format(index=note.index)
        text_title = self.tr("Text of part {index}").format(index=note.index)
        missing = self.tr("The text of this part is not available.")
        self.part_text.setHtml(
            f"<h3>{html.escape(note_title)}</h3>{note_html}"
            f"<h3>{html.escape(text_title)}</h3>"
            + (plain_text_html(source) if source else f"<p><i>{html.escape(missing)}</i></p>")
            + cut)

    def _on_link(self, url: QUrl) -> None:
        index = int(url.path()) if url.path().isdigit() else -1
        if url.scheme() == LINK_SCHEME and 0 <= index < len(self._links):
            open_link(self, self._links[index])
        elif url.scheme() == ALL_SCHEME and url.path() == "source":
            ShowAllText(lambda: self.tr("Text of the part"), self._shown_source,
                        parent=self).show()
        elif url.scheme() == ALL_SCHEME:
            ShowAllText(lambda: self.tr("Note"), self._shown_note, parent=self).show()
