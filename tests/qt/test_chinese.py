"""The window in Simplified Chinese (issue 24): nothing left in English, nothing cut, switched
live with the open chat kept, and an input method's pre-edit never sent by Enter.

The English check reads what a user reads: the visible widgets' texts, placeholders, tooltips
and accessible names, the items of visible lists, the menu bar and every menu under it. A Latin
word there fails the test unless it is a name or a term Chinese software keeps in Latin letters
(`KEPT`: model and file formats, units, keys, product names); file names, paths, URLs and the
model's own name are not words of the interface.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu, QMenuBar, QWidget

from app import i18n
from app.core.models.catalog import load_catalog
from app.qt.appearance import apply_appearance
from app.qt.i18n import apply_language
from app.qt.main_window import MainWindow
from tests.qt import look
from tests.qt.test_look import CPU_ONLY, SIZES, THEMES, walk_tabs
from tests.qt.test_main_window import ANSWER_TIMEOUT_MS, start_and_wait
from tests.scripted_engine import ScriptedEngine

pytestmark = pytest.mark.qt

QUESTION = "把这句话翻译成英文：今天天气很好。"
CODE = 'print("The weather is nice today.")'
ANSWER = ("The weather is nice today.\n\n这句话的意思是：今天天气很好。用代码打印它：\n\n"
          f"```python\n{CODE}\n```")
DRAFT = "还没发送的草稿"

# Latin words the Chinese interface keeps: names, formats, units, keys and the terms Chinese
# software writes in Latin letters (lower case; a word is compared lower-cased).
_KEPT_WORDS = """
lamplight gguf gpu gpus cpu cpus ram vram api url http https json jsonl html pdf docx txt md
gib mib kib tib
markdown csv token tokens tok top min p k kv hugging face huggingface hf modelscope openai
ollama vllm llama cpp jinja chatml mb gb kb tb b ms s ctrl shift enter esc tab alt
cmd backspace del f openmp sha cuda metal vulkan rocm blas avx smollm smollm2 gemma qwen
deepseek r glm minicpm internlm instruct english id ip localhost lan q bf fp mmap mlock mtp
n x apache mit llama2 llama3 gpl cc by sa nc nd mistral phi hub flash attention gpt oss
lm studio readme
"""
KEPT = frozenset(_KEPT_WORDS.split())
_WORD = re.compile(r"[A-Za-z]+")
_NOT_WORDS = re.compile(r"""
    `[^`]*` | \(&\w\) | https?://\S+ | \S*[/\\]\S*
    | \S+\.(?:gguf|json|jsonl|md|txt|pdf|docx|html?)\b
    | \bllama-server\b | \b[\w.-]+\.[a-z]{2,4}\b
    | \b(?:Ctrl|Shift|Alt|Cmd)\+\S+ | \bQ\d\w* | \bI?Q\d_\w+ | \b\d+(?:\.\d+)?[A-Za-z]{1,2}\b
""", re.VERBOSE | re.IGNORECASE)


def english_words(text: str, names: set[str]) -> list[str]:
    text = look.plain(text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = _NOT_WORDS.sub(" ", text)
    return [w for w in _WORD.findall(text) if w.lower() not in KEPT]


def _menu_texts(menu: QMenu) -> Iterator[str]:
    for action in menu.actions():
        yield action.text()
        yield action.toolTip() if action.toolTip() != action.text().replace("&", "") else ""
        if action.menu() is not None:
            yield from _menu_texts(action.menu())


def texts_of(widget: QWidget) -> Iterator[str]:
    shown = look.shown_text(widget)
    if shown is not None:
        yield shown[0]
    yield widget.toolTip()
    yield widget.accessibleName()
    placeholder = getattr(widget, "placeholderText", None)
    if callable(placeholder):
        yield placeholder()
    if isinstance(widget, QMenuBar):
        for action in widget.actions():
            yield action.text()
            if action.menu() is not None:
                yield from _menu_texts(action.menu())
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        for index in look._indexes(widget):
            yield str(index.data(Qt.ItemDataRole.DisplayRole) or "")
            yield str(index.data(Qt.ItemDataRole.ToolTipRole) or "")


def english_left(root: QWidget, names: set[str]) -> list[str]:
    found = set()
    for widget in look.visible_widgets(root):
        for text in texts_of(widget):
            words = english_words(text or "", names)
            if words:
                found.add(f"{look.describe(widget)}: {' '.join(words)} in {text[:80]!r}")
    return sorted(found)


def names_of(window: MainWindow) -> set[str]:
    """What is a name, not a word of ours: the models' names and files, the chat's contents,
    the machine the test made up."""
    names = {QUESTION, ANSWER, CODE, "python", "The weather is nice today.", CPU_ONLY.backend}
    names |= {entry.label for entry in load_catalog()}
    info = window.controller.info
    if info is not None:
        names |= {info.name, info.path.name, info.path.stem}
    return {n for n in names if n}


@pytest.fixture
def chinese(qtbot, window: MainWindow, engine: ScriptedEngine) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The window with a chat (a Chinese question, an answer) and a draft, switched to
    Chinese in Settings while it is open; back to English after."""
    start_and_wait(qtbot, window)
    window.controller.auto_titles = False
    engine.replies.append(ANSWER)
    window.composer.setPlainText(QUESTION)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        window.composer.submit()
    window.composer.setPlainText(DRAFT)
    switch(qtbot, window, i18n.CHINESE)
    yield window
    apply_language(i18n.ENGLISH)  # not through the window: the window's teardown closes it


def switch(qtbot, window: MainWindow, language: str) -> None:  # type: ignore[no-untyped-def]
    window.controller.settings.set("app.language", language)
    window._apply_settings(["app.language"])
    QApplication.processEvents()  # the LanguageChange events Qt posted
    qtbot.wait(20)


def test_switching_language_keeps_the_open_chat(qtbot, chinese: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = chinese
    assert i18n.current() == i18n.CHINESE
    assert window.controller.model.rowCount() == 2
    assert window.controller.model.message(0).content == QUESTION
    assert window.composer.toPlainText() == DRAFT
    assert window.chat_view.message_widget(1).isVisible()
    switch(qtbot, window, i18n.ENGLISH)
    assert english_words(window.send_button.accessibleName(), set())  # English again
    assert window.composer.toPlainText() == DRAFT
    assert window.controller.model.rowCount() == 2


@pytest.fixture(params=SIZES, ids=lambda s: f"{s.width()}x{s.height()}")
def chinese_sized(request: pytest.FixtureRequest, qtbot, chinese: MainWindow) -> MainWindow:  # type: ignore[no-untyped-def]
    size: QSize = request.param
    chinese.resize(size)
    qtbot.waitUntil(lambda: chinese.size() == size)
    for row in range(chinese.controller.model.rowCount()):
        chinese.chat_view.message_widget(row).actions().show()
    return chinese


def _walk_settings(qtbot, window: MainWindow) -> tuple[list[str], list[look.Finding]]:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.hardware.read, timeout=60_000):
        dialog = window.show_settings()
    qtbot.waitUntil(dialog.isVisible)
    dialog.resize(dialog.sizeHint())
    dialog.set_hardware(CPU_ONLY)
    english: list[str] = []
    try:
        found = []
        for index in range(dialog.pages.count()):
            dialog.pages.setCurrentIndex(index)
            qtbot.waitUntil(dialog.pages.widget(index).isVisible)
            english += english_left(dialog, names_of(window))
            found += look.findings(dialog)
        return english, found
    finally:
        dialog.close()


@pytest.mark.parametrize("theme", THEMES)
def test_no_english_and_nothing_cut_in_chinese(qtbot, chinese_sized: MainWindow,  # type: ignore[no-untyped-def]
                                               theme: str) -> None:
    window = chinese_sized
    settings = window.controller.settings
    settings.set("app.theme", theme)
    window.apply_app_settings()
    names = names_of(window)
    english = english_left(window, names)
    found = look.findings(window)
    window.new_chat()
    qtbot.waitUntil(window.chat_view.empty.isVisible)
    english += english_left(window, names)
    found += look.findings(window)
    window.show_models()
    qtbot.waitUntil(window.models_page.isVisible)
    found += walk_tabs(qtbot, window.models_page.tabs)
    for index in range(window.models_page.tabs.count()):
        window.models_page.tabs.setCurrentIndex(index)
        english += english_left(window, names)
    more_english, more_found = _walk_settings(qtbot, window)
    settings.set("app.theme", "system")
    apply_appearance(settings)
    assert not sorted(set(english + more_english)), "\n".join(sorted(set(english + more_english)))
    assert not found + more_found, look.spell(found + more_found)


# -- typing through an input method ------------------------------------------------------------

def _preedit(edit: QWidget, text: str) -> None:
    QApplication.sendEvent(edit, QInputMethodEvent(text, []))


def _commit(edit: QWidget, text: str) -> None:
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)


def _enter(edit: QWidget) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(edit, QKeyEvent(kind, Qt.Key.Key_Return,
                                               Qt.KeyboardModifier.NoModifier, "\r"))


def test_enter_while_composing_does_not_send(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                             engine: ScriptedEngine) -> None:
    """Pinyin typed as "nihao" is pre-edit text until the input method commits "你好": an
    Enter meanwhile belongs to the input method (it often commits the Latin letters), never
    sends. After the commit, Enter sends the committed text."""
    start_and_wait(qtbot, window)
    window.controller.auto_titles = False
    edit = window.composer
    edit.setFocus()
    _commit(edit, "我说")
    _preedit(edit, "nihao")
    _enter(edit)
    assert window.controller.model.rowCount() == 0  # "我说" was not sent
    assert edit.toPlainText() == "我说"  # the pre-edit is the input method's, not ours yet
    _commit(edit, "你好")
    assert edit.toPlainText() == "我说你好"
    engine.replies.append("你好！")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        _enter(edit)
    assert window.controller.model.message(0).content == "我说你好"
