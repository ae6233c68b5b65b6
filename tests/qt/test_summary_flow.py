"""Documents in the window: a dropped PDF summarized part by part with progress, end to end on
the real model; Stop in the middle, a document small enough to go inline and the chips' counts
on the scripted engine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.core.chat.store import ConversationStore
from app.paths import AppPaths
from app.qt.main_window import MainWindow
from tests.documents import write_text_pdf
from tests.scripted_engine import ScriptedEngine

pytestmark = [pytest.mark.qt]
LOAD_TIMEOUT_MS = 60_000
ANSWER_TIMEOUT_MS = 300_000
DATA = Path(__file__).parent.parent / "data"


def start(qtbot, win: MainWindow, n_ctx: int = 512) -> None:  # type: ignore[no-untyped-def]
    """The built-in model with a small context, so a few pages are several contexts long."""
    win.controller.n_ctx = n_ctx
    with qtbot.waitSignal(win.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        win.start()
    win.controller.auto_titles = False
    win.controller.params = dataclasses.replace(win.controller.params, seed=1)


def drop(win: MainWindow, path: Path) -> None:
    """A file dragged in and dropped: Qt delivers a drop only after an accepted enter."""
    mime = QMimeData()  # held here: an event does not own its mime data
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(win, enter)
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(win, event)


def licence_pages(count: int) -> list[str]:
    """The GPL's opening, about 1,800 characters a page."""
    text = (DATA / "gpl-3.0.txt").read_text(encoding="utf-8")
    return [text[i * 1800:(i + 1) * 1800] for i in range(count)]


@pytest.mark.model
def test_a_dropped_pdf_is_summarized_with_progress_and_parts(  # type: ignore[no-untyped-def]
        qtbot, real_window: MainWindow, tmp_path: Path, paths: AppPaths) -> None:
    window = real_window
    start(qtbot, window)
    pdf = write_text_pdf(tmp_path / "licence.pdf", licence_pages(7))
    drop(window, pdf)
    bar = window.attachments
    qtbot.waitUntil(lambda: bool(bar.chips()) and bar.chips()[0].tokens is not None,
                    timeout=LOAD_TIMEOUT_MS)
    [chip] = bar.chips()
    assert chip.tokens is not None and chip.tokens > 4 * 512  # counted by the model

    progress: list[str] = []
    window.controller.progressChanged.connect(progress.append)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.composer.submit()  # nothing typed: a summary is asked for
    assert not bar.chips()  # the documents went with the question

    result = done.args[0]
    assert not result.cancelled and result.text
    reading = [p for p in progress if p.startswith("Reading part")]
    assert reading[0].startswith("Reading part 1 of ")
    assert any("left" in p and "estimating" not in p for p in reading[1:])
    assert progress[-1] == ""  # cleared at the end

    model = window.controller.model
    question, answer = model.message(0), model.message(1)
    assert question.attachments[0].name == "licence.pdf"
    assert question.content.startswith("Summarize the attached document in English")
    assert answer.summarized
    parts = answer.details["parts"]  # type: ignore[index]
    assert len(parts) >= 4
    footer = window.chat_view.message_widget(1).footer.text()
    assert f"summary of {len(parts)} parts" in footer and "Parts…" in footer
    assert "licence.pdf" in window.chat_view.message_widget(0).plain_text()

    dialog = window.message_actions.show_parts(answer.id)  # type: ignore[arg-type]
    assert dialog.part_list.count() == len(parts)
    dialog.part_list.setCurrentRow(1)
    shown = dialog.part_text.toPlainText()
    assert parts[1]["note"].split()[0] in shown
    source = "\n\n".join(a.text for a in question.attachments)
    assert source[parts[1]["start"]:parts[1]["end"]].split()[0] in shown
    dialog.close()

    # What was shown is what was saved.
    store = ConversationStore.open_in(paths.data_dir)
    try:
        saved = store.load(window.controller.conversation.id)  # type: ignore[arg-type]
    finally:
        store.close()
    saved_question, saved_answer = saved.path()
    assert saved_question.attachments == question.attachments
    assert saved_answer.details == answer.details
    # A follow-up sends the summary, not the document again, and is answered.
    followup = saved.chat_messages()
    assert "too long to include" in followup[-2].content
    assert source not in followup[-2].content
    window.controller.params = dataclasses.replace(window.controller.params, max_tokens=16)
    window.composer.setPlainText("Who wrote it?")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.composer.submit()
    assert done.args[0].text and not window.error_banner.isVisible()


def test_stop_stops_a_summary_and_keeps_the_notes(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine) -> None:
    start(qtbot, window)

    def held(_messages: object) -> str:
        engine.hold.set()  # the second part's note goes on until Stop
        return "Second note."

    engine.replies.extend(["First note.", held])
    text = (DATA / "gpl-3.0.txt").read_text(encoding="utf-8")[:16_000]
    window.attachments.add_text(text)
    reached: list[str] = []
    window.controller.progressChanged.connect(reached.append)
    window.composer.submit()
    qtbot.waitUntil(lambda: any(p.startswith("Reading part 2 ") for p in reached),
                    timeout=ANSWER_TIMEOUT_MS)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=10_000) as done:
        window.stop_button.click()
    assert done.args[0].cancelled
    answer = window.controller.model.message(1)
    assert answer.content.startswith("**Part 1.** First note.")
    assert answer.details is not None and answer.details["complete"] is False
    assert len(engine.asked) == 2  # it read no further
    assert "stopped after " in window.chat_view.message_widget(1).footer.text()


def test_a_document_that_fits_is_sent_inline(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine) -> None:
    start(qtbot, window, n_ctx=4096)
    window.controller.params = dataclasses.replace(window.controller.params, max_tokens=24)
    text = ("The lighthouse on Gull Rock was built in 1871 by the harbour board. " * 40).strip()
    mime = QMimeData()  # held here: Qt does not own it
    mime.setText(text)
    window.composer.insertFromMimeData(mime)  # a long paste becomes a chip
    assert len(window.attachments.chips()) == 1 and not window.composer.toPlainText()
    window.composer.setPlainText("When was the lighthouse built?")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    conversation = window.controller.conversation
    question, answer = conversation.path()
    assert question.content == "When was the lighthouse built?"
    assert not answer.summarized and answer.content
    sent = conversation.chat_messages(through=question)[-1].content
    assert sent.startswith('Document "Pasted text":') and "built in 1871" in sent
    assert sent.endswith("When was the lighthouse built?")
    assert engine.asked[-1][-1].content == sent  # what the model was asked


def test_a_document_attached_before_a_model_loads_is_counted_once_one_has(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    window.attachments.add_text("A paragraph about lighthouses. " * 100)
    [chip] = window.attachments.chips()
    qtbot.wait(200)
    assert chip.tokens is None  # no model to count with: an estimate is shown
    assert "≈" in chip.size_label.text()
    start(qtbot, window)
    qtbot.waitUntil(lambda: chip.tokens is not None, timeout=LOAD_TIMEOUT_MS)
    assert "≈" not in chip.size_label.text()


def test_a_book_sized_paste_keeps_its_estimate_rather_than_hold_up_the_model(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    start(qtbot, window)
    window.attachments.add_text("word " * 250_000)  # 1.25 million characters
    window.attachments.add_text("A short note about lighthouses. " * 80)
    big, small = window.attachments.chips()
    # Counts are answered in order on the one inference thread: the second one's arrival
    # means the first was passed over.
    qtbot.waitUntil(lambda: small.tokens is not None, timeout=LOAD_TIMEOUT_MS)
    assert big.tokens is None and "≈" in big.size_label.text()


def test_a_stopped_summary_can_go_on_in_the_same_message(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine) -> None:
    """Continue reads only the parts after the notes kept, then combines them all, in the
    message that was stopped (not a new version of it)."""
    start(qtbot, window)

    def held(_messages: object) -> str:
        engine.hold.set()
        return "Second note."

    engine.replies.extend(["First note.", held])
    window.attachments.add_text((DATA / "gpl-3.0.txt").read_text(encoding="utf-8")[:16_000])
    reached: list[str] = []
    window.controller.progressChanged.connect(reached.append)
    window.composer.submit()
    qtbot.waitUntil(lambda: any(p.startswith("Reading part 2 ") for p in reached),
                    timeout=ANSWER_TIMEOUT_MS)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=10_000):
        window.stop_button.click()
    engine.hold.clear()
    answer = window.controller.model.message(1)
    answer_id, asked = answer.id, len(engine.asked)
    footer = window.chat_view.message_widget(1).footer
    assert 'href="continue"' in footer.text()

    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        footer.linkActivated.emit("continue")  # the footer's Continue link
    assert not done.args[0].cancelled
    answer = window.controller.model.message(1)
    assert answer.id == answer_id and window.controller.model.rowCount() == 2
    parts = answer.details["parts"]  # type: ignore[index]
    assert parts[0]["note"] == "First note." and len(parts) >= 3
    later = [m[-1].content for m in engine.asked[asked:]]
    assert later[0].startswith("Part 2 of ")  # part 1 was not read again
    assert 'href="continue"' not in window.chat_view.message_widget(1).footer.text()
    saved = window.controller.store.load(window.controller.conversation.id)  # type: ignore[arg-type]
    assert saved.path()[1].content == answer.content and saved.path()[1].details == answer.details
