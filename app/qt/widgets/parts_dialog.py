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
        self.setWindowTitle(f"Summary of {summary.name}, part by part")
        self.resize(900, 600)

        read = "" if summary.complete else " (stopped before the end)"
        parts = f"{len(self.notes)} part{'s' if len(self.notes) != 1 else ''}"
        heading = QLabel(f"{parts}, {summary.document_tokens:,} tokens{read}. Each part's note, "
                         "then the text it was written from.")
        heading.setWordWrap(True)
        self.part_list = QListWidget()
        self.part_list.setObjectName("partsList")
        for note in self.notes:
            self.part_list.addItem(f"Part {note.index} · {note.tokens:,} tokens")
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
        if self.notes:
            self.part_list.setCurrentRow(0)

    def show_part(self, row: int) -> None:
        if not 0 <= row < len(self.notes):
            self.part_text.clear()
            return
        note = self.notes[row]
        source = self._shown_source = self._source[note.start:note.end]
        cut = ""
        if len(source) > MAX_SOURCE_CHARS:
            cut = (f"<p><i>… {len(source) - MAX_SOURCE_CHARS:,} more characters</i> "
                   f'<a href="{ALL_SCHEME}:source">Show all</a></p>')
            source = source[:MAX_SOURCE_CHARS]
        self._shown_note = note.note
        rendered = self._renderer.render(note.note)
        self._links = rendered.links
        note_html = rendered.html + rendered.notice if note.note else "<p><i>(empty)</i></p>"
        self.part_text.setHtml(
            f"<h3>Note on part {note.index}</h3>{note_html}"
            f"<h3>Text of part {note.index}</h3>"
            + (plain_text_html(source) if source else
               f"<p><i>{html.escape('The text of this part is not available.')}</i></p>")
            + cut)

    def _on_link(self, url: QUrl) -> None:
        index = int(url.path()) if url.path().isdigit() else -1
        if url.scheme() == LINK_SCHEME and 0 <= index < len(self._links):
            open_link(self, self._links[index])
        elif url.scheme() == ALL_SCHEME and url.path() == "source":
            ShowAllText("Text of the part", self._shown_source, parent=self).show()
        elif url.scheme() == ALL_SCHEME:
            ShowAllText("Note", self._shown_note, parent=self).show()
