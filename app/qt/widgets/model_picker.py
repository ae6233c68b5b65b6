"""The chat's model picker: the installed models, and "Manage models…" to open the Models
page."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from app.core.models import names
from app.core.models.library import ModelEntry, distinct_names, list_models
from app.qt.safe_text import plain_tooltip
from app.qt.workers.background import BackgroundCall

MANAGE_MODELS = "manage-models"  # the picker's last item: opens the Models page


class ModelPicker(QComboBox):
    """The built-in model and every `.gguf` in the models folder, re-read each time it opens,
    and last "Manage models…".

    Each model shows its display name (`names`); the headers of files not read yet are read on
    a worker thread, and the names follow. Choosing "Manage models…" never selects it: the
    model chosen before stays current.

    Signals:
        manageRequested(): the user chose "Manage models…".
        namesLearned(): headers were read, so display names may have changed.
    """

    manageRequested = Signal()
    namesLearned = Signal()

    def __init__(self, models_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.models_dir = models_dir
        self._previous = 0
        self._learning: BackgroundCall | None = None
        self.setMinimumContentsLength(28)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setToolTip(plain_tooltip(f"Models folder: {models_dir}"))
        self.currentIndexChanged.connect(self._on_index_changed)
        self.refresh()

    def refresh(self, learn: bool = True) -> None:
        current = self.current_entry()
        self.blockSignals(True)
        self.clear()
        entries = list_models(self.models_dir)
        for entry, name in zip(entries, distinct_names(entries), strict=True):
            self.addItem(f"{name} (built-in)" if entry.builtin else name, entry)
            self.setItemData(self.count() - 1, plain_tooltip(str(entry.path)),
                             Qt.ItemDataRole.ToolTipRole)
        if learn:
            self._learn([e.path for e in entries if not e.builtin and names.known(e.path) is None])
        if self.count() == 0:
            self.addItem("No model installed", None)
        self.insertSeparator(self.count())
        self.addItem("Manage models…", MANAGE_MODELS)
        if current is not None:
            self.select_path(current.path)
        self._previous = self.currentIndex()
        self.blockSignals(False)

    def _learn(self, paths: list[Path]) -> None:
        if not paths or self._learning is not None:
            return
        self._learning = BackgroundCall(lambda: names.learn(paths), "Reading model names")
        self._learning.done.connect(self._on_learned)
        self._learning.failed.connect(self._on_learned)
        self._learning.start()

    def _on_learned(self, _result: object = None) -> None:
        self._learning = None
        # Not learning again here: a file still being written would be read over and over.
        self.refresh(learn=False)
        self.namesLearned.emit()

    def is_manage_item(self, index: int) -> bool:
        return bool(self.itemData(index) == MANAGE_MODELS)

    def _on_index_changed(self, index: int) -> None:
        if not self.is_manage_item(index):
            self._previous = index
            return
        self.blockSignals(True)
        self.setCurrentIndex(self._previous)
        self.blockSignals(False)
        self.manageRequested.emit()

    def current_entry(self) -> ModelEntry | None:
        entry = self.currentData()
        return entry if isinstance(entry, ModelEntry) else None

    def select_path(self, path: Path) -> bool:
        for i in range(self.count()):
            entry = self.itemData(i)
            if isinstance(entry, ModelEntry) and entry.path == path:
                self.setCurrentIndex(i)
                return True
        return False

    def showPopup(self) -> None:
        self.refresh()  # a file dropped into the folder shows up without a restart
        super().showPopup()
