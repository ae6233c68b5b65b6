"""A part-by-part summary opened up: each part's note beside the text it was written from."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.core.conversation import Message, documents_text
from app.core.markdown import MarkdownRenderer, plain_text_html
from app.core.summarize import PartNote, SavedSummary

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
        self._renderer = MarkdownRenderer()
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
        self.part_text = QTextBrowser()
        self.part_text.setObjectName("partText")
        self.part_text.setOpenLinks(False)  # a note's links must not navigate the view away
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
        source = self._source[note.start:note.end]
        cut = ""
        if len(source) > MAX_SOURCE_CHARS:
            cut = f"<p><i>… {len(source) - MAX_SOURCE_CHARS:,} more characters</i></p>"
            source = source[:MAX_SOURCE_CHARS]
        note_html = self._renderer.render(note.note).html if note.note else "<p><i>(empty)</i></p>"
        self.part_text.setHtml(
            f"<h3>Note on part {note.index}</h3>{note_html}"
            f"<h3>Text of part {note.index}</h3>"
            + (plain_text_html(source) if source else
               f"<p><i>{html.escape('The text of this part is not available.')}</i></p>")
            + cut)
