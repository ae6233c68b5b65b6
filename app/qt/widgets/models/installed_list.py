"""The Models page's list of the models on this machine, with their metadata and fit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.engine import fit
from app.core.engine.gguf import GGUFHeader
from app.core.models import hub
from app.core.models.library import ModelEntry, distinct_names, list_models
from app.core.models.names import signature_of
from app.core.models.registry import Registry
from app.files import format_bytes
from app.qt.appearance import ERROR_TEXT, set_style
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.widgets.models.fit_badge import set_fit
from app.qt.widgets.models.headers import Headers, read_headers
from app.qt.widgets.models.trees import (
    OBJECT_ROLE,
    format_context,
    format_params,
    make_tree,
    right_align,
)
from app.qt.workers.background import BackgroundCall


class InstalledList(QWidget):
    """The models on this machine with their metadata and fit, and Use / Delete.

    Headers are read on a worker thread and kept while the file's mtime and size stay the same,
    so the list appears at once and fills in.

    Signals:
        selectionChanged(): another model (or none) is selected.
        useRequested(object): the user wants to chat with this `ModelEntry`.
        deleteRequested(object): the user wants this `ModelEntry` deleted (not yet confirmed).
    """

    selectionChanged = Signal()
    useRequested = Signal(object)
    deleteRequested = Signal(object)

    FIT = 5

    def __init__(self, models_dir: Path, n_ctx: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models_dir = models_dir
        self.n_ctx = n_ctx
        self.in_use: Path | None = None
        self._headers: Headers = {}
        self._reading: BackgroundCall | None = None
        self.tree = make_tree("installedList", [""] * 7, self.FIT)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.tree.itemDoubleClicked.connect(lambda *_: self._use())
        self.detail = QLabel()
        self.detail.setObjectName("installedDetail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)  # names read from the files
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = QPushButton()
        self.use_button.setObjectName("useModelButton")
        self.use_button.clicked.connect(self._use)
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("deleteModelButton")
        self.delete_button.clicked.connect(self._delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.detail, 1)
        buttons.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACE.s, 0, 0)  # flush with the page's header and downloads
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.tree.setHeaderLabels([self.tr("Model"), self.tr("Params"), self.tr("Quant"),
                                   self.tr("Size"), self.tr("Context"), self.tr("Fit"),
                                   self.tr("Source")])
        self.use_button.setText(self.tr("Use"))
        self.delete_button.setText(self.tr("Delete…"))
        if self.tree.topLevelItemCount():
            self._fill()  # the rows' words ("in use", "built-in", the fit)
        else:
            self._on_selection()

    def entries(self) -> list[ModelEntry]:
        return [self.tree.topLevelItem(i).data(0, OBJECT_ROLE)
                for i in range(self.tree.topLevelItemCount())]

    def selected_entry(self) -> ModelEntry | None:
        items = self.tree.selectedItems()
        entry = items[0].data(0, OBJECT_ROLE) if items else None
        return entry if isinstance(entry, ModelEntry) else None

    def select_path(self, path: Path) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, OBJECT_ROLE).path == path:
                self.tree.setCurrentItem(item)
                return True
        return False

    def set_in_use(self, path: Path | None) -> None:
        if path != self.in_use:
            self.in_use = path
            self._fill()

    def refresh(self) -> None:
        """List the folder again (cheap) and read the headers not yet known (on a thread)."""
        self._fill()
        stale = [e.path for e in self.entries()
                 if e.path not in self._headers
                 or self._headers[e.path][0] != signature_of(e.path)]
        if stale and self._reading is None:
            self._reading = BackgroundCall(lambda: read_headers(stale),
                                           self.tr("Reading model headers"))
            self._reading.done.connect(self._on_headers)
            self._reading.failed.connect(self._on_headers_failed)
            self._reading.start()

    def _on_headers(self, found: Headers) -> None:
        self._reading = None
        self._headers.update(found)
        self.refresh()  # also reads the files that changed while these were read

    def _on_headers_failed(self, message: str) -> None:
        self._reading = None
        self.detail.setText(message)

    def _fill(self) -> None:
        selected = self.selected_entry()
        available = fit.available_memory()
        registry = Registry(self.models_dir)
        records = registry.read()
        self.tree.clear()
        entries = list_models(self.models_dir)
        for entry, name in zip(entries, distinct_names(entries), strict=True):
            item = QTreeWidgetItem()
            item.setData(0, OBJECT_ROLE, entry)
            label = name
            if entry.path == self.in_use:
                label += "  · " + self.tr("in use")
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            item.setText(0, label)
            item.setToolTip(0, plain_tooltip(str(entry.path)))
            signature = signature_of(entry.path)
            size = signature[0] if signature else 0  # (size, mtime)
            item.setText(3, format_bytes(size))
            right_align(item, 1, 3, 4)
            known = self._headers.get(entry.path)
            if known is None:
                for column in (1, 2, 4):
                    item.setText(column, "…")
            elif isinstance(known[1], GGUFHeader):
                header = known[1]
                item.setText(1, format_params(header.n_params))
                item.setText(2, header.quantization or hub.quant_of(entry.path.name) or "?")
                item.setText(4, format_context(header.context_length))
                set_fit(item, self.FIT, fit.estimate(fit.Shape.from_header(header, size),
                                                     self.n_ctx, available))
            else:  # a damaged or foreign file in the folder: say so in the row itself
                for column in (1, 2, 4):
                    item.setText(column, "?")
                item.setText(self.FIT, self.tr("unreadable"))
                for column in range(self.tree.columnCount()):
                    item.setToolTip(column, plain_tooltip(known[1]))
            source = self._source(entry, records.get(registry.key(entry.path), {}))
            item.setText(6, source)
            item.setToolTip(6, plain_tooltip(str(entry.path)))
            self.tree.addTopLevelItem(item)
        if selected is not None:
            self.select_path(selected.path)
        self._on_selection()

    def _source(self, entry: ModelEntry, record: dict[str, Any]) -> str:
        if entry.builtin:
            return self.tr("built-in")
        if entry.reference:
            return self.tr("linked")
        if entry.repo:
            return entry.repo
        return self.tr("imported") if record.get("source") == "copy" else \
            self.tr("models folder")

    def _unreadable(self, entry: ModelEntry) -> str | None:
        """Why `entry`'s header could not be read, if it could not."""
        known = self._headers.get(entry.path)
        return known[1] if known is not None and isinstance(known[1], str) else None

    def _on_selection(self) -> None:
        entry = self.selected_entry()
        unreadable = self._unreadable(entry) if entry is not None else None
        self.use_button.setEnabled(entry is not None and unreadable is None)
        self.use_button.setToolTip(self.tr("This file cannot be loaded: see why below")
                                   if unreadable else self.tr("Chat with this model")
                                   if entry is not None else "")
        set_style(self.detail, ERROR_TEXT if unreadable else None)
        self.delete_button.setEnabled(entry is not None and not entry.builtin
                                      and entry.path != self.in_use)
        if entry is None:
            self.delete_button.setToolTip("")
            self.detail.setText(self.tr("Select a model to see its details.") if self.entries()
                                else self.tr("No models yet: download one from the catalog or "
                                             "the hub."))
        else:
            self.delete_button.setToolTip(
                self.tr("The built-in model is part of the installation") if entry.builtin else
                self.tr("In use by the chat: pick another model first")
                if entry.path == self.in_use else
                self.tr("Forget the link; the file stays where it is") if entry.reference else
                self.tr("Delete the file from the models folder"))
            self.detail.setText(self._describe(entry))
        self.selectionChanged.emit()

    def _describe(self, entry: ModelEntry) -> str:
        known = self._headers.get(entry.path)
        where = f"{entry.path.parent}{os.sep}"
        if known is None:
            return f"{entry.path.name} · " + self.tr("reading its header…")
        if not isinstance(known[1], GGUFHeader):
            return f"{entry.path.name} · {known[1]}"
        header = known[1]
        parts = [entry.display_name, header.architecture]
        if header.n_layers:
            parts.append(self.tr("{} layers").format(header.n_layers))
        parts.append(self.tr("trained context {} tokens").format(header.context_length or "?"))
        parts.append(self.tr("chat template") if header.chat_template else
                     self.tr("no chat template"))
        return " · ".join(parts) + f"\n{where}{entry.path.name}"

    def _use(self) -> None:
        entry = self.selected_entry()
        if entry is not None and self._unreadable(entry) is None:  # a double-click too
            self.useRequested.emit(entry)

    def _delete(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.deleteRequested.emit(entry)
