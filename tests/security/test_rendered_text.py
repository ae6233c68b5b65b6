"""Rendered text reaches nothing and freezes nothing (issue 17, items 2 and 12).

Text from a model, a chat file or a document is shown as rich text in several places. Qt's
rich text engine reads whatever an `<img>` (or a background, or a style sheet link) names,
local files included, and takes a tooltip for rich text when it starts with a tag. These tests
put such text where it is shown and check with a FIFO that nothing opened the file it names:
a reader that opens a FIFO is seen at once (the writer's `open` returns), and the writer, a
separate process, then closes its end, so a regression fails the test instead of hanging it.

Outsized messages (a 2,000x60 table, a 20,000-line code block, a 5 MB answer, a 1 MB word)
are shown in part, and the whole of them is on demand behind Show all.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import (
    QDesktopServices,
    QImage,
    QTextCursor,
    QTextDocument,
    QTextFrame,
    QTextTable,
)
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QMessageBox,
    QPushButton,
    QToolTip,
    QTreeWidgetItem,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.chat.conversation import Attachment, Conversation, Message
from app.core.chat.library import ChatLibrary
from app.core.chat.markdown import (
    ALL_SCHEME,
    CODE_SCHEME,
    MAX_CODE_LINES,
    MAX_FORMULAS,
    MAX_QUOTE_BARS,
    MAX_RENDER_COST,
    MAX_TABLE_ROWS,
    MAX_WORD_CHARS,
    MIN_TABLE_ROWS,
    QUOTE_COST,
    TABLE_SCHEME,
    MarkdownRenderer,
)
from app.core.chat.store import ConversationStore, ConversationSummary
from app.core.documents.readers import Document
from app.core.engine import GenerationStats
from app.qt.viewmodels.conversation_list_model import ConversationListModel
from app.qt.viewmodels.conversation_model import ConversationModel
from app.qt.widgets.attachments import AttachmentChip
from app.qt.widgets.chat_view import ChatView
from app.qt.widgets.message_widget import MAX_CHIP_CHARS, MessageWidget
from app.qt.widgets.models.installed_list import InstalledList
from app.qt.widgets.show_all import ShowAllTable, ShowAllText
from app.qt.widgets.sidebar import ConversationSidebar

# The offscreen platform says this when a tooltip is shown.
pytestmark = [pytest.mark.qt, pytest.mark.qt_log_ignore("This plugin does not support raise")]


class FifoTrap:
    """A FIFO named like a picture; `opened()` tells whether anything opened it to read."""

    def __init__(self, folder: Path, name: str = "picture.png") -> None:
        self.path = folder / name
        os.mkfifo(self.path)
        self._flag = folder / f"{name}.opened"
        # Each open of the writer's end returns when a reader opens the FIFO; the writer notes
        # it and closes its end at once, so the reader sees the end of the file rather than
        # waiting, and opens again for the next reader.
        self._writer = subprocess.Popen(
            ["sh", "-c", 'while :; do exec 3>"$1"; : > "$2"; exec 3>&-; done', "sh",
             str(self.path), str(self._flag)])

    def opened(self, wait_s: float = 0.3) -> bool:
        """Whether the FIFO was opened (a reader's open shows within `wait_s`)."""
        deadline = time.monotonic() + wait_s
        while not self._flag.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._flag.exists()

    def close(self) -> None:
        self._writer.kill()
        self._writer.wait(10)


@pytest.fixture
def trap(tmp_path: Path) -> Iterator[FifoTrap]:
    if not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs are POSIX")
    fifo = FifoTrap(tmp_path)
    yield fifo
    fifo.close()


@pytest.fixture
def widget(qtbot: QtBot) -> MessageWidget:
    w = MessageWidget(MarkdownRenderer())
    qtbot.addWidget(w)
    w.resize(800, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def images_in(document: QTextDocument) -> int:
    """How many images the document holds (each one Qt would load to draw)."""
    count = 0
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            if iterator.fragment().charFormat().isImageFormat():
                count += 1
            iterator += 1
        block = block.next()
    return count


def tables_in(document: QTextDocument) -> list[QTextTable]:
    return [frame for frame in document.rootFrame().childFrames()
            if isinstance(frame, QTextTable)]


def hrefs(document: QTextDocument) -> list[str]:
    found = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            char_format = iterator.fragment().charFormat()
            if char_format.isAnchor():
                found.append(char_format.anchorHref())
            iterator += 1
        block = block.next()
    return found


def shown(tip: str) -> str:
    """What Qt shows for the tooltip (or AutoText label) `tip`: its text when Qt takes it for
    rich text, after checking that it then holds no image."""
    if not GuiQt.mightBeRichText(tip):
        return tip
    document = QTextDocument()
    document.setHtml(tip)
    assert images_in(document) == 0
    return document.toPlainText()


def show_tooltip(qtbot: QtBot, text: str) -> None:
    """Show `text` as Qt shows a tooltip, and draw it."""
    QToolTip.showText(QPoint(100, 100), text)
    label = next(w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QLabel) and w.objectName() == "qtooltip_label")
    label.grab()
    QToolTip.hideText()


def drawn(qtbot: QtBot, widget: QWidget) -> None:
    widget.grab()
    qtbot.wait(10)


# -- item 2: nothing is read -----------------------------------------------------------------

HOSTILE = [
    "![picture]({path})",
    "![picture](file://{path})",
    "![picture][ref]\n\n[ref]: {path}",
    "[![inner]({path})](https://example.com/)",
    '<img src="{path}">',
    "| a |\n|---|\n| ![cell]({path}) |",
    "- ![in a list]({path})\n\n> ![in a quote]({path})",
    "```python\n# ![not markdown]({path})\n```",
    "$x$ and $$\\includegraphics{{{path}}}$$ and \\(\\text{{<img src=\"{path}\">}}\\)",
    "> > > > > ![deep in quotes]({path})",
]


@pytest.mark.parametrize("template", HOSTILE)
@pytest.mark.parametrize("streaming", [False, True])
def test_an_answer_makes_the_window_read_no_file(
        qtbot: QtBot, widget: MessageWidget, trap: FifoTrap, template: str,
        streaming: bool) -> None:
    text = "Look:\n\n" + template.format(path=trap.path) + "\n\nThat was it.\n"
    widget.show_message(Message("assistant", text, streaming=streaming))
    drawn(qtbot, widget)
    assert not trap.opened()
    assert images_in(widget.body.document()) == 0


def test_a_picture_in_an_answer_is_shown_as_its_alt_text(
        qtbot: QtBot, widget: MessageWidget, tmp_path: Path) -> None:
    picture = tmp_path / "secret.png"
    image = QImage(40, 30, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.red)
    assert image.save(str(picture))
    widget.show_message(Message("assistant", f"![the secret]({picture})"))
    drawn(qtbot, widget)
    document = widget.body.document()
    assert images_in(document) == 0
    assert "[image: the secret]" in widget.plain_text()
    assert not any(str(picture) in href for href in hrefs(document))  # a local path: no link
    # Even if something asked the body for the picture, it would get nothing from the disk.
    resource = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(str(picture)))
    assert not isinstance(resource, QImage) or resource.size().width() <= 1


def test_a_user_message_and_its_attachments_read_no_file(
        qtbot: QtBot, widget: MessageWidget, trap: FifoTrap) -> None:
    hostile = f'<img src="{trap.path}">'
    widget.show_message(Message("user", f"![x]({trap.path}) {hostile}",
                                attachments=(Attachment(hostile, "text"),)))
    drawn(qtbot, widget)
    assert not trap.opened()
    assert hostile in widget.plain_text()


def test_the_header_footer_and_stats_tooltip_read_no_file(
        qtbot: QtBot, widget: MessageWidget, trap: FifoTrap) -> None:
    hostile = f'<img src="{trap.path}">'
    stats = GenerationStats(prompt_tokens=5, completion_tokens=7, ttft_s=0.1, generation_s=1.0,
                            finish_reason="stop")
    widget.show_message(Message("assistant", "Hi.", stats=stats, model_name=hostile, id=1))
    drawn(qtbot, widget)
    tip = widget.footer.toolTip()
    assert shown(tip).startswith(f"Model: {hostile}\n")
    show_tooltip(qtbot, tip)
    # The model's chip shows the start of a long name, and all of it on hover: both as written.
    chip = widget.author
    assert len(hostile) > MAX_CHIP_CHARS
    assert shown(chip.text()) == hostile[:MAX_CHIP_CHARS] + "…"
    assert shown(chip.toolTip()) == hostile
    show_tooltip(qtbot, chip.toolTip())
    widget.show_message(Message("assistant", "", error=hostile, model_name=hostile, id=2))
    drawn(qtbot, widget)
    assert not trap.opened()
    assert shown(widget.footer.text()) == f"⚠ {hostile}"


@pytest.mark.parametrize("streaming", [False, True])
def test_thinking_and_a_warning_read_no_file(
        qtbot: QtBot, widget: MessageWidget, trap: FifoTrap, streaming: bool) -> None:
    """A reasoning model's thinking, in its preview and opened, and the engine's warning
    under an answer (it quotes the model's template) are shown as written."""
    hostile = f'<img src="{trap.path}"> ![x]({trap.path}) <b>not bold</b>'
    widget.show_message(Message("assistant", "" if streaming else "Fine.", streaming=streaming,
                                thinking=hostile, details={"warning": hostile}, id=1))
    block = widget.thinking()
    drawn(qtbot, widget)
    if streaming:
        assert block.preview.toPlainText() == hostile
    block.toggle_open()
    drawn(qtbot, widget)
    assert not trap.opened()
    assert block.text.toPlainText() == hostile
    assert images_in(block.text.document()) == 0
    if not streaming:
        assert widget.warning().text() == f"⚠ {hostile}"
        assert widget.warning().textFormat() is Qt.TextFormat.PlainText


def test_a_link_title_cannot_make_a_tooltip_read_a_file(
        qtbot: QtBot, widget: MessageWidget, trap: FifoTrap) -> None:
    widget.show_message(Message("assistant",
                                f'[docs](https://example.com/ "<img src=\\"{trap.path}\\">")'))
    drawn(qtbot, widget)
    cursor = QTextCursor(widget.body.document())
    cursor.setPosition(2)
    tip = cursor.charFormat().toolTip()  # what Qt shows when the pointer rests on the link
    show_tooltip(qtbot, tip)
    assert not trap.opened()
    assert shown(tip) == "https://example.com/"


def test_chat_titles_in_the_list_and_the_search_are_shown_as_written(
        qtbot: QtBot, tmp_path: Path, trap: FifoTrap) -> None:
    hostile = f'<img src="{trap.path}"> title'
    store = ConversationStore(tmp_path / "chats.db")
    try:
        conversation = Conversation(title=hostile, model=f"<b>{hostile}</b>")
        store.add_message(conversation, Message("user", "find the needle"))
        sidebar = ConversationSidebar(ChatLibrary(store))
        qtbot.addWidget(sidebar)
        sidebar.show()
        model = sidebar.model
        row = next(r for r in range(model.rowCount()) if model.conversation_id(r) is not None)
        tip = model.data(model.index(row), Qt.ItemDataRole.ToolTipRole)
        assert shown(tip).startswith(f"{hostile}\n<b>{hostile}</b>\nUpdated ")
        show_tooltip(qtbot, tip)
        sidebar.run_search("needle")
        hit = sidebar.search_results.item(0)
        assert shown(hit.toolTip()) == hostile
        show_tooltip(qtbot, hit.toolTip())
        drawn(qtbot, sidebar)
        assert not trap.opened()
    finally:
        store.close()


def outside_texts(widget: QWidget, marker: str) -> list[tuple[bool, str, str]]:
    """Every tooltip, label and item tooltip under `widget` that holds `marker`: whether it is
    a tooltip, what it is set to, and what Qt shows for it (checking that no rich text among
    them holds an image)."""
    found: list[tuple[bool, str, str]] = []

    def check(text: object, plain: bool = False, tooltip: bool = True) -> None:
        if isinstance(text, str) and text and (marker in text or marker in html.unescape(text)):
            found.append((tooltip, text, text if plain else shown(text)))

    for child in [widget, *widget.findChildren(QWidget)]:
        check(child.toolTip())
        if isinstance(child, QLabel):
            check(child.text(), plain=child.textFormat() == Qt.TextFormat.PlainText,
                  tooltip=False)
        if isinstance(child, QAbstractItemView) and child.model() is not None:
            model = child.model()
            for row in range(model.rowCount()):
                for column in range(model.columnCount()):
                    check(model.data(model.index(row, column), Qt.ItemDataRole.ToolTipRole))
    return found


def test_names_of_files_are_shown_as_written(
        qtbot: QtBot, tmp_path: Path, trap: FifoTrap, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file named like HTML (a download can be): `<img src=picture.png>` is read relative to
    the working directory, where the trap waits."""
    monkeypatch.chdir(trap.path.parent)
    hostile = f"<img src={trap.path.name}> notes"
    chip = AttachmentChip(Document(f"{hostile}.txt", "Some text.", "text"), f"{hostile}.txt")
    qtbot.addWidget(chip)
    chip.show()
    models = tmp_path / "models"
    models.mkdir()
    (models / f"{hostile}.gguf").write_bytes(b"not a model")
    installed = InstalledList(models, n_ctx=2048)
    qtbot.addWidget(installed)
    installed.show()
    installed.refresh()

    def row() -> QTreeWidgetItem:
        tree = installed.tree
        return next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                    if hostile in tree.topLevelItem(i).text(0))

    qtbot.waitUntil(lambda: row().text(installed.FIT) == "unreadable", timeout=10_000)
    installed.tree.setCurrentItem(row())
    for widget in (chip, installed):
        drawn(qtbot, widget)
        texts = outside_texts(widget, hostile)
        assert texts, "the name is shown somewhere"
        for tooltip, given, seen in texts:
            assert hostile in seen
            if tooltip:
                show_tooltip(qtbot, given)  # as Qt shows it
    assert not trap.opened()


def test_a_long_title_makes_a_short_tooltip() -> None:
    model = ConversationListModel()
    model.set_conversations([ConversationSummary(1, "t" * 1_000_000, time.time(), time.time(),
                                                 None, 1)])
    row = next(r for r in range(model.rowCount()) if model.conversation_id(r) is not None)
    assert len(model.data(model.index(row), Qt.ItemDataRole.ToolTipRole)) < 5_000
    assert len(model.data(model.index(row), Qt.ItemDataRole.DisplayRole)) < 1_000


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="POSIX")
def test_an_answer_that_names_dev_zero_leaves_the_window_up(tmp_path: Path) -> None:
    """`![x](/dev/zero)` aborted the window (std::bad_alloc): run where it cannot take the
    test run down with it."""
    script = tmp_path / "show.py"
    script.write_text(
        "import os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.core.chat.conversation import Message\n"
        "from app.core.chat.markdown import MarkdownRenderer\n"
        "from app.qt.widgets.message_widget import MessageWidget\n"
        "w = MessageWidget(MarkdownRenderer()); w.resize(600, 400); w.show()\n"
        "w.show_message(Message('assistant', '![x](/dev/zero)\\n\\n<img src=/dev/zero>'))\n"
        "w.grab(); app.processEvents(); print('still up')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, preexec_fn=_limit_memory, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "still up" in done.stdout


def _limit_memory() -> None:
    import resource

    # Enough for Qt; reading /dev/zero into memory runs out long before it.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


# -- item 2: links open only on click, and only to the web ------------------------------------

class OpenedUrls(QObject):
    """Stands in for the browser: records the URLs QDesktopServices is asked to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def browser() -> Iterator[OpenedUrls]:
    opened = OpenedUrls()
    schemes = ("http", "https", "mailto", "file", "ftp", "data", "smb", "javascript")
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, opened, "open")
    yield opened
    for scheme in schemes:
        QDesktopServices.unsetUrlHandler(scheme)


def click(widget: MessageWidget, href: str) -> None:
    widget.body.anchorClicked.emit(QUrl(href))


def question() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == "openLinkQuestion"
                 and w.isVisible()), None)


def test_a_link_whose_text_hides_its_target_asks_first(
        qtbot: QtBot, widget: MessageWidget, browser: OpenedUrls) -> None:
    widget.show_message(Message("assistant", "[https://bank.example/](https://evil.example/x)"))
    [href] = hrefs(widget.body.document())
    assert "evil" not in href  # the target is not in the document at all
    click(widget, href)
    box = question()
    assert box is not None and "https://evil.example/x" in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert browser.urls == []  # nothing opens before the answer
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert browser.urls == []

    click(widget, href)
    box = question()
    assert box is not None
    next(b for b in box.buttons() if b.text() == "Open").click()
    assert browser.urls == ["https://evil.example/x"]


def test_a_link_that_says_where_it_goes_opens_on_click(
        qtbot: QtBot, widget: MessageWidget, browser: OpenedUrls) -> None:
    widget.show_message(Message("assistant", "See <https://example.com/docs> or <me@example.com>."))
    assert browser.urls == []
    for href in hrefs(widget.body.document()):
        click(widget, href)
    assert question() is None
    assert browser.urls == ["https://example.com/docs", "mailto:me@example.com"]


@pytest.mark.parametrize("target", [
    "file:///etc/passwd", "/etc/passwd", "../secret.txt", "ftp://example.com/f",
    "smb://server/share", "data:text/html,hi", "javascript:alert(1)", "myapp://do-it",
])
def test_local_and_unknown_links_never_open(
        qtbot: QtBot, widget: MessageWidget, browser: OpenedUrls, target: str) -> None:
    widget.show_message(Message("assistant", f"[click me]({target}) ![img]({target})"))
    for href in hrefs(widget.body.document()):
        click(widget, href)
    click(widget, target)  # even a raw target handed to the body directly
    assert question() is None
    assert browser.urls == []
    assert "click me" in widget.plain_text()


def test_a_web_image_is_a_link_to_open_never_a_download(
        qtbot: QtBot, widget: MessageWidget, browser: OpenedUrls) -> None:
    widget.show_message(Message("assistant", "![a cat](https://img.example/cat.png)"))
    assert images_in(widget.body.document()) == 0
    assert widget.plain_text().strip() == "[image: a cat]"
    [href] = hrefs(widget.body.document())
    click(widget, href)
    box = question()
    assert box is not None and "https://img.example/cat.png" in box.text()
    next(b for b in box.buttons() if b.text() == "Open").click()
    assert browser.urls == ["https://img.example/cat.png"]


# -- item 12: no message freezes the window ----------------------------------------------------

def big_table(rows: int = 2000, columns: int = 60) -> str:
    head = "| " + " | ".join(f"col {c}" for c in range(columns)) + " |"
    rule = "|" + "---|" * columns
    body = ["| " + " | ".join(f"{r}.{c}" for c in range(columns)) + " |" for r in range(rows)]
    return "Here is the table:\n\n" + "\n".join([head, rule, *body]) + "\n\nThat is all."


def test_a_huge_table_shows_some_rows_and_all_of_them_on_demand(
        qtbot: QtBot, widget: MessageWidget) -> None:
    start = time.perf_counter()
    widget.show_message(Message("assistant", big_table()))
    drawn(qtbot, widget)
    # Generous (it took 9 s before; about 0.05 s now): the bound itself is checked below.
    assert time.perf_counter() - start < 2.0
    [table] = tables_in(widget.body.document())
    assert table.columns() == 60
    assert MIN_TABLE_ROWS + 1 <= table.rows() <= MAX_TABLE_ROWS + 1  # the header, some rows
    assert f"{TABLE_SCHEME}:0" in hrefs(widget.body.document())
    assert "of 2,000 rows shown" in widget.plain_text()

    dialog = widget.show_all(TABLE_SCHEME, 0)
    assert isinstance(dialog, ShowAllTable)
    qtbot.addWidget(dialog)
    model = dialog.model
    assert model.columnCount() == 60
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 2000
    assert model.data(model.index(1999, 59)) == "1999.59"
    assert model.headerData(59, Qt.Orientation.Horizontal) == "col 59"


def test_thousands_of_small_tables_are_shown_in_part(
        qtbot: QtBot, widget: MessageWidget) -> None:
    text = "\n\n".join(f"| a | b |\n|---|---|\n| {i} | {i * 2} |" for i in range(3000))
    widget.show_message(Message("assistant", text))
    cells = sum(t.rows() * t.columns() for t in tables_in(widget.body.document()))
    assert 0 < cells <= MAX_RENDER_COST // 100 + 64 * (MIN_TABLE_ROWS + 1)
    assert f"{ALL_SCHEME}:" in hrefs(widget.body.document())
    dialog = widget.show_all(ALL_SCHEME)
    assert isinstance(dialog, ShowAllText)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.loading)
    assert dialog.text.toPlainText() == text


def test_a_huge_code_block_shows_its_start_and_copies_whole(
        qtbot: QtBot, widget: MessageWidget) -> None:
    code = "\n".join(f"print({i})" for i in range(20_000))
    widget.show_message(Message("assistant", f"Code:\n\n```python\n{code}\n```\n\nDone."))
    assert widget.plain_text().count("print(") == MAX_CODE_LINES
    assert "20,000 lines" in widget.plain_text()
    with qtbot.waitSignal(widget.copied) as copied:
        click(widget, "copy-code:0")
    assert copied.args[0] == code  # all of it, though only the start was read to render
    dialog = widget.show_all(CODE_SCHEME, 0)
    assert isinstance(dialog, ShowAllText)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.loading)
    assert dialog.text.toPlainText() == code


@pytest.mark.parametrize("role", ["assistant", "user"])
def test_a_5_mb_message_shows_its_start_and_the_rest_on_demand(
        qtbot: QtBot, widget: MessageWidget, role: str) -> None:
    paragraph = "The cache keeps a reference to the value, so it is not freed. " * 4
    text = "\n\n".join([paragraph] * (5_000_000 // len(paragraph)))
    widget.show_message(Message(role, text))
    assert len(widget.plain_text()) <= MAX_RENDER_COST + 200
    assert f"{ALL_SCHEME}:" in hrefs(widget.body.document())
    dialog = widget.show_all(ALL_SCHEME)
    assert isinstance(dialog, ShowAllText)
    qtbot.addWidget(dialog)
    assert dialog.loading  # put in the view a step at a time, the window answering between
    qtbot.waitUntil(lambda: not dialog.loading, timeout=20_000)
    assert dialog.text.document().characterCount() == len(text) + 1


@pytest.mark.parametrize("role", ["assistant", "user"])
def test_one_huge_word_is_cut(qtbot: QtBot, widget: MessageWidget, role: str) -> None:
    word = "x" * 1_000_000
    widget.show_message(Message(role, word))
    assert widget.plain_text().count("x") == MAX_WORD_CHARS
    dialog = widget.show_all(ALL_SCHEME)
    assert isinstance(dialog, ShowAllText)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.loading, timeout=20_000)
    lines = dialog.text.toPlainText().split("\n")
    assert "".join(lines) == word
    assert max(map(len, lines)) == MAX_WORD_CHARS  # shown in lines Qt lays out quickly
    next(b for b in dialog.findChildren(QPushButton) if b.text() == "Copy all").click()
    assert QApplication.clipboard().text() == word


def test_deep_nesting_is_bounded(qtbot: QtBot, widget: MessageWidget) -> None:
    for text in (">" * 5000 + " deep", "\n".join("  " * i + "- item" for i in range(300)),
                 "*" * 50_000 + "a" + "*" * 50_000, "[" * 50_000 + "a" + "]" * 50_000):
        widget.show_message(Message("assistant", text))
        assert len(widget.body.toHtml()) < 2_000_000


def nested_tables(document: QTextDocument) -> int:
    """How deep tables are nested in the document (Qt's layout time doubles with each)."""
    def depth(frame: QTextFrame) -> int:
        inner = max((depth(child) for child in frame.childFrames()), default=0)
        return inner + isinstance(frame, QTextTable)
    return depth(document.rootFrame())


@pytest.mark.parametrize("text", [
    "$" * 100_000, "$ " * 50_000, "$a$ " * 20_000, "\\(" * 50_000, "\\( a " * 20_000,
    "$$a\n" * 20_000, "$$\\frac{a}{b}$$\n" * 10_000,
    "$" + "{" * 20_000 + "x" + "}" * 20_000 + "$", "$" + "\\frac{1}{" * 10_000 + "$",
    "$" + "^" * 20_000 + "x$", "$$\n" + "\\sqrt[" * 10_000 + "\n$$",
])
def test_hostile_formulas_are_bounded(qtbot: QtBot, widget: MessageWidget, text: str) -> None:
    for streaming in (True, False):
        widget.show_message(Message("assistant", text, streaming=streaming))
        assert len(widget.plain_text()) <= MAX_RENDER_COST + 200
        assert widget.body.toHtml().count("font-style:italic") <= MAX_FORMULAS + 1


def test_quotes_nest_few_tables_and_many_quotes_are_shown_in_part(
        qtbot: QtBot, widget: MessageWidget) -> None:
    for text in (">" * 5000 + " deep", "".join(">" * i + " a\n" for i in range(1, 30)) * 50):
        widget.show_message(Message("assistant", text))
        assert nested_tables(widget.body.document()) <= MAX_QUOTE_BARS
    widget.show_message(Message("assistant", "> a quote\n\n" * 10_000))
    assert len(tables_in(widget.body.document())) <= MAX_RENDER_COST // QUOTE_COST + 1
    assert f"{ALL_SCHEME}:" in hrefs(widget.body.document())


def test_a_streamed_table_stays_bounded_while_it_grows(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    conversation = Conversation.of(Message("user", "A big table, please."))
    model = ConversationModel(conversation)
    view.set_model(model)
    reply = Message("assistant", "", streaming=True)
    conversation.add(reply)
    model.sync()
    row = model.rowCount() - 1
    answer = big_table(rows=1500, columns=20)
    for end in range(0, len(answer), 25_000):
        reply.content = answer[:end]
        view._rendered_at = -1e9  # every update is a redraw that is due
        model.dataChanged.emit(model.index(row), model.index(row))
        for table in tables_in(view.message_widget(row).body.document()):
            assert table.rows() <= MAX_TABLE_ROWS + 1
    reply.content, reply.streaming = answer, False
    model.dataChanged.emit(model.index(row), model.index(row))
    widget = view.message_widget(row)
    assert "of 1,500 rows shown" in widget.plain_text()
