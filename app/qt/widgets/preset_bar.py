"""The strip above a conversation: its preset, target language and system prompt.

The bar shows one conversation's settings (`set_conversation_settings`) and reports what the user
changes through signals; it stores nothing about conversations itself. Saving and deleting
presets goes straight to the `PresetLibrary`, which holds no conversation state either.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.chat.conversation import SamplingValue
from app.core.chat.presets import Preset, PresetError, PresetLibrary
from app.core.documents.language import DEFAULT_LANGUAGE, LANGUAGES
from app.qt.safe_text import plain_tooltip

PROMPT_LINES = 4
EDIT_PAUSE_MS = 500  # typing that pauses this long counts as a finished edit


class PresetBar(QWidget):
    """Pick a preset and a language, and read or edit the system prompt.

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

        self.preset_picker, self.language_picker = self._make_pickers()
        self.prompt_toggle, self.save_button, self.delete_button = self._make_buttons()
        self.prompt_edit = self._make_prompt_edit()
        self.prompt_toggle.toggled.connect(self.prompt_edit.setVisible)
        self.prompt_edit.installEventFilter(self)  # its focus-out ends an edit

        self._edit_pause = QTimer(self)
        self._edit_pause.setSingleShot(True)
        self._edit_pause.setInterval(EDIT_PAUSE_MS)
        self._edit_pause.timeout.connect(self.flush_prompt_edit)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.preset_picker)
        row.addWidget(self.language_picker)
        row.addStretch(1)
        row.addWidget(self.prompt_toggle)
        row.addWidget(self.save_button)
        row.addWidget(self.delete_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.prompt_edit)

        self.reload_presets()

    def _make_pickers(self) -> tuple[QComboBox, QComboBox]:
        presets = QComboBox()
        presets.setObjectName("presetPicker")
        presets.setPlaceholderText("No preset")  # a conversation without one
        presets.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        presets.setToolTip("What the model is set up for")
        # `activated`, not `currentIndexChanged`: only the user's picks are reported.
        presets.activated.connect(self._on_preset_activated)
        presets.currentIndexChanged.connect(self._update_controls)

        languages = QComboBox()
        languages.setObjectName("languagePicker")
        languages.setToolTip("The language to translate into")
        languages.addItems(LANGUAGES)
        languages.activated.connect(self._on_language_activated)
        languages.setVisible(False)
        return presets, languages

    def _make_buttons(self) -> tuple[QToolButton, QToolButton, QToolButton]:
        toggle = QToolButton()
        toggle.setObjectName("systemPromptToggle")
        toggle.setText("System prompt")
        toggle.setCheckable(True)
        toggle.setToolTip("Show or hide the instructions the model gets first")

        save = QToolButton()
        save.setObjectName("savePresetButton")
        save.setText("Save as preset…")
        save.setToolTip("Keep this system prompt as a preset of your own")
        save.clicked.connect(self._save_preset)

        delete = QToolButton()
        delete.setObjectName("deletePresetButton")
        delete.setText("Delete preset")
        delete.clicked.connect(self._delete_preset)
        return toggle, save, delete

    def _make_prompt_edit(self) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName("systemPromptEdit")
        edit.setPlaceholderText("No system prompt")
        edit.setTabChangesFocus(True)
        edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        margins = edit.contentsMargins()
        frame = 2 * int(edit.document().documentMargin()) + margins.top() + margins.bottom()
        edit.setFixedHeight(PROMPT_LINES * edit.fontMetrics().lineSpacing() + frame)
        edit.setVisible(False)
        edit.textChanged.connect(self._on_prompt_typed)
        return edit

    # What the bar shows

    def current_preset(self) -> Preset | None:
        key = self.preset_picker.currentData()
        return self.library.get(key) if isinstance(key, str) else None

    def language(self) -> str | None:
        """The target language, when the chosen preset has one; else None."""
        preset = self.current_preset()
        if preset is None or not preset.needs_language:
            return None
        return self.language_picker.currentText()

    def system_prompt(self) -> str:
        return self.prompt_edit.toPlainText()

    def set_conversation_settings(self, preset_key: str | None, system_prompt: str,
                                  language: str | None) -> None:
        """Show a conversation's settings; emits nothing.

        An unknown key (a preset since deleted) shows as "No preset", with the conversation's
        prompt as it is. An edit still waiting to be reported is dropped: it belonged to the
        conversation shown before, so call `flush_prompt_edit` first to keep it.
        """
        self._edit_pause.stop()
        index = self.preset_picker.findData(preset_key) if preset_key is not None else -1
        self.preset_picker.setCurrentIndex(index)
        self._show_language(language)
        self._show_prompt(system_prompt)

    def reload_presets(self) -> None:
        """Refill the preset list from the library, keeping the current choice if it remains."""
        key = self.preset_picker.currentData()
        picker = self.preset_picker
        picker.blockSignals(True)  # a refill is no change of the conversation's preset
        try:
            picker.clear()
            presets = self.library.all()
            builtins = [p for p in presets if p.builtin]
            users = [p for p in presets if not p.builtin]
            self._add_presets(builtins)
            if users:
                picker.insertSeparator(picker.count())  # the user's own, after the built-ins
                self._add_presets(users)
            picker.setCurrentIndex(picker.findData(key) if isinstance(key, str) else -1)
        finally:
            picker.blockSignals(False)
        self._update_controls()

    def _add_presets(self, presets: list[Preset]) -> None:
        for preset in presets:
            self.preset_picker.addItem(preset.name, preset.key)
            # Hovering a preset shows the prompt it would set.
            self.preset_picker.setItemData(self.preset_picker.count() - 1,
                                           plain_tooltip(preset.system_prompt),
                                           Qt.ItemDataRole.ToolTipRole)

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

    def _on_preset_activated(self, index: int) -> None:
        preset = self.current_preset()
        if preset is not None:
            self._choose(preset)

    def _choose(self, preset: Preset) -> None:
        # An edit still pending is dropped, not reported: the preset's prompt replaces it.
        self._edit_pause.stop()
        self.preset_picker.setCurrentIndex(self.preset_picker.findData(preset.key))
        self._show_prompt(preset.prompt_for(self.language()))
        self.presetChosen.emit(preset)

    def _on_language_activated(self, index: int) -> None:
        language = self.language_picker.itemText(index)
        preset = self.current_preset()
        self.languageChosen.emit(language)
        if preset is not None:
            self._edit_pause.stop()
            self._show_prompt(preset.prompt_for(language))
            self.systemPromptEdited.emit(self._reported_prompt)

    def _show_language(self, language: str | None) -> None:
        language = language or DEFAULT_LANGUAGE
        if self.language_picker.findText(language) < 0:
            self.language_picker.addItem(language)  # one the conversation had from elsewhere
        self.language_picker.setCurrentIndex(self.language_picker.findText(language))

    def _update_controls(self) -> None:
        """The language picker and the delete button follow the preset chosen."""
        preset = self.current_preset()
        self.language_picker.setVisible(preset is not None and preset.needs_language)
        self.delete_button.setEnabled(preset is not None and not preset.builtin)

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
        name, ok = QInputDialog.getText(self, "Save preset", "Name of the preset:",
                                        QLineEdit.EchoMode.Normal, suggestion)
        return name if ok else None

    def _confirm_delete(self, preset: Preset) -> bool:
        """Whether the user really deletes `preset` (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Delete preset", "", parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a preset's name is the user's own text
        box.setText(f"Delete the preset “{preset.name}”? Conversations that use it keep their "
                    "system prompt.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _show_error(self, message: str) -> None:
        """Tell the user why a preset could not be saved or deleted (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Presets", "", parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(message)
        box.exec()

