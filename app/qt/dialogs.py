"""What the app asks the user in the platform's standard dialogs: which files to attach, which
chat file to import, where to export a chat, which model file to import and how, and whether
to go ahead.

One function a question, each returning the answer (None, an empty list or False when the user
cancels), so the windows that ask read as one line, and tests answer with `monkeypatch`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.documents.readers import FILE_FILTER

EXPORT_FILTERS = "Markdown (*.md);;JSON, with every version (*.json)"


def files_to_attach(parent: QWidget) -> list[Path]:
    """The documents the user picks to attach; none if they cancel."""
    names, _ = QFileDialog.getOpenFileNames(parent, "Attach documents", str(Path.home()),
                                            FILE_FILTER)
    return [Path(name) for name in names]


def chats_to_import(parent: QWidget) -> Path | None:
    """The Lamplight JSON export the user picks to import; None if they cancel."""
    name, _ = QFileDialog.getOpenFileName(parent, "Import chats", str(Path.home()),
                                          "Lamplight chats (*.json)")
    return Path(name) if name else None


def export_path(parent: QWidget, name: str) -> tuple[str, str]:
    """Where to export a chat suggested as `name`, and the format's filter the user chose
    (`EXPORT_FILTERS`); an empty path if they cancel."""
    return QFileDialog.getSaveFileName(parent, "Export chat", str(Path.home() / f"{name}.md"),
                                       EXPORT_FILTERS)


def model_file_to_import(parent: QWidget) -> Path | None:
    """The model file the user picks to import; None if they cancel."""
    name, _ = QFileDialog.getOpenFileName(parent, "Import a GGUF model", str(Path.home()),
                                          "GGUF models (*.gguf);;All files (*)")
    return Path(name) if name else None


def import_by_copy(parent: QWidget, sources: list[Path]) -> bool | None:
    """Whether to copy `sources` (checked model files) into the models folder (True) or use
    them where they are (False); None if the user cancels."""
    one = len(sources) == 1
    what = sources[0].name if one else f"these {len(sources)} models"
    box = QMessageBox(QMessageBox.Icon.Question, "Import a model" if one else "Import models",
                      f"Copy {what} into Lamplight's models folder, or use "
                      f"{'it where it is' if one else 'them where they are'}?", parent=parent)
    box.setInformativeText("A copy keeps working if the original is moved or deleted; "
                           "using it where it is takes no extra disk space.")
    box.setTextFormat(Qt.TextFormat.PlainText)  # a file's name, as it is
    if not one:
        box.setDetailedText("\n".join(str(source) for source in sources))
    copy = box.addButton("Copy it" if one else "Copy them", QMessageBox.ButtonRole.AcceptRole)
    link = box.addButton("Use it where it is" if one else "Use them where they are",
                         QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    return clicked is copy if clicked in (copy, link) else None


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Whether the user answers Yes to `text`."""
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes
