"""The models other apps keep on this computer, to import some of them in one go."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.files import format_bytes
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.widgets.models.trees import make_tree, right_align


class ImportFoundDialog(QDialog):
    """The models other apps keep on this computer, to import some of them in one go."""

    def __init__(self, found: list[tuple[str, Path]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importFoundDialog")
        self.resize(640, 360)
        self.tree = make_tree("foundList", ["", "", ""], None)
        for where, path in found:
            try:
                size = format_bytes(path.stat().st_size)
            except OSError:
                size = "?"
            item = QTreeWidgetItem([path.name, where, size])
            item.setData(0, Qt.ItemDataRole.UserRole, path)
            item.setToolTip(0, plain_tooltip(str(path)))
            item.setCheckState(0, Qt.CheckState.Checked)
            right_align(item, 2)
            self.tree.addTopLevelItem(item)
        self.link_choice = QRadioButton()
        self.link_choice.setObjectName("importByReference")
        self.copy_choice = QRadioButton()
        self.copy_choice.setObjectName("importByCopy")
        self.link_choice.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.link_choice)
        group.addButton(self.copy_choice)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("importChosenButton")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.tree.itemChanged.connect(
            lambda *_: self.import_button.setEnabled(bool(self.chosen())))
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.link_choice)
        layout.addWidget(self.copy_choice)
        layout.addWidget(buttons)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Import models found on this computer"))
        self.tree.setHeaderLabels([self.tr("Model"), self.tr("From"), self.tr("Size")])
        self.link_choice.setText(self.tr("Use them where they are (no extra disk space)"))
        self.copy_choice.setText(self.tr("Copy them into Lamplight's models folder"))
        self.import_button.setText(self.tr("Import"))
        self.intro.setText(self.tr("These GGUF files were downloaded by other apps. Tick the "
                                   "ones to add to Lamplight."))

    @property
    def copy(self) -> bool:
        return self.copy_choice.isChecked()

    def chosen(self) -> list[Path]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in items
                if item.checkState(0) == Qt.CheckState.Checked]
