"""The preset bar: picking presets and languages, editing the prompt, saving and deleting."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QPlainTextEdit,
    QToolButton,
)

from app.core.chat.presets import Preset, PresetLibrary
from app.qt.widgets.preset_bar import PresetBar

pytestmark = [pytest.mark.qt]


@pytest.fixture
def library(tmp_path: Path) -> PresetLibrary:
    return PresetLibrary(tmp_path / "config")


@pytest.fixture
def bar(qtbot, library: PresetLibrary) -> PresetBar:  # type: ignore[no-untyped-def]
    widget = PresetBar(library)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def parts(bar: PresetBar) -> tuple[QComboBox, QComboBox, QPlainTextEdit]:
    presets = bar.findChild(QComboBox, "presetPicker")
    languages = bar.findChild(QComboBox, "languagePicker")
    edit = bar.findChild(QPlainTextEdit, "systemPromptEdit")
    assert presets is not None and languages is not None and edit is not None
    return presets, languages, edit


def button(bar: PresetBar, name: str) -> QToolButton:
    found = bar.findChild(QToolButton, name)
    assert found is not None
    return found


def pick(combo: QComboBox, text: str) -> None:
    """What a user's choice in the popup does: the index changes, then `activated`."""
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_builtins_are_listed_then_the_users_after_a_separator(qtbot,  # type: ignore[no-untyped-def]
                                                              library: PresetLibrary) -> None:
    library.save("Pirate talk", "Arr.", {})
    bar = PresetBar(library)
    qtbot.addWidget(bar)
    presets, languages, _ = parts(bar)
    names = [presets.itemText(i) for i in range(presets.count())]
    assert names == ["General chat", "Translate", "Summarize", "Questions and answers",
                     "Writing", "", "Pirate talk"]
    assert presets.itemData(5) is None  # the separator
    assert presets.currentIndex() == -1 and bar.current_preset() is None
    assert languages.isHidden()
    assert not button(bar, "deletePresetButton").isEnabled()


def test_the_toggle_shows_and_hides_the_prompt(bar: PresetBar) -> None:
    _, _, edit = parts(bar)
    toggle = button(bar, "systemPromptToggle")
    assert toggle.isCheckable() and edit.isHidden()
    assert edit.placeholderText() == "No system prompt"
    toggle.click()
    assert edit.isVisible()
    toggle.click()
    assert edit.isHidden()


def test_picking_translate_shows_the_language_and_fills_the_prompt(  # type: ignore[no-untyped-def]
        qtbot, bar: PresetBar) -> None:
    presets, languages, edit = parts(bar)
    with qtbot.waitSignal(bar.presetChosen) as chosen, \
            qtbot.assertNotEmitted(bar.systemPromptEdited, wait=600):
        pick(presets, "Translate")
    preset = chosen.args[0]
    assert isinstance(preset, Preset) and preset.key == "translate"
    assert bar.current_preset() == preset
    assert languages.isVisible() and bar.language() == "English"
    assert edit.toPlainText() == bar.system_prompt() == preset.prompt_for("English")

    emitted: list[tuple[str, str]] = []
    bar.languageChosen.connect(lambda language: emitted.append(("language", language)))
    bar.systemPromptEdited.connect(lambda prompt: emitted.append(("prompt", prompt)))
    pick(languages, "Japanese")
    assert emitted == [("language", "Japanese"), ("prompt", preset.prompt_for("Japanese"))]
    assert "Japanese" in bar.system_prompt() and bar.language() == "Japanese"

    with qtbot.waitSignal(bar.presetChosen):
        pick(presets, "Writing")
    assert languages.isHidden() and bar.language() is None
    assert bar.system_prompt() == preset_named(bar, "Writing").system_prompt
    assert not button(bar, "deletePresetButton").isEnabled()  # built-ins stay


def preset_named(bar: PresetBar, name: str) -> Preset:
    return next(p for p in bar.library.all() if p.name == name)


def test_an_edit_is_reported_once_after_a_pause(qtbot, bar: PresetBar) -> None:  # type: ignore[no-untyped-def]
    _, _, edit = parts(bar)
    button(bar, "systemPromptToggle").click()
    edits: list[str] = []
    bar.systemPromptEdited.connect(edits.append)
    with qtbot.waitSignal(bar.systemPromptEdited, timeout=3000):
        qtbot.keyClicks(edit, "Be terse.")
        assert edits == []  # not per keystroke
    assert edits == ["Be terse."]
    qtbot.wait(600)
    assert edits == ["Be terse."]


def test_leaving_the_editor_reports_the_edit_at_once(qtbot,  # type: ignore[no-untyped-def]
                                                     bar: PresetBar) -> None:
    _, _, edit = parts(bar)
    button(bar, "systemPromptToggle").click()
    qtbot.keyClicks(edit, "Answer in rhymes.")
    with qtbot.waitSignal(bar.systemPromptEdited, timeout=100) as edited:
        QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut))
    assert edited.args == ["Answer in rhymes."]
    with qtbot.assertNotEmitted(bar.systemPromptEdited, wait=600):
        QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut))  # nothing new


def test_a_conversation_shown_emits_nothing(qtbot, bar: PresetBar) -> None:  # type: ignore[no-untyped-def]
    presets, languages, edit = parts(bar)
    signals = (bar.presetChosen, bar.systemPromptEdited, bar.languageChosen, bar.presetDeleted)
    qtbot.keyClicks(edit, "typed for the previous chat")  # pending, and dropped by the switch
    with qtbot.assertNotEmitted(signals[0]), qtbot.assertNotEmitted(signals[1], wait=700), \
            qtbot.assertNotEmitted(signals[2]), qtbot.assertNotEmitted(signals[3]):
        bar.set_conversation_settings("translate", "Translate into German, please.", "German")
        assert bar.current_preset() == preset_named(bar, "Translate")
        assert bar.system_prompt() == edit.toPlainText() == "Translate into German, please."
        assert bar.language() == "German" and languages.isVisible()

        bar.set_conversation_settings("translate", "Into Esperanto.", "Esperanto")
        assert bar.language() == "Esperanto"  # a language from elsewhere is kept

        bar.set_conversation_settings(None, "", None)
        assert presets.currentIndex() == -1 and bar.current_preset() is None
        assert bar.system_prompt() == "" and languages.isHidden() and bar.language() is None

        bar.set_conversation_settings("user:deleted-long-ago", "My own prompt", None)
        assert bar.current_preset() is None and bar.system_prompt() == "My own prompt"


def test_save_as_preset_adds_and_selects_it(qtbot, bar: PresetBar,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    presets, _, _ = parts(bar)
    pick(presets, "Summarize")
    bar.set_conversation_settings("summarize", "Summarize in three bullet points.", None)
    monkeypatch.setattr(bar, "_ask_preset_name", lambda: "Three bullets")
    with qtbot.waitSignal(bar.presetChosen) as chosen:
        button(bar, "savePresetButton").click()
    saved = chosen.args[0]
    assert saved == Preset("user:three-bullets", "Three bullets",
                           "Summarize in three bullet points.", {"temperature": 0.3})
    assert presets.currentText() == "Three bullets" and bar.current_preset() == saved
    assert presets.itemText(presets.count() - 1) == "Three bullets"
    assert button(bar, "deletePresetButton").isEnabled()
    assert PresetLibrary(bar.library.file.parent).get(saved.key) == saved

    pick(presets, "General chat")
    assert not button(bar, "deletePresetButton").isEnabled()
    pick(presets, "Three bullets")
    assert button(bar, "deletePresetButton").isEnabled()


def test_a_cancelled_or_refused_save_changes_nothing(qtbot,  # type: ignore[no-untyped-def]
                                                     bar: PresetBar,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    presets, _, _ = parts(bar)
    errors: list[str] = []
    monkeypatch.setattr(bar, "_show_error", errors.append)
    for answer in (None, "  "):
        monkeypatch.setattr(bar, "_ask_preset_name", lambda answer=answer: answer)
        with qtbot.assertNotEmitted(bar.presetChosen):
            button(bar, "savePresetButton").click()
    assert errors == []
    monkeypatch.setattr(bar, "_ask_preset_name", lambda: "translate")
    with qtbot.assertNotEmitted(bar.presetChosen):
        button(bar, "savePresetButton").click()
    assert len(errors) == 1 and "built-in" in errors[0]
    assert presets.count() == 5


def test_deleting_a_user_preset(qtbot, library: PresetLibrary,  # type: ignore[no-untyped-def]
                                monkeypatch: pytest.MonkeyPatch) -> None:
    mine = library.save("Mine", "My prompt", {})
    bar = PresetBar(library)
    qtbot.addWidget(bar)
    presets, _, _ = parts(bar)
    bar.set_conversation_settings(mine.key, "My prompt", None)
    monkeypatch.setattr(bar, "_confirm_delete", lambda preset: False)
    button(bar, "deletePresetButton").click()
    assert library.get(mine.key) is not None

    monkeypatch.setattr(bar, "_confirm_delete", lambda preset: True)
    with qtbot.waitSignal(bar.presetDeleted) as deleted:
        button(bar, "deletePresetButton").click()
    assert deleted.args == [mine.key]
    assert presets.count() == 5 and presets.currentIndex() == -1
    assert bar.system_prompt() == "My prompt"  # the conversation keeps it
    assert not button(bar, "deletePresetButton").isEnabled()
    assert PresetLibrary(library.file.parent).get(mine.key) is None
