"""Screenshots of the window for docs/screenshots/, taken by script: offscreen grabs of the real
window on the scripted engine (tests/scripted_engine.py), so the texts are fixed and no model
runs (the built-in SmolLM2's file is read for its header only).

    .venv/bin/python scripts/screenshots.py [--out DIR] [--only SCENE ...] [--language zh_CN]

Each scene in light and dark, at 1400×900 and 900×650, as `SCENE-THEME-WIDTHxHEIGHT.png`;
with `--language zh_CN` the window in Simplified Chinese, chatting in Chinese (a passage of the
Analects for the summary), as `zh_CN-SCENE-THEME-WIDTHxHEIGHT.png`:

- chat-empty: a new chat, the model loaded;
- chat-code: a question and an answer with a code block, in its second version (‹ 2/2 ›), the
  answer's buttons shown as when the pointer rests on it, two earlier chats in the sidebar;
- chat-streaming: an answer held halfway through its text (`hold_at`);
- summary: a document (the GPL) too long for the context (1,024 tokens), summarized part by
  part, held while it reads the second part;
- models: the Models page;
- settings: the Settings dialog over the window, on its Sampling page, the machine fixed.

What would change between runs is fixed: the memory a fit badge is measured against, the
machine the settings show, the speeds (the scripted engine's), the context meter (counted before
anything is asked), the caret (it does not blink). The day headers of the sidebar say "Today"
on any day. The images are written with zlib's strongest compression.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app and tests/scripted_engine.py, from this checkout
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here asks the hub

from PySide6.QtCore import (  # noqa: E402
    QEvent,
    QEventLoop,
    QMessageLogContext,
    QPoint,
    QRect,
    QSize,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QColor, QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.core.engine import fit  # noqa: E402
from app.core.engine.devices import Hardware  # noqa: E402
from app.core.settings.file import SettingsFile  # noqa: E402
from app.paths import AppPaths  # noqa: E402
from app.qt.application import build_window  # noqa: E402
from app.qt.main_window import MainWindow  # noqa: E402
from app.qt.workers import inference  # noqa: E402
from tests.scripted_engine import ScriptedEngine  # noqa: E402

THEMES = ("light", "dark")
SIZES = (QSize(1400, 900), QSize(900, 650))
OUT = ROOT / "docs" / "screenshots"
WAIT_S = 30.0
PNG_QUALITY = 0  # Qt's PNG "quality" is the compression: 0 is zlib's level 9
MEMORY = 16 * 2**30  # what the fit badges are measured against
MACHINE = Hardware(cores=8, ram_bytes=32 * 2**30, can_offload=False, gpu_backend=None,
                   backend="llama.cpp: CPU only")

QUESTION = "How do I read a file line by line in Python?"
ANSWER = ("Open the file in a `with` block and loop over it: Python reads one line at a time, "
          "so even a large file never sits in memory whole.\n\n"
          "```python\nwith open(\"notes.txt\", encoding=\"utf-8\") as f:\n"
          "    for number, line in enumerate(f, start=1):\n"
          "        print(number, line.rstrip())\n```\n\n"
          "Each `line` keeps its newline; `rstrip()` takes it off. The `with` block closes "
          "the file when the loop ends, even after an error.")
FIRST_ANSWER = ("Loop over the open file:\n\n```python\nfor line in open(\"notes.txt\"):\n"
                "    print(line, end=\"\")\n```")
EARLIER_CHATS = (
    ("Translate into French: the meeting moves to Thursday at ten.",
     "La réunion est déplacée à jeudi, à dix heures."),
    ("Give me three names for a small bakery by the sea.",
     "1. **Salt & Crumb**\n2. **The Harbour Oven**\n3. **Tide Loaf**"),
)
STREAM_QUESTION = "Explain what a context window is, in a short paragraph."
STREAM_ANSWER = ("A model's **context window** is the text it can see at once: your messages, "
                 "its answers and any documents, counted in tokens. A chat longer than the "
                 "window loses its oldest turns, so the model no longer remembers them, while "
                 "a longer window costs memory and time to read.")
STREAM_HELD_AT = 24  # pieces (words) of the answer shown while it is held
NOTES = ["The licence guarantees the freedom to share and change all versions of a program.",
         "Developers who use the GPL protect your rights by asserting copyright and offering "
         "this licence."]
DOCUMENT = ROOT / "tests" / "data" / "gpl-3.0.txt"
ENGLISH = {"question": QUESTION, "answer": ANSWER, "first_answer": FIRST_ANSWER,
           "earlier": EARLIER_CHATS, "stream_question": STREAM_QUESTION,
           "stream_answer": STREAM_ANSWER, "stream_held_at": STREAM_HELD_AT, "notes": NOTES,
           "document": DOCUMENT}
CHINESE = {
    "question": "Python 怎么逐行读取一个文件？",
    "answer": ("用 `with` 打开文件，然后直接遍历它：Python 每次只读一行，再大的文件也不会整个"
               "放进内存。\n\n```python\nwith open(\"notes.txt\", encoding=\"utf-8\") as f:\n"
               "    for number, line in enumerate(f, start=1):\n"
               "        print(number, line.rstrip())\n```\n\n"
               "每个 `line` 末尾都带着换行符，`rstrip()` 会去掉它。循环结束时 `with` 会自动关闭"
               "文件，出错时也一样。"),
    "first_answer": ("遍历打开的文件即可：\n\n```python\nfor line in open(\"notes.txt\"):\n"
                     "    print(line, end=\"\")\n```"),
    "earlier": (("翻译成英文：会议改到周四上午十点。",
                 "The meeting has been moved to Thursday at 10 a.m."),
                ("给海边的一家小面包店起三个名字。",
                 "1. **潮汐烘焙**\n2. **海盐面包房**\n3. **听浪小馆**")),
    "stream_question": "用一小段话解释什么是上下文窗口。",
    "stream_answer": ("模型的**上下文窗口**是它一次能看到的全部文字：你的消息、它的回答和"
                      "附加的文档，都以 token 计数。对话超出窗口时，最早的几轮会被舍去，"
                      "模型就不再记得它们；窗口越长，读取所需的内存和时间也越多。"),
    "stream_held_at": 2,  # pieces are runs without spaces: Chinese has few
    "notes": ["《学而》篇讲为学与做人：学了要时常温习，交友要讲诚信，为人以孝悌为本。",
              "《为政》篇讲治国之道：以德服人，温故知新，学与思并重。"],
    "document": ROOT / "tests" / "data" / "lunyu.txt",
}


# -- the event loop, without a test runner ------------------------------------------------------

def wait_until(done: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout_s:.0f} s for {what}")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)


def settle(ms: int = 250) -> None:
    """Let throttled redraws and deferred layouts happen."""
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)


class Session:
    """A window on the scripted engine with a data folder of its own, in a theme and a size."""

    def __init__(self, theme: str, size: QSize, n_ctx: int | None = None,
                 language: str = "en") -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="lamplight-shots-")
        self.paths = AppPaths.under(Path(self._folder.name)).ensure()
        self.text = CHINESE if language == "zh_CN" else ENGLISH
        settings = SettingsFile.load(self.paths.config_dir)
        settings.set("app.theme", theme)
        settings.set("app.language", language)
        settings.save()
        self.engine = ScriptedEngine()
        window, self.host = build_window(self.paths, self.engine.factory)
        self.window: MainWindow = window
        window.resize(size)
        window.show()
        if n_ctx is not None:
            window.controller.n_ctx = n_ctx
        loaded: list[object] = []
        window.controller.modelLoaded.connect(loaded.append)
        window.start()
        wait_until(lambda: bool(loaded), "the model to load")
        window.controller.auto_titles = False
        wait_until(lambda: window.size() == size, "the window's size")
        # The context meter's estimate until the model has counted: a question sent before
        # then shows one count or another.
        wait_until(lambda: not window.context_meter.text().startswith("~"), "the first count")

    def ask(self, question: str, *replies: str) -> None:
        """Ask `question`; the model answers the first of `replies` (the rest come later)."""
        self.engine.replies.extend(replies)
        finished: list[object] = []
        self.window.controller.answerFinished.connect(finished.append)
        self.window.composer.setPlainText(question)
        self.window.composer.submit()
        wait_until(lambda: bool(finished), f"the answer to {question!r}")
        self.window.controller.answerFinished.disconnect(finished.append)

    def close(self) -> None:
        self.engine.hold.clear()
        self.engine.let_go()
        self.window.controller.stop()
        self.window.shutdown()
        self.host.shutdown()
        self.window.close()
        self.window.deleteLater()
        settle(50)
        # Deleted now: processEvents leaves deferred deletes for the event loop, and the
        # windows left would be restyled with every theme applied after.
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self._folder.cleanup()


# -- the scenes ------------------------------------------------------------------------------------

def chat_empty(session: Session) -> QPixmap:
    settle()
    return session.window.grab()


def chat_code(session: Session) -> QPixmap:
    window = session.window
    for question, answer in session.text["earlier"]:
        session.ask(question, answer)
        window.new_chat()
    session.ask(session.text["question"], session.text["first_answer"])
    answer_id = window.controller.model.message(1).id
    finished: list[object] = []
    window.controller.answerFinished.connect(finished.append)
    session.engine.replies.append(session.text["answer"])
    window.controller.regenerate(answer_id)
    wait_until(lambda: bool(finished), "the second version")
    settle()
    window.chat_view.message_widget(1).actions().show()  # as under the pointer
    settle()
    return window.grab()


def chat_streaming(session: Session) -> QPixmap:
    window, engine = session.window, session.engine
    engine.replies.append(session.text["stream_answer"])
    engine.hold_at = frozenset({session.text["stream_held_at"]})
    engine.hold.set()
    window.composer.setPlainText(session.text["stream_question"])
    window.composer.submit()
    wait_until(lambda: engine.held >= 1, "the answer to reach its hold")
    settle(400)  # the view draws what came before the hold
    return window.grab()


def summary(session: Session) -> QPixmap:
    window, engine = session.window, session.engine

    def held(_messages: object) -> str:
        engine.hold.set()  # the second part's note waits, halfway
        return session.text["notes"][1]

    engine.replies.extend([session.text["notes"][0], held])
    window.attachments.add_files([session.text["document"]])
    wait_until(lambda: bool(window.attachments.chips())
               and window.attachments.chips()[0].tokens is not None, "the document's count")
    progress: list[str] = []
    window.controller.progressChanged.connect(progress.append)
    window.composer.submit()  # nothing typed: a summary
    wait_until(lambda: engine.holding.is_set() and len(set(progress)) >= 2, "the second part")
    settle(400)
    return window.grab()


def models(session: Session) -> QPixmap:
    session.window.show_models()
    wait_until(session.window.models_page.isVisible, "the Models page")
    settle()
    return session.window.grab()


def settings(session: Session) -> QPixmap:
    window = session.window
    read: list[object] = []
    window.hardware.read.connect(read.append)
    dialog = window.show_settings()
    wait_until(lambda: bool(read), "the machine to be read")  # then the fixed one in its place
    dialog.set_hardware(MACHINE)
    wait_until(dialog.isVisible, "the Settings dialog")
    settle()
    return over(window.grab(), dialog)


def over(background: QPixmap, dialog: QWidget) -> QPixmap:
    """`dialog` drawn in the middle of the window's image, as a window manager shows it."""
    picture = QPixmap(background)
    front = dialog.grab()
    scale = background.devicePixelRatio()
    at = QPoint(int((background.width() / scale - front.width() / scale) / 2),
                int((background.height() / scale - front.height() / scale) / 2))
    painter = QPainter(picture)
    painter.fillRect(QRect(QPoint(0, 0), background.size() / scale), QColor(0, 0, 0, 60))
    for step in range(1, 7):  # a soft shadow
        rect = QRect(at, front.size() / scale).adjusted(-step, -step + 3, step, step + 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 40 - 6 * step))
        painter.drawRect(rect)
    painter.drawPixmap(at, front)
    painter.setPen(QColor(0, 0, 0, 90))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(QRect(at, front.size() / scale).adjusted(-1, -1, 0, 0))
    painter.end()
    return picture


SCENES: dict[str, tuple[Callable[[Session], QPixmap], int | None]] = {
    "chat-empty": (chat_empty, None),
    "chat-code": (chat_code, None),
    "chat-streaming": (chat_streaming, None),
    "summary": (summary, 1024),  # a small context: the document is several contexts long
    "models": (models, None),
    "settings": (settings, None),
}


def take(scene: str, theme: str, size: QSize, out: Path, language: str = "en") -> Path:
    shoot, n_ctx = SCENES[scene]
    session = Session(theme, size, n_ctx, language)
    try:
        image = shoot(session).toImage()
    finally:
        session.close()
    prefix = "" if language == "en" else f"{language}-"
    path = out / f"{prefix}{scene}-{theme}-{size.width()}x{size.height()}.png"
    if not image.save(str(path), "PNG", PNG_QUALITY):
        raise OSError(f"cannot write {path}")
    return path


def _quiet(kind: QtMsgType, _context: QMessageLogContext, text: str) -> None:
    """Qt's messages on stderr, but for the one the offscreen platform gives each window."""
    if "propagateSizeHints" not in text:
        print(f"Qt {kind.name}: {text}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    parser.add_argument("--only", nargs="+", choices=sorted(SCENES), default=list(SCENES),
                        help="these scenes only")
    parser.add_argument("--language", choices=("en", "zh_CN"), default="en",
                        help="the window's language (default en)")
    args = parser.parse_args(argv)
    qInstallMessageHandler(_quiet)
    app = QApplication.instance() or QApplication(["lamplight-screenshots"])
    QApplication.setCursorFlashTime(0)  # the composer's caret always drawn, never mid-blink
    fit.available_memory = lambda: MEMORY  # the same badges on any machine
    inference.PIECE_INTERVAL_S = 0.0  # each piece shown as it comes, so a hold shows them all
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for scene in args.only:
        for theme in THEMES:
            for size in SIZES:
                started = time.monotonic()
                path = take(scene, theme, size, args.out, args.language)
                total += path.stat().st_size
                print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
                      f"  {path.stat().st_size / 1024:.0f} KiB  {time.monotonic() - started:.1f} s")
    print(f"{total / 2**20:.1f} MiB in all")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
