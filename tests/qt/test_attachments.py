"""Attachments: long pastes and files become chips above the composer, and Enter sends them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit, QToolButton

from app.core.documents.readers import Document
from app.core.documents.summary_options import SummaryOptions
from app.qt import dialogs
from app.qt.main_window import MainWindow
from app.qt.widgets.attachments import (
    PREVIEW_CHARS,
    AttachmentBar,
    AttachmentChip,
    estimate_tokens,
    tokens_text,
)
from app.qt.widgets.composer import Composer
from tests.documents import write_encrypted_pdf, write_text_pdf
from tests.qt.test_chat_view import marked_language

pytestmark = [pytest.mark.qt]
READ_TIMEOUT_MS = 10_000


@pytest.fixture
def bar(qtbot) -> AttachmentBar:  # type: ignore[no-untyped-def]
    bar = AttachmentBar()
    qtbot.addWidget(bar)
    return bar


def paste(composer: Composer, text: str | None = None, files: list[Path] | None = None) -> None:
    mime = QMimeData()
    if text is not None:
        mime.setText(text)
    if files is not None:
        mime.setUrls([QUrl.fromLocalFile(str(path)) for path in files])
    QApplication.clipboard().setMimeData(mime)
    composer.paste()


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


def button(chip: AttachmentChip, name: str) -> QToolButton:
    found = chip.findChild(QToolButton, name)
    assert isinstance(found, QToolButton)
    return found


def test_a_long_paste_becomes_a_chip_and_a_short_one_is_typed(window: MainWindow) -> None:
    composer = window.composer
    assert window.attachments.isHidden()
    paste(composer, "word " * 1000)
    assert composer.toPlainText() == ""
    [document] = window.attachments.documents()
    assert document.name == "Pasted text" and document.kind == "paste"
    assert document.text == ("word " * 1000).strip()
    assert window.attachments.isVisible()

    paste(composer, "x" * 100)
    assert composer.toPlainText() == "x" * 100
    assert len(window.attachments.documents()) == 1


def test_many_short_lines_are_a_document_too_and_pasted_files_are_reported(qtbot) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    with qtbot.waitSignal(composer.pastedDocument) as pasted:
        paste(composer, "\n".join(f"row {n}" for n in range(40)))
    assert pasted.args[0].startswith("row 0\nrow 1")
    paste(composer, "\n".join(f"row {n}" for n in range(39)))  # under both limits: typed
    assert composer.toPlainText().startswith("row 0")
    composer.clear()
    with qtbot.waitSignal(composer.pastedFiles) as files:
        paste(composer, text="/tmp/a.txt", files=[Path("/tmp/a.txt"), Path("/tmp/b.pdf")])
    assert files.args[0] == [Path("/tmp/a.txt"), Path("/tmp/b.pdf")]
    assert composer.toPlainText() == ""


def test_a_chip_shows_an_estimate_until_the_exact_count_arrives(bar: AttachmentBar,
                                                                qtbot) -> None:  # type: ignore[no-untyped-def]
    doc = Document("report.txt", "abcd " * 2469, "text", encoding="utf-8")
    with qtbot.waitSignal(bar.tokensWanted) as wanted, qtbot.waitSignal(bar.changed):
        bar.add_document(doc)
    assert wanted.args[0] is doc
    [chip] = bar.chips()
    assert chip.name_label.text() == "report.txt"
    assert chip.size_label.text() == "≈ 3,100 tokens"  # 12,345 characters / 4, rounded
    assert "Plain text" in chip.toolTip() and "utf-8" in chip.toolTip()
    assert "12,345 characters" in chip.toolTip()
    bar.set_tokens(doc, 12_345)
    assert chip.size_label.text() == "12,345 tokens"


def test_a_language_change_rewords_the_chips_and_the_options(bar: AttachmentBar,  # type: ignore[no-untyped-def]
                                                             qtbot) -> None:
    doc = Document("report.txt", "abcd " * 2469, "text", encoding="utf-8")
    bar.add_document(doc)
    bar.set_tokens(doc, 12_345)
    bar.length_picker.setCurrentIndex(bar.length_picker.findData("detailed"))
    [chip] = bar.chips()
    with marked_language(qtbot):
        assert chip.size_label.text() == "«{n} tokens»".format(n="12,345")  # the count kept
        assert "«Plain text»" in chip.toolTip()
        assert bar.length_picker.currentText() == "«Detailed»"
        assert bar.options().length == "detailed"
    assert chip.size_label.text() == "12,345 tokens"
    assert bar.length_picker.currentText() == "Detailed"


def test_equal_documents_are_separate_attachments(bar: AttachmentBar) -> None:
    first, second = Document("notes.md", "same", "markdown"), Document("notes.md", "same",
                                                                       "markdown")
    bar.add_document(first)
    bar.add_document(second)
    assert [chip.label for chip in bar.chips()] == ["notes.md", "notes.md (2)"]
    bar.set_tokens(second, 7)
    assert [chip.tokens for chip in bar.chips()] == [None, 7]
    bar.remove(first)
    assert bar.documents() == [second] and bar.documents()[0] is second


def test_estimates_count_cjk_characters_as_tokens() -> None:
    assert estimate_tokens("a" * 400) == 100
    assert estimate_tokens("漢" * 400) == 400
    assert estimate_tokens("") == 0
    assert tokens_text(12_345, estimated=True) == "≈ 12,000 tokens"
    assert tokens_text(1) == "1 token"


def test_expand_shows_a_capped_preview_and_remove_empties_the_bar(bar: AttachmentBar,
                                                                  qtbot) -> None:  # type: ignore[no-untyped-def]
    bar.show()
    doc = Document("big.txt", "x" * (PREVIEW_CHARS + 5000), "text")
    bar.add_document(doc)
    [chip] = bar.chips()
    qtbot.waitUntil(chip.isVisible)
    assert chip.findChild(QPlainTextEdit, "attachmentPreview") is None  # made when opened
    expand = button(chip, "attachmentExpand")
    assert expand.text() == "▸"
    expand.click()
    preview = chip.findChild(QPlainTextEdit, "attachmentPreview")
    assert isinstance(preview, QPlainTextEdit) and preview.isVisible()
    assert preview.isReadOnly()
    assert preview.toPlainText().endswith("… (5,000 more characters)")
    assert preview.height() < 20 * preview.fontMetrics().lineSpacing()
    assert expand.text() == "▾"
    expand.click()
    assert not preview.isVisible() and expand.text() == "▸"

    with qtbot.waitSignal(bar.changed):
        button(chip, "attachmentRemove").click()
    assert bar.documents() == [] and bar.chips() == []
    assert bar.isHidden()


def test_the_options_follow_the_combos(bar: AttachmentBar) -> None:
    assert bar.options() == SummaryOptions(length="medium", form="bullets", language=None)
    bar.add_document(Document("a.txt", "text", "text"))
    assert not bar.options_row.isHidden()
    bar.length_picker.setCurrentIndex(bar.length_picker.findText("Detailed"))
    bar.form_picker.setCurrentIndex(bar.form_picker.findText("Prose"))
    bar.language_picker.setCurrentIndex(bar.language_picker.findText("French"))
    assert bar.options() == SummaryOptions(length="detailed", form="prose", language="French")
    assert bar.language_picker.itemText(0) == "Document's language"


def test_files_are_read_in_the_background(bar: AttachmentBar, tmp_path: Path,
                                          qtbot) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "notes.txt"
    text.write_text("Some notes.\nOn two lines.\n", encoding="utf-8")
    pdf = write_text_pdf(tmp_path / "report.pdf", ["Page one of the report.", "Page two."])
    bar.add_files([text, pdf])
    # Until the results arrive (on the GUI thread, so not before this test yields to it),
    # placeholders hold the places.
    assert bar.is_reading() and not bar.isHidden() and bar.documents() == []
    labels = [label.text() for label in bar.findChildren(QLabel)]
    assert "Reading notes.txt…" in labels and "Reading report.pdf…" in labels
    qtbot.waitUntil(lambda: len(bar.documents()) == 2, timeout=READ_TIMEOUT_MS)
    assert not bar.is_reading()
    notes, report = bar.documents()  # in the order given, whichever was read first
    assert notes.name == "notes.txt" and notes.text == "Some notes.\nOn two lines."
    assert report.name == "report.pdf" and report.pages == 2
    assert "Page two." in report.text
    assert "2 pages" in bar.chips()[1].toolTip()


def test_a_file_that_cannot_be_read_is_reported_in_the_window(window: MainWindow, tmp_path: Path,
                                                              qtbot) -> None:  # type: ignore[no-untyped-def]
    locked = write_encrypted_pdf(tmp_path / "locked.pdf")
    with qtbot.waitSignal(window.attachments.failed, timeout=READ_TIMEOUT_MS) as failed:
        window.attach_files([locked])
    assert "password" in failed.args[0] and "locked.pdf" in failed.args[0]
    assert window.error_banner.isVisible()
    assert "password" in window.error_banner.label.text()
    assert window.attachments.documents() == [] and window.attachments.isHidden()


def test_files_dropped_on_the_window_are_attached(window: MainWindow, tmp_path: Path,
                                                  qtbot) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "dropped.md"
    path.write_text("# Dropped\n\nA document.\n", encoding="utf-8")
    action = Qt.DropAction.CopyAction
    files = file_mime(path)  # held here: an event does not own its mime data
    enter = QDragEnterEvent(QPointF(10, 10).toPoint(), action, files,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    text_only = QMimeData()
    text_only.setText("just text")
    refused = QDragEnterEvent(QPointF(10, 10).toPoint(), action, text_only,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()

    drop = QDropEvent(QPointF(10, 10), action, files, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.attachments.changed, timeout=READ_TIMEOUT_MS):
        QApplication.sendEvent(window, drop)
    qtbot.waitUntil(lambda: bool(window.attachments.documents()), timeout=READ_TIMEOUT_MS)
    [document] = window.attachments.documents()
    assert document.name == "dropped.md" and document.kind == "markdown"


def test_the_attach_button_attaches_the_chosen_files(window: MainWindow, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     qtbot) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "chosen.txt"
    path.write_text("Chosen in the dialog.", encoding="utf-8")
    monkeypatch.setattr(dialogs, "files_to_attach", lambda _parent: [path])
    attach = window.findChild(QToolButton, "attachButton")
    assert isinstance(attach, QToolButton) and "pdf" in attach.toolTip()
    attach.click()
    qtbot.waitUntil(lambda: bool(window.attachments.documents()), timeout=READ_TIMEOUT_MS)
    assert window.attachments.documents()[0].text == "Chosen in the dialog."
    assert window.composer.has_attachments()

    monkeypatch.setattr(dialogs, "files_to_attach", lambda _parent: [])  # the user cancelled
    attach.click()
    assert not window.attachments.is_reading()
    assert len(window.attachments.documents()) == 1


def test_enter_sends_attachments_without_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    sent: list[str] = []
    composer.submitted.connect(sent.append)
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent == []  # nothing typed, nothing attached
    composer.has_attachments = lambda: True
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent == [""]
    composer.can_submit = False  # an answer is streaming
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent == [""]
