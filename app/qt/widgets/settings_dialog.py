"""The settings panel, built from the declaration in `app.core.settings` (napari's preferences,
laid out as LM Studio's, Jan's and macOS's settings are).

A list of sections on the left (the declaration's groups, then Connections), the chosen one's
page on the right: its title and what it holds in one line, then a rounded card per section of
the group, a row per setting in declaration order with its label, a one-line explanation, its
editor (`settings_rows`: sampling numbers as a slider beside their value, the text size in
points with a live preview) and a Reset button. The Hardware page starts with the machine's
facts as a card. The page scrolls; the dialog opens at a size that fits the window.

The dialog writes to the `SettingsFile` only what the user changed (or asked to restore), when
they press OK or Apply; saving the file is the window's job, since it can fail.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.engine.devices import Hardware
from app.core.settings.connections import Connections
from app.core.settings.file import SettingsFile
from app.core.settings.schema import (
    BY_KEY,
    GROUP_SUMMARIES,
    GROUPS,
    SETTINGS,
    Setting,
    SettingError,
    Value,
    validate,
)
from app.i18n import _
from app.qt.appearance import (
    ERROR_TEXT,
    NOTICE_BANNER,
    follow_theme,
    set_style,
    set_surface,
    set_text_style,
)
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import icon
from app.qt.widgets.connections_page import ABOUT, SAVING, ConnectionsPage
from app.qt.widgets.settings_rows import (
    Card,
    Editor,
    HardwareCard,
    SettingRow,
    caption,
    editor_for,
    reload_note,
    reset_button,
    tooltip,
)

GPU_LAYERS = "hardware.n_gpu_layers"
CONNECTIONS = "Connections"  # the last section's name in `show_section` (not shown: `tr`)
# The size the dialog opens at, in characters and lines of its font: room for a row's words,
# a slider and its value side by side. It opens smaller in a smaller window.
DEFAULT_CHARS, DEFAULT_LINES = 132, 46
# Each section's icon in the list (`app.qt.icons` names).
SECTION_ICONS = {"Sampling": "sampling", "Model": "models", "Hardware": "hardware",
                 "Server": "server", "App": "appearance"}


class SectionList(QListWidget):
    """The sections, one a row, as wide as the longest name needs (in the font in use)."""

    def showEvent(self, event: QShowEvent) -> None:
        # The rows were laid out when added, before the style sheet gave them their padding.
        self.doItemsLayout()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.scheduleDelayedItemsLayout()
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        self.ensurePolished()
        width = self.sizeHintForColumn(0) + 2 * self.frameWidth() + SPACE.l
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.sizeHint().width(), super().minimumSizeHint().height())


class SettingsDialog(QDialog):
    """Every declared setting, a page per group chosen from the list of sections
    (`sections`; `pages` holds the pages, `show_section` shows one), for all models or for one
    model only.

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
                 offload_reason: str | None = None, connections: Connections | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setSizeGripEnabled(True)
        self.settings = settings
        self.model_key = model_key
        self.model_label = model_label
        self.hardware = hardware
        self._offload_reason = offload_reason  # None: this build's, in the reader's language
        self._editors: dict[str, Editor] = {s.key: editor_for(s) for s in SETTINGS}
        self._resets: dict[str, QToolButton] = {}
        self._rows: list[SettingRow] = []
        self._cards: list[tuple[Card, str, bool]] = []  # and its section, all needing a reload
        self._loaded: dict[str, Value] = {}  # each widget's value as loaded from the scope
        self._pending_reset: set[str] = set()  # rows the user reset since then
        self._groups: list[str] = []  # each page's group (or CONNECTIONS), in order
        self._restores: list[QPushButton] = []
        self.connections = connections
        self._sized = False  # opened once at its size hint

        # The sections first, so that Tab goes from them to the page.
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_side())
        layout.addLayout(self._build_main(settings, model_key, model_label), 1)
        self._show_offload()

        self.sections.currentRowChanged.connect(self._section_chosen)
        self.pages.currentChanged.connect(self._page_shown)
        self.sections.setCurrentRow(0)
        self._page_shown(self.pages.currentIndex())
        self.scope.currentIndexChanged.connect(lambda _index: self._load())
        self._load()
        self._retranslate()
        on_language_change(self, self._retranslate)

    @property
    def offload_reason(self) -> str:
        """Why GPU layers cannot be set on this build, in the reader's language."""
        if self._offload_reason is not None:
            return self._offload_reason
        return self.tr("This llama.cpp build runs on the CPU only: it cannot offload layers to "
                       "a GPU (see the README for CUDA, Metal and Vulkan builds).")

    def _retranslate(self) -> None:
        """Every word of the dialog in the language of the moment; the values in the editors,
        the page shown and what was changed and not yet applied stay as they are."""
        self.setWindowTitle(self.tr("Settings"))
        self.sections.setAccessibleName(self.tr("Settings sections"))
        if self._read_only is not None:
            self._read_only.setText(self.tr(
                "These settings {reason}. Changes made here apply to this session only and are "
                "not saved.").format(reason=self.settings.read_only_reason))
        self.scope_label.setText(self.tr("Apply to:"))
        self.scope.setAccessibleName(self.tr("Apply to"))
        if self.model_key is not None:
            self.scope.setItemText(0, self.tr("All models"))
            self.scope.setItemText(1, self.tr("{model} only").format(
                model=self.model_label or self.model_key))
            self.scope.setToolTip(self.tr("Change the values for every model, or only for "
                                          "this one (its own values win over the others)"))
        for row, group in enumerate(self._groups):
            self.sections.item(row).setText(self._page_title(group))
        for card, section, all_reload in self._cards:
            card.set_words(_(section), reload_note() if all_reload else "")
        for setting_row in self._rows:
            setting_row.retranslate()
        for restore in self._restores:
            restore.setText(self.tr("Restore defaults"))
            restore.setToolTip(self.tr("Show this page's defaults; OK or Apply then forgets "
                                       "your values."))
        if self.hardware_card is not None:
            self.hardware_card.retranslate()
        self._offload_note.setText(self.offload_reason)
        self._show_offload()
        self.sections.updateGeometry()  # its widest name is another
        self._page_shown(self.pages.currentIndex())

    def _page_title(self, group: str) -> str:
        return self.tr("Connections") if group == CONNECTIONS else _(group)

    def _page_summary(self, group: str) -> str:
        if group == CONNECTIONS:
            assert self.connections_page is not None
            return self.connections_page.tr(ABOUT)
        return _(GROUP_SUMMARIES.get(group, ""))
    # Building

    def _build_side(self) -> QWidget:
        """The sections down the left, on the sidebar's colour."""
        self.sections = SectionList()
        self._section_icons: list[str] = []
        self.sections.setObjectName("settingsSections")
        self.sections.setAccessibleName(self.tr("Settings sections"))
        self.sections.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side = QWidget()
        side.setObjectName("settingsSide")
        set_surface(side, "sidebar")
        column = QVBoxLayout(side)
        column.setContentsMargins(SPACE.s, SPACE.l, SPACE.s, SPACE.l)
        column.addWidget(self.sections)
        return side

    def _build_main(self, settings: SettingsFile, model_key: str | None,
                    model_label: str | None) -> QVBoxLayout:
        """The chosen page under its title and summary, "Apply to", the pages, the error line
        and the buttons."""
        self.pages = QStackedWidget()
        self.pages.setObjectName("settingsPages")
        self.title = QLabel()
        self.title.setObjectName("settingsTitle")
        set_text_style(self.title, "title")
        self.subtitle = caption("", "settingsSubtitle")
        main = QVBoxLayout()
        main.setContentsMargins(SPACE.xl, SPACE.l, SPACE.xl, SPACE.l)
        main.setSpacing(SPACE.s)
        self._read_only: QLabel | None = None
        if settings.read_only:
            self._read_only = banner = QLabel()
            banner.setTextFormat(Qt.TextFormat.PlainText)
            banner.setObjectName("settingsReadOnly")
            banner.setWordWrap(True)
            set_style(banner, NOTICE_BANNER)
            main.addWidget(banner)
        header = QHBoxLayout()
        header.setSpacing(SPACE.m)
        header.addWidget(self.title, 1)
        self._build_scope(header, model_key, model_label)
        main.addLayout(header)
        main.addWidget(self.subtitle)
        main.addSpacing(SPACE.xs)
        main.addWidget(self.pages, 1)
        self.hardware_card: HardwareCard | None = None
        for group in GROUPS:
            self._add_page(self._page(group), group, SECTION_ICONS.get(group, "settings"))
        self.connections_page = (self._connections_page(self.connections) if self.connections
                                 is not None else None)

        self.error = QLabel()
        self.error.setObjectName("settingsError")
        set_style(self.error, ERROR_TEXT)
        self.error.setWordWrap(True)
        self.error.hide()
        main.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.Apply)
        self.buttons.clicked.connect(self._clicked)
        main.addWidget(self.buttons)
        return main

    def _build_scope(self, header: QHBoxLayout, model_key: str | None,
                     model_label: str | None) -> None:
        """"Apply to": all models, or the model `model_key` only (hidden without one)."""
        self.scope = QComboBox()
        self.scope.setObjectName("settingsScope")
        self.scope_label = QLabel()
        self.scope_label.setBuddy(self.scope)
        if model_key is not None:
            self.scope.addItem("", None)
            self.scope.addItem("", model_key)
            header.addWidget(self.scope_label)
            header.addWidget(self.scope)
        else:
            for widget in (self.scope, self.scope_label):
                widget.setParent(self)
                widget.hide()

    def _add_page(self, page: QWidget, group: str, icon_name: str) -> None:
        """A page for `group` (or CONNECTIONS), named in the list (`_retranslate`)."""
        self.pages.addWidget(page)
        self.sections.addItem(QListWidgetItem())
        self._section_icons.append(icon_name)
        follow_theme(self.sections, self._draw_section_icons)  # again in a new theme's colours
        self._groups.append(group)

    def _draw_section_icons(self) -> None:
        for row, name in enumerate(self._section_icons):
            self.sections.item(row).setIcon(icon(name))

    def _page(self, group: str) -> QScrollArea:
        """The group's page: its cards (the machine's first on the Hardware page) and Restore
        defaults, scrolling when they are taller than the dialog."""
        content = QWidget()
        content.setObjectName(f"settingsContent.{group}")
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, SPACE.s, 0)  # room for the scroll bar
        column.setSpacing(SPACE.l)
        if group == "Hardware":
            self.hardware_card = HardwareCard(self.hardware)
            column.addWidget(self.hardware_card)
        settings = [s for s in SETTINGS if s.group == group]
        sections: dict[str, list[Setting]] = {}
        for setting in settings:
            sections.setdefault(setting.section or group, []).append(setting)
        for section, members in sections.items():
            all_reload = all(s.reload for s in members)
            card = Card("", "", f"settingsCard.{group}.{section}")
            self._cards.append((card, section, all_reload))
            for setting in members:
                card.add(self._row(setting, note=setting.reload and not all_reload))
            column.addWidget(card)
        restore = QPushButton()
        restore.setObjectName(f"restoreDefaults.{group}")
        self._restores.append(restore)
        restore.setAutoDefault(False)
        restore.clicked.connect(lambda: self.restore_defaults(group))
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(restore)
        column.addLayout(bottom)
        column.addStretch(1)
        page = QScrollArea()
        page.setObjectName(f"settingsPage.{group}")
        page.setFrameShape(QFrame.Shape.NoFrame)
        page.setWidgetResizable(True)
        page.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to its rows, which it scrolls to
        page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        page.setWidget(content)
        return page

    def _row(self, setting: Setting, note: bool) -> SettingRow:
        editor = self._editors[setting.key]
        reset = reset_button(setting)
        reset.clicked.connect(lambda: self.reset_row(setting.key))
        self._resets[setting.key] = reset
        row = SettingRow(setting, editor, reset, note)
        self._rows.append(row)
        if setting.key == GPU_LAYERS:  # shown when the build cannot offload
            self._offload_note = caption("", "gpuLayersReason")
            row.notes.addWidget(self._offload_note)
        return row

    def _connections_page(self, connections: Connections) -> ConnectionsPage:
        page = ConnectionsPage(connections)
        page.connectionsChanged.connect(self.connectionsChanged)
        self.finished.connect(page.stop_tests)
        page.show_intro(SAVING)  # what it is for is said under its title
        self._add_page(page, CONNECTIONS, "connections")
        return page

    def show_section(self, name: str) -> None:
        """Show the page of the section `name` (a group of `GROUPS`, or "Connections")."""
        names = [*GROUPS, *([CONNECTIONS] if self.connections_page is not None else [])]
        self.pages.setCurrentIndex(names.index(name))

    def _section_chosen(self, row: int) -> None:
        if row >= 0:
            self.pages.setCurrentIndex(row)

    def _page_shown(self, index: int) -> None:
        """The page's title and summary above it, and its row chosen in the list (a page can
        be shown from code too). Connections are the app's, not a model's: "Apply to" is
        greyed out on their page."""
        if self.sections.currentRow() != index:
            self.sections.setCurrentRow(index)
        group = self._groups[index]
        title, summary = self._page_title(group), self._page_summary(group)
        self.title.setText(title)
        self.subtitle.setText(summary)
        self.subtitle.setVisible(bool(summary))
        layout = self.layout()
        if layout is not None:  # the summary's height for its new text, before it is drawn
            layout.activate()
        # The page's rows got their words while it was hidden (`_retranslate`, the machine's
        # reading): their layouts wait in posted events, which the scroll area answers by
        # sizing its content. Done now, the page is never drawn with the rows' old heights.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        applies = self.pages.currentWidget() is not self.connections_page
        self.scope.setEnabled(applies)
        self.scope_label.setEnabled(applies)

    def showEvent(self, event: QShowEvent) -> None:
        """Open at `sizeHint` (Qt would cap it at 2/3 of the screen, which cuts the rows)."""
        if not self._sized:
            self._sized = True
            self.resize(self.sizeHint())
        super().showEvent(event)

    def sizeHint(self) -> QSize:
        """Room for a page's rows whole (`DEFAULT_CHARS` by `DEFAULT_LINES`), but no larger
        than the window it opens over, nor smaller than the layout needs."""
        metrics = self.fontMetrics()
        wanted = QSize(metrics.averageCharWidth() * DEFAULT_CHARS,
                       metrics.lineSpacing() * DEFAULT_LINES)
        parent = self.parentWidget()
        room = parent.window().size() if parent is not None else None
        screen = self.screen()
        if screen is not None:
            available = screen.availableGeometry().size()
            room = room.boundedTo(available) if room is not None else available
        if room is not None:
            wanted = wanted.boundedTo(room - QSize(2 * SPACE.xl, 2 * SPACE.xl))
        return wanted.expandedTo(self.minimumSizeHint())

    # The machine

    @property
    def can_offload(self) -> bool:
        """Whether GPU layers can be set: unless the build is known to run on the CPU only."""
        return self.hardware is None or self.hardware.can_offload

    @Slot(object)
    def set_hardware(self, hardware: Hardware) -> None:
        """Show a fresh reading of the machine, and allow GPU layers as its build does."""
        self.hardware = hardware
        if self.hardware_card is not None:
            self.hardware_card.set_hardware(hardware)
        self._show_offload()

    def _show_offload(self) -> None:
        """The GPU layers row as the build allows: on a CPU-only one, refused, with why."""
        allowed = self.can_offload
        self._offload_note.setVisible(not allowed)
        setting, editor = BY_KEY[GPU_LAYERS], self._editors[GPU_LAYERS]
        reason = html.escape(self.offload_reason)
        not_available = html.escape(self.tr("Not available:"))
        editor.widget.setToolTip(tooltip(setting) if allowed else
                                 f"{tooltip(setting)}<p><b>{not_available}</b> {reason}</p>")
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
