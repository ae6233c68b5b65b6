"""The settings panel, built from the declaration in `app.core.settings` (napari's preferences).

One page per group, one row per setting in declaration order; the editor of a row follows the
setting's kind. The dialog writes to the `SettingsFile` only what the user changed (or asked to
restore), when they press OK or Apply; saving the file is the window's job, since it can fail.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.engine.devices import Hardware
from app.core.settings.connections import Connections
from app.core.settings.file import SettingsFile
from app.core.settings.schema import (
    BY_KEY,
    GROUPS,
    SETTINGS,
    TEXT_MAX_CHARS,
    Setting,
    SettingError,
    Value,
    allowed,
    validate,
)
from app.qt.appearance import ERROR_TEXT, NOTE_TEXT, NOTICE_BANNER, set_style
from app.qt.widgets.connections_page import ConnectionsPage

RELOAD_NOTE = "Changes here apply when the model reloads."
GPU_LAYERS = "hardware.n_gpu_layers"
OFFLOAD_REASON = ("This llama.cpp build runs on the CPU only: it cannot offload layers to a GPU "
                  "(see the README for CUDA, Metal and Vulkan builds).")
READING_HARDWARE = "Reading the hardware…"
# What an optional setting's empty value (None) is called in its spin box.
OPTIONAL_TEXT = {"sampling.max_tokens": "half the context", "sampling.seed": "random"}
# What an empty text setting means, shown in its empty box.
TEXT_PLACEHOLDER = {"server.cors_origins": "none (e.g. https://example.com)"}
TEXT_MIN_CHARS = 36  # a text box is about this many characters wide
NUMBER_ITEM = "A number"
# Where a special setting's number starts when the user first picks "A number".
NUMBER_START = {"app.font_size": 11, "hardware.n_threads": os.cpu_count() or 1,
                "hardware.n_threads_batch": os.cpu_count() or 1}


def _tooltip(setting: Setting) -> str:
    return (f"<p>{html.escape(setting.description)}</p>"
            f"<p>Allowed: {html.escape(allowed(setting))}.</p>")


class _Editor:
    """One setting's widget, read and written as a settings value."""

    def __init__(self, setting: Setting, widget: QWidget) -> None:
        self.setting = setting
        self.widget = widget
        widget.setObjectName(setting.key)
        # The row's label names it for a screen reader too: a check box has no text of its own.
        widget.setAccessibleName(setting.label)

    def value(self) -> Value:
        raise NotImplementedError

    def set_value(self, value: Value) -> None:
        raise NotImplementedError


class _BoolEditor(_Editor):
    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QCheckBox())
        self.box: QCheckBox = self.widget  # type: ignore[assignment]

    def value(self) -> Value:
        return self.box.isChecked()

    def set_value(self, value: Value) -> None:
        self.box.setChecked(bool(value))


class _ChoiceEditor(_Editor):
    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QComboBox())
        self.combo: QComboBox = self.widget  # type: ignore[assignment]
        labels = setting.choice_labels or tuple(
            choice.capitalize() if choice.isalpha() else choice for choice in setting.choices)
        for choice, label in zip(setting.choices, labels, strict=True):
            self.combo.addItem(label, choice)

    def value(self) -> Value:
        return str(self.combo.currentData())

    def set_value(self, value: Value) -> None:
        self.combo.setCurrentIndex(max(0, self.combo.findData(value)))


class _FloatEditor(_Editor):
    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QDoubleSpinBox())
        self.spin: QDoubleSpinBox = self.widget  # type: ignore[assignment]
        self.spin.setDecimals(2)
        self.spin.setRange(setting.minimum or 0.0, setting.maximum or 1e9)
        self.spin.setSingleStep(0.05)

    def value(self) -> Value:
        return round(self.spin.value(), 2)

    def set_value(self, value: Value) -> None:
        self.spin.setValue(float(value))  # type: ignore[arg-type]


def _int_spin(setting: Setting, below: int = 0) -> QSpinBox:
    """A spin box over the setting's range, starting `below` its minimum (for a special)."""
    spin = QSpinBox()
    spin.setRange(int(setting.minimum or 0) - below, int(setting.maximum or 2**31 - 1))
    if setting.key == "model.n_ctx":
        spin.setSingleStep(256)
    elif setting.key == "hardware.n_batch":
        spin.setSingleStep(32)
    return spin


class _IntEditor(_Editor):
    """A whole number; an optional one has "none" one below its minimum, shown in words."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, _int_spin(setting, below=1 if setting.optional else 0))
        self.spin: QSpinBox = self.widget  # type: ignore[assignment]
        if setting.optional:
            self.spin.setSpecialValueText(OPTIONAL_TEXT.get(setting.key, "none"))

    def value(self) -> Value:
        number = self.spin.value()
        if self.setting.optional and number == self.spin.minimum():
            return None
        return number

    def set_value(self, value: Value) -> None:
        self.spin.setValue(self.spin.minimum() if value is None else int(value))


class _SpecialEditor(_Editor):
    """A whole number or one of its words: a selector of the words and "A number", and a spin
    box enabled for the number."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QWidget())
        self.combo = QComboBox()
        self.combo.setObjectName(f"{setting.key}.choice")
        for word in setting.special:
            self.combo.addItem(word.capitalize(), word)
        self.combo.addItem(NUMBER_ITEM, None)
        self.spin = _int_spin(setting)
        self.spin.setObjectName(f"{setting.key}.number")
        self.spin.setValue(NUMBER_START.get(setting.key, self.spin.minimum()))
        self.combo.currentIndexChanged.connect(self._show_choice)
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo)
        row.addWidget(self.spin)
        row.addStretch(1)
        self._show_choice()

    def _show_choice(self) -> None:
        self.spin.setEnabled(self.combo.currentData() is None)

    def value(self) -> Value:
        word = self.combo.currentData()
        return self.spin.value() if word is None else str(word)

    def set_value(self, value: Value) -> None:
        if isinstance(value, str):
            self.combo.setCurrentIndex(max(0, self.combo.findData(value)))
        else:
            self.spin.setValue(int(value))  # type: ignore[arg-type]
            self.combo.setCurrentIndex(self.combo.count() - 1)


class _TextEditor(_Editor):
    """A line of text (`validate` checks it when applied: printable, not too long)."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QLineEdit())
        self.line: QLineEdit = self.widget  # type: ignore[assignment]
        self.line.setMaxLength(TEXT_MAX_CHARS)
        self.line.setClearButtonEnabled(True)
        self.line.setMinimumWidth(self.line.fontMetrics().averageCharWidth() * TEXT_MIN_CHARS)
        placeholder = TEXT_PLACEHOLDER.get(setting.key)
        if placeholder:
            self.line.setPlaceholderText(QCoreApplication.translate("SettingsDialog",
                                                                    placeholder))

    def value(self) -> Value:
        return self.line.text()

    def set_value(self, value: Value) -> None:
        self.line.setText("" if value is None else str(value))
        self.line.setCursorPosition(0)  # the start of a long list shows, not its end


def _editor(setting: Setting) -> _Editor:
    if setting.kind == "bool":
        return _BoolEditor(setting)
    if setting.kind == "choice":
        return _ChoiceEditor(setting)
    if setting.kind == "float":
        return _FloatEditor(setting)
    if setting.kind == "text":
        return _TextEditor(setting)
    return _SpecialEditor(setting) if setting.special else _IntEditor(setting)


class SettingsDialog(QDialog):
    """Every declared setting, one page per group, for all models or for one model only.

    With a `model_key`, a selector at the top ("settingsScope") chooses where values are read and
    written: globally, or as that model's overrides, where only per-model settings can be changed.
    Switching it shows that scope's values and drops edits not yet applied. "Reset" on a row, or
    "Restore defaults" on a page, shows the value the setting falls back to (the declared default;
    in the model scope, the global value) and, once applied, forgets the user's value.

    OK and Apply write only what changed; a `SettingError` is shown in the dialog, which stays
    open. The dialog never saves the file.

    The machine (`hardware`) is read off the GUI thread, so it may come after the dialog opens
    (`set_hardware`); until then the GPU layers can be set. On a build that cannot offload they
    cannot, and `offload_reason` says why.

    With `connections`, a last page lists the servers elsewhere (`ConnectionsPage`); what is
    saved there is saved at once, whatever OK or Cancel do.

    Signals:
        applied(list): the settings file was changed: these keys (str) were set or reset. The
            window saves the file and puts the values to use.
        connectionsChanged(): a connection was added, edited or removed (and saved).
    """

    applied = Signal(list)
    connectionsChanged = Signal()

    def __init__(self, settings: SettingsFile, model_key: str | None = None,
                 model_label: str | None = None, *, hardware: Hardware | None = None,
                 offload_reason: str = OFFLOAD_REASON, connections: Connections | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self.settings = settings
        self.model_key = model_key
        self.hardware = hardware
        self.offload_reason = offload_reason
        self._editors = {s.key: _editor(s) for s in SETTINGS}
        self._resets: dict[str, QToolButton] = {}
        self._loaded: dict[str, Value] = {}  # each widget's value as loaded from the scope
        self._pending_reset: set[str] = set()  # rows the user reset since then

        layout = QVBoxLayout(self)
        if settings.read_only:
            banner = QLabel(f"These settings {settings.read_only_reason}. Changes made here "
                            "apply to this session only and are not saved.")
            banner.setTextFormat(Qt.TextFormat.PlainText)
            banner.setObjectName("settingsReadOnly")
            banner.setWordWrap(True)
            set_style(banner, NOTICE_BANNER)
            layout.addWidget(banner)
        self._build_scope(layout, model_key, model_label)

        self.pages = QTabWidget()
        self.pages.setObjectName("settingsPages")
        for group in GROUPS:
            self.pages.addTab(self._page(group), group)
        self.connections_page = (self._connections_page(connections) if connections is not None
                                 else None)
        layout.addWidget(self.pages)
        self._show_offload()

        self.error = QLabel()
        self.error.setObjectName("settingsError")
        set_style(self.error, ERROR_TEXT)
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.Apply)
        self.buttons.clicked.connect(self._clicked)
        layout.addWidget(self.buttons)

        self.scope.currentIndexChanged.connect(lambda _index: self._load())
        self._load()

    # Building

    def _build_scope(self, layout: QVBoxLayout, model_key: str | None,
                     model_label: str | None) -> None:
        """"Apply to": all models, or the model `model_key` only (hidden without one)."""
        self.scope = QComboBox()
        self.scope.setObjectName("settingsScope")
        self.scope_label = QLabel("Apply to:")
        if model_key is not None:
            self.scope.addItem("All models", None)
            self.scope.addItem(f"{model_label or model_key} only", model_key)
            scope_row = QHBoxLayout()
            scope_row.addWidget(self.scope_label)
            scope_row.addWidget(self.scope)
            scope_row.addStretch(1)
            layout.addLayout(scope_row)
        else:
            for widget in (self.scope, self.scope_label):
                widget.setParent(self)
                widget.hide()

    def _page(self, group: str) -> QWidget:
        page = QWidget()
        page.setObjectName(f"settingsPage.{group}")
        column = QVBoxLayout(page)
        settings = [s for s in SETTINGS if s.group == group]
        all_reload = all(s.reload for s in settings)
        if group == "Hardware":
            self.hardware_summary = QLabel(
                self.hardware.describe() if self.hardware else READING_HARDWARE)
            self.hardware_summary.setObjectName("hardwareSummary")
            self.hardware_summary.setWordWrap(True)
            self.hardware_summary.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse)
            column.addWidget(self.hardware_summary)
        if all_reload:
            column.addWidget(self._note(RELOAD_NOTE))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for setting in settings:
            label = QLabel(setting.label)
            label.setToolTip(_tooltip(setting))
            form.addRow(label, self._row(setting, note=setting.reload and not all_reload))
            if setting.key == GPU_LAYERS:  # shown when the build cannot offload
                self._offload_form = form
                self._offload_note = self._note(self.offload_reason)
                self._offload_note.setObjectName("gpuLayersReason")
                form.addRow("", self._offload_note)
        column.addLayout(form)
        column.addStretch(1)
        restore = QPushButton("Restore defaults")
        restore.setObjectName(f"restoreDefaults.{group}")
        restore.setToolTip("Show this page's defaults; OK or Apply then forgets your values.")
        restore.clicked.connect(lambda: self.restore_defaults(group))
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(restore)
        column.addLayout(bottom)
        return page

    def _connections_page(self, connections: Connections) -> ConnectionsPage:
        page = ConnectionsPage(connections)
        page.connectionsChanged.connect(self.connectionsChanged)
        self.finished.connect(page.stop_tests)
        self.pages.addTab(page, "Connections")
        self.pages.currentChanged.connect(self._show_scope)
        return page

    def _show_scope(self) -> None:
        """Connections are the app's, not a model's: "Apply to" is greyed out on their page."""
        applies = self.pages.currentWidget() is not self.connections_page
        self.scope.setEnabled(applies)
        self.scope_label.setEnabled(applies)

    def _note(self, text: str) -> QLabel:
        note = QLabel(text)
        note.setWordWrap(True)
        set_style(note, NOTE_TEXT)
        return note

    def _row(self, setting: Setting, note: bool) -> QWidget:
        editor = self._editors[setting.key]
        editor.widget.setToolTip(_tooltip(setting))
        reset = QToolButton()
        reset.setObjectName(f"{setting.key}.reset")
        reset.setText("Reset")
        reset.setToolTip("Forget your value: back to the default (for one model: to the value "
                         "for all models)")
        reset.clicked.connect(lambda: self.reset_row(setting.key))
        self._resets[setting.key] = reset
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        # A text box takes the row's width; the other editors keep their own.
        line.addWidget(editor.widget, 1 if setting.kind == "text" else 0)
        if note:
            line.addWidget(self._note("(applies when the model reloads)"))
        if setting.kind != "text":
            line.addStretch(1)
        line.addWidget(reset)  # at the right edge, where the resets of all rows line up
        return row

    # The machine

    @property
    def can_offload(self) -> bool:
        """Whether GPU layers can be set: unless the build is known to run on the CPU only."""
        return self.hardware is None or self.hardware.can_offload

    @Slot(object)
    def set_hardware(self, hardware: Hardware) -> None:
        """Show a fresh reading of the machine, and allow GPU layers as its build does."""
        self.hardware = hardware
        self.hardware_summary.setText(hardware.describe())
        self._show_offload()
        if self.isVisible():  # opened before the reading came: grow to show its new rows whole
            self.resize(self.size().expandedTo(self.sizeHint()))

    def _show_offload(self) -> None:
        """The GPU layers row as the build allows: on a CPU-only one, refused, with why."""
        allowed = self.can_offload
        self._offload_form.setRowVisible(self._offload_note, not allowed)
        setting, editor = BY_KEY[GPU_LAYERS], self._editors[GPU_LAYERS]
        reason = html.escape(self.offload_reason)
        editor.widget.setToolTip(_tooltip(setting) if allowed else
                                 f"{_tooltip(setting)}<p><b>Not available:</b> {reason}</p>")
        editable = self.is_editable(GPU_LAYERS)
        editor.widget.setEnabled(editable)
        self._resets[GPU_LAYERS].setEnabled(editable)

    # Scope and values

    def model_scope(self) -> str | None:
        """The model whose overrides are shown, or None for the global values."""
        data = self.scope.currentData()
        return None if data is None else str(data)

    def is_editable(self, key: str) -> bool:
        """Whether the row of `key` can be changed in the current scope."""
        if key == GPU_LAYERS and not self.can_offload:
            return False
        return self.model_scope() is None or BY_KEY[key].per_model

    def _load(self) -> None:
        model = self.model_scope()
        for key, editor in self._editors.items():
            editor.set_value(self.settings.get(key, model))
            self._loaded[key] = editor.value()
            editable = self.is_editable(key)
            editor.widget.setEnabled(editable)
            self._resets[key].setEnabled(editable)
        self._pending_reset.clear()
        self.error.hide()

    def _fallback(self, key: str) -> Value:
        """What `key` shows once the user's value in this scope is forgotten."""
        return self.settings.get(key) if self.model_scope() is not None else BY_KEY[key].default

    def value_of(self, key: str) -> Value:
        """The value in `key`'s widget: None for an empty optional, a word for a special."""
        return self._editors[key].value()

    def set_value(self, key: str, value: Value) -> None:
        """Put `value` in `key`'s widget, as if the user had."""
        self._editors[key].set_value(value)

    def reset_row(self, key: str) -> None:
        """Show the value `key` falls back to; OK or Apply then forgets the user's value."""
        if not self.is_editable(key):
            return
        self._editors[key].set_value(self._fallback(key))
        self._pending_reset.add(key)

    def restore_defaults(self, group: str) -> None:
        """`reset_row` for every setting of `group` that can be changed in this scope."""
        for setting in SETTINGS:
            if setting.group == group:
                self.reset_row(setting.key)

    def _changes(self) -> list[tuple[str, bool]]:
        """(key, True to set it / False to reset it) for every row the user changed."""
        model = self.model_scope()
        changes: list[tuple[str, bool]] = []
        for key in self._editors:
            if not self.is_editable(key):
                continue
            value = self.value_of(key)
            if key in self._pending_reset and value == self._fallback(key):
                if self.settings.is_set(key, model):
                    changes.append((key, False))
            elif value != self._loaded[key] or key in self._pending_reset:
                changes.append((key, True))
        return changes

    def changed_keys(self) -> list[str]:
        """The keys OK or Apply would write, in declaration order."""
        return [key for key, _ in self._changes()]

    def apply(self) -> list[str] | None:
        """Write what changed to the settings (not to disk) and emit `applied`.

        Returns the keys written, or None when a value was refused: the message is shown and
        nothing is written.
        """
        model = self.model_scope()
        changes = self._changes()
        try:
            for key, setting_it in changes:
                if setting_it:
                    validate(BY_KEY[key], self.value_of(key))
        except SettingError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return None
        for key, setting_it in changes:
            if setting_it:
                self.settings.set(key, self.value_of(key), model)
            else:
                self.settings.reset(key, model)
        keys = [key for key, _ in changes]
        self._load()
        if keys:
            self.applied.emit(keys)
        return keys

    def _clicked(self, button: QAbstractButton) -> None:
        role = self.buttons.buttonRole(button)
        if role == QDialogButtonBox.ButtonRole.RejectRole:
            self.reject()
        elif self.apply() is not None and role == QDialogButtonBox.ButtonRole.AcceptRole:
            self.accept()
