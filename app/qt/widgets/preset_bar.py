"""The preset chips above the composer: the chat's preset (a chip whose menu picks another, and
edits, saves or deletes presets), its target language, and the system prompt's editor.

The bar shows one conversation's settings (`set_conversation_settings`) and reports what the user
changes through signals; it stores nothing about conversations itself. Saving and deleting
presets goes straight to the `PresetLibrary`, which holds no conversation state either.

The chips (`preset_chip`, `language_chip`) are the bar's own row; the prompt editor
(`prompt_edit`) is shown by "Edit system prompt" in the preset menu, where the window lays it
out (above the chips).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from app.core.chat.conversation import SamplingValue
from app.core.chat.presets import Preset, PresetError, PresetLibrary
from app.core.documents.language import DEFAULT_LANGUAGE, LANGUAGES
from app.i18n import _
from app.qt.appearance import set_variant
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import set_icon
from app.qt.safe_text import elided, plain_tooltip

PROMPT_LINES = 4
EDIT_PAUSE_MS = 500  # typing that pauses this long counts as a finished edit
MAX_CHIP_CHARS = 32  # of a preset's name on its chip (the user names their own)


def _chip(name: str, menu: QMenu) -> QPushButton:
    """A chip that opens `menu`, with a caret after its text."""
    chip = QPushButton()
    chip.setObjectName(name)
    set_variant(chip, "chip")
    chip.setMenu(menu)
    chip.setCursor(Qt.CursorShape.PointingHandCursor)
    # The caret after the text: a button draws its icon first, so the chip lays out
    # right to left (its text is set in its own direction all the same).
    chip.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    set_icon(chip, "collapse", "muted")
    return chip


class PresetBar(QWidget):
    """The preset chip and its menu, the language chip, and the system prompt's editor.

    Only the user's actions emit signals; showing a conversation's settings emits none. An edit
    of the prompt is reported once it is finished (focus leaves the editor, or typing pauses),
    not per keystroke. A prompt edited away from its preset's keeps the preset chosen: the
    conversation then simply has a prompt of its own.

    Signals:
        presetChosen(object): the user picked this `Preset` (or saved it as a new one); the
            system prompt editor already holds its prompt for the current language.
        systemPromptEdited(str): the user changed the system prompt to this text.
        languageChosen(str): the user picked this target language; `systemPromptEdited`
            follows with the preset's prompt refilled for it.
        presetDeleted(str): the user deleted the user preset with this key.
    """

    presetChosen = Signal(object)
    systemPromptEdited = Signal(str)
    languageChosen = Signal(str)
    presetDeleted = Signal(str)

    def __init__(self, library: PresetLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presetBar")
        self.library = library
        # The chat's own settings that a preset saved now keeps, over those of the preset
        # chosen (the window's: its Thinking switch).
        self.chat_params: Callable[[], dict[str, SamplingValue]] = dict
        self._reported_prompt = ""  # the prompt as last shown or reported: edits compare to it
        self._preset_key: str | None = None  # the preset shown; None: no preset
        self._language = DEFAULT_LANGUAGE

        self.preset_menu = QMenu(self)
        self.preset_menu.setObjectName("presetMenu")
        self.preset_menu.setToolTipsVisible(True)  # a preset's prompt, on hover
        self.preset_group = QActionGroup(self)
        self.preset_group.setExclusive(True)
        self.prompt_action, self.save_action, self.delete_action = self._make_actions()
        self.preset_chip = _chip("presetChip", self.preset_menu)

        self.language_menu = QMenu(self)
        self.language_menu.setObjectName("languageMenu")
        self.language_group = QActionGroup(self)
        self.language_group.setExclusive(True)
        for language in LANGUAGES:
            self._add_language(language)
        self.language_chip = _chip("languageChip", self.language_menu)
        self.language_chip.setVisible(False)

        self.prompt_edit = self._make_prompt_edit()
        self.prompt_action.toggled.connect(self._show_prompt_edit)
        self.prompt_edit.installEventFilter(self)  # its focus-out ends an edit

        self._edit_pause = QTimer(self)
        self._edit_pause.setSingleShot(True)
        self._edit_pause.setInterval(EDIT_PAUSE_MS)
        self._edit_pause.timeout.connect(self.flush_prompt_edit)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(SPACE.xs)
        row.addWidget(self.preset_chip)
        row.addWidget(self.language_chip)

        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        """The bar's words in the language of the moment; the presets' names and the
        languages' are the core's, and are read again (a chat's prompt stays as it is)."""
        self.prompt_action.setText(self.tr("Edit system prompt"))
        self.prompt_action.setToolTip(
            self.tr("Show or hide the instructions the model gets first"))
        self.save_action.setText(self.tr("Save as preset…"))
        self.save_action.setToolTip(self.tr("Keep this system prompt as a preset of your own"))
        self.delete_action.setText(self.tr("Delete preset"))
        self.delete_action.setToolTip(self.tr("Delete this preset of your own"))
        self.language_chip.setToolTip(self.tr("The language to translate into"))
        self.prompt_edit.setPlaceholderText(self.tr("No system prompt"))
        self.prompt_edit.setAccessibleName(self.tr("System prompt"))
        self.prompt_edit.setToolTip(self.tr("The instructions the model gets first, in this chat"))
        for action in self.language_group.actions():
            action.setText(_(str(action.data())))
        self._show_language(self._language)
        self.reload_presets()

    def _make_actions(self) -> tuple[QAction, QAction, QAction]:
        prompt = QAction(self)
        prompt.setObjectName("systemPromptAction")
        prompt.setCheckable(True)
        save = QAction(self)
        save.setObjectName("savePresetAction")
        save.triggered.connect(self._save_preset)
        delete = QAction(self)
        delete.setObjectName("deletePresetAction")
        delete.triggered.connect(self._delete_preset)
        return prompt, save, delete

    def _add_language(self, language: str) -> QAction:
        # The language's name as the core says it (the prompt names it in English).
        action = QAction(_(language), self.language_group)
        action.setCheckable(True)
        action.setData(language)
        action.triggered.connect(lambda _checked=False, a=action: self._on_language_chosen(a))
        self.language_menu.addAction(action)
        return action

    def _make_prompt_edit(self) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName("systemPromptEdit")
        edit.setTabChangesFocus(True)
        edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        margins = edit.contentsMargins()
        frame = 2 * int(edit.document().documentMargin()) + margins.top() + margins.bottom()
        edit.setFixedHeight(PROMPT_LINES * edit.fontMetrics().lineSpacing() + frame)
        edit.setVisible(False)
        edit.textChanged.connect(self._on_prompt_typed)
        return edit

    def _show_prompt_edit(self, shown: bool) -> None:
        self.prompt_edit.setVisible(shown)
        if shown:
            self.prompt_edit.setFocus()

    def show_prompt_editor(self, shown: bool = True) -> None:
        """Show (or hide) the system prompt's editor, as "Edit system prompt" does."""
        self.prompt_action.setChecked(shown)

    # What the bar shows

    def current_preset(self) -> Preset | None:
        return self.library.get(self._preset_key) if self._preset_key is not None else None

    def language(self) -> str | None:
        """The target language, when the chosen preset has one; else None."""
        preset = self.current_preset()
        if preset is None or not preset.needs_language:
            return None
        return self._language

    def system_prompt(self) -> str:
        return self.prompt_edit.toPlainText()

    def presets(self) -> list[QAction]:
        """The preset menu's presets, in their order: each action's data is its key."""
        return [a for a in self.preset_group.actions() if isinstance(a.data(), str)]

    def set_conversation_settings(self, preset_key: str | None, system_prompt: str,
                                  language: str | None) -> None:
        """Show a conversation's settings; emits nothing.

        An unknown key (a preset since deleted) shows as "No preset", with the conversation's
        prompt as it is. An edit still waiting to be reported is dropped: it belonged to the
        conversation shown before, so call `flush_prompt_edit` first to keep it.
        """
        self._edit_pause.stop()
        self._show_preset(preset_key)
        self._show_language(language)
        self._show_prompt(system_prompt)

    def reload_presets(self) -> None:
        """Refill the preset menu from the library, keeping the current choice if it remains."""
        menu = self.preset_menu
        for action in self.preset_group.actions():
            self.preset_group.removeAction(action)
            action.deleteLater()
        menu.clear()
        presets = self.library.all()
        builtins = [p for p in presets if p.builtin]
        users = [p for p in presets if not p.builtin]
        self._add_presets(builtins)
        if users:
            menu.addSeparator()  # the user's own, after the built-ins
            self._add_presets(users)
        menu.addSeparator()
        menu.addAction(self.prompt_action)
        menu.addAction(self.save_action)
        menu.addAction(self.delete_action)
        self._show_preset(self._preset_key)

    def _add_presets(self, presets: list[Preset]) -> None:
        for preset in presets:
            action = QAction(preset.name, self.preset_group)
            action.setCheckable(True)
            action.setData(preset.key)
            # Hovering a preset shows the prompt it would set.
            action.setToolTip(plain_tooltip(preset.system_prompt))
            action.triggered.connect(lambda _checked=False, key=preset.key: self.choose(key))
            self.preset_menu.addAction(action)

    def _show_preset(self, key: str | None) -> None:
        """Show the preset `key` (None or unknown: no preset) on the chip and in the menu."""
        preset = self.library.get(key) if key is not None else None
        self._preset_key = preset.key if preset is not None else None
        for action in self.presets():
            action.setChecked(action.data() == self._preset_key)
        name = preset.name if preset is not None else self.tr("No preset")
        self.preset_chip.setText(elided(name, MAX_CHIP_CHARS))
        self.preset_chip.setAccessibleName(self.tr("Preset: {name}").format(name=name))
        self.preset_chip.setToolTip(plain_tooltip(
            self.tr("Preset: {name} (what the model is set up for)").format(name=name)))
        self._update_controls()

    # Editing the prompt

    def flush_prompt_edit(self) -> None:
        """Report an edit still waiting for its pause now (before the bar shows another chat)."""
        self._edit_pause.stop()
        text = self.system_prompt()
        if text != self._reported_prompt:
            self._reported_prompt = text
            self.systemPromptEdited.emit(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.prompt_edit and event.type() == QEvent.Type.FocusOut:
            self.flush_prompt_edit()
        return super().eventFilter(watched, event)

    def _on_prompt_typed(self) -> None:
        self._edit_pause.start()  # restarts: the edit is reported after the last keystroke

    def _show_prompt(self, text: str) -> None:
        self.prompt_edit.blockSignals(True)  # a prompt shown is not a prompt typed
        try:
            self.prompt_edit.setPlainText(text)
        finally:
            self.prompt_edit.blockSignals(False)
        self._reported_prompt = text

    # The user's choices

    def choose(self, key: str) -> Preset | None:
        """Pick the preset `key` as the user does (its prompt shown, `presetChosen` sent);
        None, and nothing changes, when there is no such preset."""
        preset = self.library.get(key)
        if preset is not None:
            self._choose(preset)
        return preset

    def _choose(self, preset: Preset) -> None:
        # An edit still pending is dropped, not reported: the preset's prompt replaces it.
        self._edit_pause.stop()
        self._show_preset(preset.key)
        self._show_prompt(preset.prompt_for(self.language()))
        self.presetChosen.emit(preset)

    def choose_language(self, language: str) -> None:
        """Pick the target language as the user does."""
        action = next((a for a in self.language_group.actions() if a.data() == language), None)
        self._on_language_chosen(action if action is not None else self._add_language(language))

    def _on_language_chosen(self, action: QAction) -> None:
        language = str(action.data())
        self._show_language(language)
        preset = self.current_preset()
        self.languageChosen.emit(language)
        if preset is not None:
            self._edit_pause.stop()
            self._show_prompt(preset.prompt_for(language))
            self.systemPromptEdited.emit(self._reported_prompt)

    def _show_language(self, language: str | None) -> None:
        language = language or DEFAULT_LANGUAGE
        actions = self.language_group.actions()
        if all(a.data() != language for a in actions):
            self._add_language(language)  # one the conversation had from elsewhere
        for action in self.language_group.actions():
            action.setChecked(action.data() == language)
        self._language = language
        shown = _(language)
        self.language_chip.setText(elided(shown, MAX_CHIP_CHARS))
        self.language_chip.setAccessibleName(
            self.tr("Translate into {language}").format(language=shown))

    def _update_controls(self) -> None:
        """The language chip and Delete preset follow the preset chosen."""
        preset = self.current_preset()
        self.language_chip.setVisible(preset is not None and preset.needs_language)
        self.delete_action.setEnabled(preset is not None and not preset.builtin)

    # Saving and deleting presets

    def _save_preset(self) -> None:
        name = self._ask_preset_name()
        if not name or not name.strip():
            return
        current = self.current_preset()
        try:
            params = dict(current.params) if current else {}
            preset = self.library.save(name, self.system_prompt(),
                                       {**params, **self.chat_params()})
        except PresetError as exc:
            self._show_error(str(exc))
            return
        self.reload_presets()
        self._choose(preset)

    def _delete_preset(self) -> None:
        preset = self.current_preset()
        if preset is None or preset.builtin or not self._confirm_delete(preset):
            return
        try:
            self.library.delete(preset.key)
        except PresetError as exc:
            self._show_error(str(exc))
            return
        self.reload_presets()  # the conversation keeps its prompt, now without a preset
        self.presetDeleted.emit(preset.key)

    def _ask_preset_name(self) -> str | None:
        """The name for a new preset, or None when the user cancels (tests replace this)."""
        current = self.current_preset()
        suggestion = current.name if current is not None and not current.builtin else ""
        name, ok = QInputDialog.getText(self, self.tr("Save preset"),
                                        self.tr("Name of the preset:"),
                                        QLineEdit.EchoMode.Normal, suggestion)
        return name if ok else None

    def _confirm_delete(self, preset: Preset) -> bool:
        """Whether the user really deletes `preset` (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete preset"), "", parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a preset's name is the user's own text
        box.setText(self.tr("Delete the preset “{name}”? Conversations that use it keep their "
                            "system prompt.").format(name=preset.name))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _show_error(self, message: str) -> None:
        """Tell the user why a preset could not be saved or deleted (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Presets"), "", parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(message)
        box.exec()

