"""The window's composer card, its chips, the top bar and the chat list's toggle (issue 23,
items 5 and 6), on the scripted engine."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QToolButton

from app.core.models.library import builtin_model_path
from app.paths import AppPaths
from app.qt.application import build_window
from app.qt.controller import ChatState
from app.qt.main_window import MainWindow
from app.qt.state import load_state
from app.qt.widgets.composer import MAX_LINES, ComposerCard
from app.qt.widgets.model_picker import BUILT_IN, DETAIL_ROLE, FIT_ROLE, INSTALLED
from app.qt.widgets.status_bar import StatusBar
from tests.scripted_engine import ScriptedEngine

pytestmark = [pytest.mark.qt]
TIMEOUT_MS = 30_000


def start(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS):
        window.start()


def test_the_composer_is_a_card_with_attach_the_edit_and_send(window: MainWindow) -> None:
    card = window.composer_card
    assert isinstance(card, ComposerCard) and card.property("variant") == "card"
    assert window.composer.parent() is card and window.attach_button.parent() is card
    assert window.send_button.parent() is card and window.stop_button.parent() is card
    for button in (window.send_button, window.stop_button):
        assert button.text() == "" and not button.icon().isNull()  # icons, named for readers
        assert button.accessibleName() and button.toolTip()
    assert window.send_button.accessibleName() == "Send"
    assert window.stop_button.accessibleName() == "Stop"


def test_the_card_shows_the_focus_ring_while_the_edit_has_the_focus(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    start(qtbot, window)
    window.activateWindow()
    window.composer.setFocus()
    qtbot.waitUntil(lambda: window.composer_card.property("focusWithin") is True)
    window.sidebar.search_box.setFocus()
    qtbot.waitUntil(lambda: window.composer_card.property("focusWithin") is False)


def test_the_composer_grows_to_eight_lines_then_scrolls(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    start(qtbot, window)
    composer = window.composer
    line = composer.fontMetrics().lineSpacing()
    one = composer.height()
    composer.setPlainText("\n".join(["line"] * MAX_LINES))
    eight = composer.height()
    assert eight - one == (MAX_LINES - 1) * line
    assert composer.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    composer.setPlainText("\n".join(["line"] * 30))
    assert composer.height() == eight  # no taller: it scrolls
    assert composer.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
    assert composer.verticalScrollBar().maximum() > 0
    composer.clear()
    assert composer.height() == one


def test_send_turns_into_stop_while_an_answer_streams(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine) -> None:
    start(qtbot, window)
    assert window.send_button.isVisible() and not window.stop_button.isVisible()
    engine.replies.append("A long answer, held after its first piece.")
    engine.hold.set()
    window.composer.setPlainText("Tell me a story.")
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.state is ChatState.GENERATING)
    assert window.stop_button.isVisible() and window.stop_button.isEnabled()
    assert not window.send_button.isVisible()
    with qtbot.waitSignal(window.controller.answerFinished, timeout=TIMEOUT_MS) as finished:
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].cancelled
    engine.hold.clear()
    assert window.send_button.isVisible() and not window.stop_button.isVisible()


def test_the_preset_chip_s_menu_applies_a_preset_to_the_chat(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    start(qtbot, window)
    bar = window.preset_bar
    assert bar.preset_chip.text() == "General chat" and bar.preset_chip.isVisible()
    translate = next(a for a in bar.presets() if a.data() == "translate")
    translate.trigger()
    assert bar.preset_chip.text() == "Translate" and bar.language_chip.isVisible()
    conversation = window.controller.conversation
    assert conversation.preset == "translate"
    assert conversation.system_prompt == bar.system_prompt() and "English" in bar.system_prompt()
    # "Edit system prompt" shows the prompt above the chips.
    assert not bar.prompt_edit.isVisible()
    bar.prompt_action.trigger()
    assert bar.prompt_edit.isVisible()
    assert bar.prompt_edit.parent() is window.composer_card.parent()


def test_the_model_chip_names_the_model_and_its_menu_chooses_one(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    start(qtbot, window)
    chip = window.model_chip
    assert chip.property("variant") == "chip" and chip.text() == "SmolLM2 135M Instruct"
    assert "SmolLM2 135M Instruct" in chip.accessibleName()
    window.model_picker.fill_menu(window.model_menu)
    actions = [a for a in window.model_menu.actions() if not a.isSeparator()]
    builtin = actions[0]
    assert builtin.text().startswith("SmolLM2 135M Instruct (built-in)\t")
    assert builtin.isChecked()
    manage = next(a for a in actions if a.text() == "Manage models…")
    manage.trigger()
    assert window.pages.currentWidget() is window.models_page
    assert window.controller.entry is not None and window.controller.entry.builtin


def test_the_picker_rows_show_size_quantization_and_fit(window: MainWindow) -> None:
    picker = window.model_picker
    assert "built-in" in picker.itemText(0)
    detail, verdict = picker.itemData(0, DETAIL_ROLE), picker.itemData(0, FIT_ROLE)
    assert detail and "MB" in detail  # the built-in file's size
    assert verdict is not None and verdict.value in ("fits", "tight", "too big")
    assert detail in picker.itemData(0, Qt.ItemDataRole.ToolTipRole)
    assert picker.accessibleName() == "Model"


def test_the_top_bar_has_models_and_settings_as_named_icons(window: MainWindow) -> None:
    for name, accessible in (("manageModelsButton", "Models"), ("settingsButton", "Settings"),
                             ("sidebarButton", "Show or hide the chat list")):
        button = window.findChild(QToolButton, name)
        assert button is not None, name
        assert button.text() == "" or button.toolButtonStyle() == \
            Qt.ToolButtonStyle.ToolButtonIconOnly
        assert not button.icon().isNull() and button.toolTip()
        assert button.accessibleName() == accessible


def test_ctrl_b_hides_and_shows_the_chat_list_and_the_next_start_remembers(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths, engine: ScriptedEngine) -> None:
    action = window.findChild(QAction, "toggleSidebarAction")
    assert action is not None and action.shortcut().toString() == "Ctrl+B"
    assert action in window.actions()  # wherever the focus is
    assert window.sidebar.isVisible()
    action.trigger()
    assert not window.sidebar.isVisible() and not action.isChecked()
    assert "Show" in window.sidebar_button.toolTip()
    assert load_state(paths.state_file)["sidebar"] is False
    window.remember_layout()

    again, host = build_window(paths, engine.factory)
    qtbot.addWidget(again)
    try:
        again.show()
        again.restore_layout()
        assert not again.sidebar.isVisible() and not again.sidebar_action.isChecked()
        qtbot.mouseClick(again.sidebar_button, Qt.MouseButton.LeftButton)  # the top bar's
        assert again.sidebar.isVisible() and again.sidebar_action.isChecked()
        assert load_state(paths.state_file)["sidebar"] is True
    finally:
        again.shutdown()
        host.shutdown()

    action.trigger()
    assert window.sidebar.isVisible()
    # Find in chats brings a hidden list back: its search box is there.
    action.trigger()
    find = window.findChild(QAction, "findInChatsAction")
    assert find is not None and find.shortcut().matches(QKeySequence.StandardKey.Find)
    find.trigger()
    assert window.sidebar.isVisible()


def test_the_status_bar_shows_one_message_at_a_time(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    qtbot.addWidget(window)
    status = StatusBar()
    window.setStatusBar(status)
    status.show_model("Gemma 3 270m · Q4_K_M")
    # A message shown before the window is: Qt alone left the model's name under it.
    status.showMessage("Reloading the model with the new settings…", 5000)
    window.show()
    qtbot.waitExposed(window)
    assert status.currentMessage().startswith("Reloading")
    assert not status.model.isVisible()
    status.clearMessage()
    assert status.model.isVisible() and status.model.text() == "Gemma 3 270m · Q4_K_M"
    status.showMessage("Exported.", 5000)
    assert not status.model.isVisible()
    status.show_model("Another model")  # a new model while a message shows stays under it
    assert not status.model.isVisible()
    status.clearMessage()
    assert status.model.isVisible() and status.model.text() == "Another model"


def test_the_picker_groups_built_in_and_installed_models(window: MainWindow) -> None:
    """With a model installed beside the built-in one, each group has its header; the built-in
    model alone needs none."""
    picker = window.model_picker
    rows = [picker.itemText(i) for i in range(picker.count())]
    assert BUILT_IN not in rows and INSTALLED not in rows
    builtin = builtin_model_path()
    assert builtin is not None
    (window.paths.models_dir / "Another-Model-Q4_1.gguf").symlink_to(builtin)
    picker.refresh(learn=False)
    rows = [picker.itemText(i) for i in range(picker.count())]
    assert rows[:3] == [BUILT_IN, "SmolLM2 135M Instruct (built-in)", INSTALLED]
    assert rows[3].startswith("Another Model")
    assert picker.currentIndex() == 1  # a header is never the model chosen
