"""The preset chips: picking presets and languages from their menus, editing the prompt, saving
and deleting."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QAction, QFocusEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QPushButton

from app.core.chat.presets import Preset, PresetLibrary
from app.qt.widgets.preset_bar import PresetBar
from tests.qt.test_chat_view import marked_language

pytestmark = [pytest.mark.qt]


@pytest.fixture
def library(tmp_path: Path) -> PresetLibrary:
    return PresetLibrary(tmp_path / "config")


@pytest.fixture
def bar(qtbot, library: PresetLibrary) -> PresetBar:  # type: ignore[no-untyped-def]
    widget = PresetBar(library)
    qtbot.addWidget(widget)
    qtbot.addWidget(widget.prompt_edit)  # the window lays it out elsewhere
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def parts(bar: PresetBar) -> tuple[QPushButton, QPushButton, QPlainTextEdit]:
    presets = bar.findChild(QPushButton, "presetChip")
    languages = bar.findChild(QPushButton, "languageChip")
    assert presets is not None and languages is not None
    assert presets.menu() is bar.preset_menu and languages.menu() is bar.language_menu
    return presets, languages, bar.prompt_edit


def action(bar: PresetBar, name: str) -> QAction:
    found = bar.preset_menu.findChild(QAction, name) or bar.findChild(QAction, name)
    assert found is not None and found in bar.preset_menu.actions()
    return found


def pick(bar: PresetBar, name: str) -> None:
    """What a user's choice in the preset chip's menu does."""
    found = [a for a in bar.preset_menu.actions() if a.text() == name]
    assert len(found) == 1, name
    found[0].trigger()


def pick_language(bar: PresetBar, language: str) -> None:
    found = [a for a in bar.language_menu.actions() if a.text() == language]
    assert len(found) == 1, language
    found[0].trigger()


def test_builtins_are_listed_then_the_users_after_a_separator(qtbot,  # type: ignore[no-untyped-def]
                                                              library: PresetLibrary) -> None:
    library.save("Pirate talk", "Arr.", {})
    bar = PresetBar(library)
    qtbot.addWidget(bar)
    presets, languages, _ = parts(bar)
    entries = ["---" if a.isSeparator() else a.text() for a in bar.preset_menu.actions()]
    assert entries == ["General chat", "Translate", "Summarize", "Questions and answers",
                       "Writing", "---", "Pirate talk", "---", "Edit system prompt",
                       "Save as preset…", "Delete preset"]
    assert [a.data() for a in bar.presets()][-1] == "user:pirate-talk"
    assert bar.current_preset() is None and presets.text() == "No preset"
    assert not any(a.isChecked() for a in bar.presets())
    assert languages.isHidden()
    assert not action(bar, "deletePresetAction").isEnabled()
    assert presets.accessibleName() == "Preset: No preset" and presets.toolTip()


def test_the_menu_shows_and_hides_the_prompt(bar: PresetBar) -> None:
    _, _, edit = parts(bar)
    toggle = action(bar, "systemPromptAction")
    assert toggle.isCheckable() and edit.isHidden()
    assert edit.placeholderText() == "No system prompt" and edit.accessibleName()
    toggle.trigger()
    assert edit.isVisible()
    toggle.trigger()
    assert edit.isHidden()
    bar.show_prompt_editor()
    assert edit.isVisible() and toggle.isChecked()


def test_picking_translate_shows_the_language_and_fills_the_prompt(  # type: ignore[no-untyped-def]
        qtbot, bar: PresetBar) -> None:
    presets, languages, edit = parts(bar)
    with qtbot.waitSignal(bar.presetChosen) as chosen, \
            qtbot.assertNotEmitted(bar.systemPromptEdited, wait=600):
        pick(bar, "Translate")
    preset = chosen.args[0]
    assert isinstance(preset, Preset) and preset.key == "translate"
    assert bar.current_preset() == preset and presets.text() == "Translate"
    assert [a.text() for a in bar.presets() if a.isChecked()] == ["Translate"]
    assert languages.isVisible() and bar.language() == "English"
    assert languages.text() == "English"
    assert edit.toPlainText() == bar.system_prompt() == preset.prompt_for("English")

    emitted: list[tuple[str, str]] = []
    bar.languageChosen.connect(lambda language: emitted.append(("language", language)))
    bar.systemPromptEdited.connect(lambda prompt: emitted.append(("prompt", prompt)))
    pick_language(bar, "Japanese")
    assert emitted == [("language", "Japanese"), ("prompt", preset.prompt_for("Japanese"))]
    assert "Japanese" in bar.system_prompt() and bar.language() == "Japanese"
    assert languages.text() == "Japanese"

    with qtbot.waitSignal(bar.presetChosen):
        pick(bar, "Writing")
    assert languages.isHidden() and bar.language() is None
    assert bar.system_prompt() == preset_named(bar, "Writing").system_prompt
    assert not action(bar, "deletePresetAction").isEnabled()  # built-ins stay


def test_a_language_change_rewords_the_bar_and_keeps_the_chat_s_choices(  # type: ignore[no-untyped-def]
        qtbot, bar: PresetBar) -> None:
    presets, languages, edit = parts(bar)
    bar.choose("translate")
    pick_language(bar, "Japanese")
    edit.setPlainText("My own words")  # typed, not yet reported
    with marked_language(qtbot):
        assert action(bar, "savePresetAction").text() == "«Save as preset…»"
        assert edit.placeholderText() == "«No system prompt»"
        assert presets.accessibleName().startswith("«Preset: ")
        assert bar.current_preset().key == "translate"  # type: ignore[union-attr]
        assert bar.language() == "Japanese" and languages.isVisible()
        assert bar.system_prompt() == "My own words"
        assert [a.data() for a in bar.presets() if a.isChecked()] == ["translate"]
    assert action(bar, "savePresetAction").text() == "Save as preset…"


def test_choose_picks_a_preset_by_its_key_as_the_user_does(  # type: ignore[no-untyped-def]
        qtbot, bar: PresetBar) -> None:
    with qtbot.waitSignal(bar.presetChosen) as chosen:
        assert bar.choose("summarize") is not None
    assert chosen.args[0].key == "summarize" and bar.current_preset().key == "summarize"  # type: ignore[union-attr]
    with qtbot.assertNotEmitted(bar.presetChosen):
        assert bar.choose("no-such-preset") is None
    assert bar.current_preset().key == "summarize"  # type: ignore[union-attr]


def preset_named(bar: PresetBar, name: str) -> Preset:
    return next(p for p in bar.library.all() if p.name == name)


def test_an_edit_is_reported_once_after_a_pause(qtbot, bar: PresetBar) -> None:  # type: ignore[no-untyped-def]
    _, _, edit = parts(bar)
    action(bar, "systemPromptAction").trigger()
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
    action(bar, "systemPromptAction").trigger()
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
        assert [a.text() for a in bar.language_menu.actions() if a.isChecked()] == ["Esperanto"]

        bar.set_conversation_settings(None, "", None)
        assert bar.current_preset() is None and presets.text() == "No preset"
        assert bar.system_prompt() == "" and languages.isHidden() and bar.language() is None

        bar.set_conversation_settings("user:deleted-long-ago", "My own prompt", None)
        assert bar.current_preset() is None and bar.system_prompt() == "My own prompt"


def test_save_as_preset_adds_and_selects_it(qtbot, bar: PresetBar,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    presets, _, _ = parts(bar)
    pick(bar, "Summarize")
    bar.set_conversation_settings("summarize", "Summarize in three bullet points.", None)
    monkeypatch.setattr(bar, "_ask_preset_name", lambda: "Three bullets")
    with qtbot.waitSignal(bar.presetChosen) as chosen:
        action(bar, "savePresetAction").trigger()
    saved = chosen.args[0]
    assert saved == Preset("user:three-bullets", "Three bullets",
                           "Summarize in three bullet points.", {"temperature": 0.3})
    assert presets.text() == "Three bullets" and bar.current_preset() == saved
    assert bar.presets()[-1].text() == "Three bullets" and bar.presets()[-1].isChecked()
    assert action(bar, "deletePresetAction").isEnabled()
    assert PresetLibrary(bar.library.file.parent).get(saved.key) == saved

    pick(bar, "General chat")
    assert not action(bar, "deletePresetAction").isEnabled()
    pick(bar, "Three bullets")
    assert action(bar, "deletePresetAction").isEnabled()


def test_a_cancelled_or_refused_save_changes_nothing(qtbot,  # type: ignore[no-untyped-def]
                                                     bar: PresetBar,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[str] = []
    monkeypatch.setattr(bar, "_show_error", errors.append)
    for answer in (None, "  "):
        monkeypatch.setattr(bar, "_ask_preset_name", lambda answer=answer: answer)
        with qtbot.assertNotEmitted(bar.presetChosen):
            action(bar, "savePresetAction").trigger()
    assert errors == []
    monkeypatch.setattr(bar, "_ask_preset_name", lambda: "translate")
    with qtbot.assertNotEmitted(bar.presetChosen):
        action(bar, "savePresetAction").trigger()
    assert len(errors) == 1 and "built-in" in errors[0]
    assert len(bar.presets()) == 5


def test_deleting_a_user_preset(qtbot, library: PresetLibrary,  # type: ignore[no-untyped-def]
                                monkeypatch: pytest.MonkeyPatch) -> None:
    mine = library.save("Mine", "My prompt", {})
    bar = PresetBar(library)
    qtbot.addWidget(bar)
    qtbot.addWidget(bar.prompt_edit)
    presets, _, _ = parts(bar)
    bar.set_conversation_settings(mine.key, "My prompt", None)
    assert presets.text() == "Mine"
    monkeypatch.setattr(bar, "_confirm_delete", lambda preset: False)
    action(bar, "deletePresetAction").trigger()
    assert library.get(mine.key) is not None

    monkeypatch.setattr(bar, "_confirm_delete", lambda preset: True)
    with qtbot.waitSignal(bar.presetDeleted) as deleted:
        action(bar, "deletePresetAction").trigger()
    assert deleted.args == [mine.key]
    assert len(bar.presets()) == 5 and bar.current_preset() is None
    assert presets.text() == "No preset"
    assert bar.system_prompt() == "My prompt"  # the conversation keeps it
    assert not action(bar, "deletePresetAction").isEnabled()
    assert PresetLibrary(library.file.parent).get(mine.key) is None
