"""What the app asks the user in the platform's standard dialogs: which files to attach, which
chat file to import, where to export a chat, which model file to import and how, and whether
to go ahead.

One function a question, each returning the answer (None, an empty list or False when the user
cancels), so the windows that ask read as one line, and tests answer with `monkeypatch`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.documents.readers import SUFFIXES


def _all_files() -> str:
    return QCoreApplication.translate("Dialogs", "All files (*)")


def export_filters() -> str:
    """The export dialog's formats: Markdown, or JSON (which `export_path`'s answer names with
    its "*.json")."""
    return ";;".join((QCoreApplication.translate("Dialogs", "Markdown (*.md)"),
                      QCoreApplication.translate("Dialogs", "JSON, with every version (*.json)")))


def files_to_attach(parent: QWidget) -> list[Path]:
    """The documents the user picks to attach; none if they cancel."""
    documents = QCoreApplication.translate("Dialogs", "Documents ({patterns})").format(
        patterns=" ".join(f"*{suffix}" for suffix in SUFFIXES))
    names, _ = QFileDialog.getOpenFileNames(
        parent, QCoreApplication.translate("Dialogs", "Attach documents"), str(Path.home()),
        f"{documents};;{_all_files()}")
    return [Path(name) for name in names]


def chats_to_import(parent: QWidget) -> Path | None:
    """The Lamplight JSON export the user picks to import; None if they cancel."""
    name, _ = QFileDialog.getOpenFileName(
        parent, QCoreApplication.translate("Dialogs", "Import chats"), str(Path.home()),
        QCoreApplication.translate("Dialogs", "Lamplight chats (*.json)"))
    return Path(name) if name else None


def export_path(parent: QWidget, name: str) -> tuple[str, str]:
    """Where to export a chat suggested as `name`, and the format's filter the user chose
    (`export_filters`); an empty path if they cancel."""
    return QFileDialog.getSaveFileName(
        parent, QCoreApplication.translate("Dialogs", "Export chat"),
        str(Path.home() / f"{name}.md"), export_filters())


def model_file_to_import(parent: QWidget) -> Path | None:
    """The model file the user picks to import; None if they cancel."""
    name, _ = QFileDialog.getOpenFileName(
        parent, QCoreApplication.translate("Dialogs", "Import a GGUF model"), str(Path.home()),
        QCoreApplication.translate("Dialogs", "GGUF models (*.gguf)") + ";;" + _all_files())
    return Path(name) if name else None


def import_by_copy(parent: QWidget, sources: list[Path]) -> bool | None:
    """Whether to copy `sources` (checked model files) into the models folder (True) or use
    them where they are (False); None if the user cancels."""
    if len(sources) == 1:
        title = QCoreApplication.translate("Dialogs", "Import a model")
        question = QCoreApplication.translate(
            "Dialogs", "Copy {name} into Lamplight's models folder, or use it where it "
            "is?").format(name=sources[0].name)
        copy_text = QCoreApplication.translate("Dialogs", "Copy it")
        link_text = QCoreApplication.translate("Dialogs", "Use it where it is")
    else:
        title = QCoreApplication.translate("Dialogs", "Import models")
        question = QCoreApplication.translate(
            "Dialogs", "Copy these {n} models into Lamplight's models folder, or use them where "
            "they are?").format(n=len(sources))
        copy_text = QCoreApplication.translate("Dialogs", "Copy them")
        link_text = QCoreApplication.translate("Dialogs", "Use them where they are")
    box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=parent)
    box.setInformativeText(QCoreApplication.translate(
        "Dialogs", "A copy keeps working if the original is moved or deleted; using it where "
        "it is takes no extra disk space."))
    box.setTextFormat(Qt.TextFormat.PlainText)  # a file's name, as it is
    if len(sources) > 1:
        box.setDetailedText("\n".join(str(source) for source in sources))
    copy = box.addButton(copy_text, QMessageBox.ButtonRole.AcceptRole)
    link = box.addButton(link_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    return clicked is copy if clicked in (copy, link) else None


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Whether the user answers Yes to `text`."""
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes
