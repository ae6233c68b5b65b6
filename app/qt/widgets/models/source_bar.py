"""The Models page's *Model source*: the Hugging Face Hub, a mirror of it, or ModelScope."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.core.models import sources
from app.core.models.sources import InvalidSourceError, Source
from app.core.settings.file import SettingsFile
from app.qt.appearance import ERROR_TEXT, set_style
from app.qt.design import SPACE
from app.qt.i18n import on_language_change

log = logging.getLogger(__name__)


class SourceBar(QWidget):
    """Where the catalog, the search and new downloads get their models, as the settings
    `app.model_source`, `app.mirror_url` and `app.send_token_to_mirror` say (Settings → App
    shows the same three): a choice of source, and for a mirror its address and whether the
    hub token may go to it. A change is saved at once; an address that cannot be used is said
    beside it and not saved. Downloads under way keep their own source.

    Signals:
        sourceChanged(): another source is chosen, or the mirror's address or token choice
            changed; `source()` says which.
    """

    sourceChanged = Signal()

    def __init__(self, settings: SettingsFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceBar")
        self.settings = settings
        self.label = QLabel()
        self.combo = QComboBox()
        self.combo.setObjectName("modelSource")
        for kind in sources.KINDS:
            self.combo.addItem("", kind)
        self.label.setBuddy(self.combo)
        self.mirror_edit = QLineEdit()
        self.mirror_edit.setObjectName("mirrorUrl")
        self.mirror_edit.setMaxLength(sources.MAX_URL)
        self.mirror_edit.setClearButtonEnabled(True)
        self.token_check = QCheckBox()
        self.token_check.setObjectName("sendTokenToMirror")
        self.problem = QLabel()
        self.problem.setObjectName("sourceProblem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # quotes what was typed
        self.problem.setWordWrap(True)
        set_style(self.problem, ERROR_TEXT)
        self.problem.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, SPACE.xs, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.combo)
        layout.addWidget(self.mirror_edit, 1)
        layout.addWidget(self.token_check)
        layout.addWidget(self.problem, 1)
        layout.addStretch(0)
        self.sync()
        self.combo.activated.connect(self._on_kind_chosen)
        self.mirror_edit.editingFinished.connect(self._on_mirror_edited)
        self.token_check.toggled.connect(self._on_token_toggled)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.label.setText(self.tr("Model &source:"))
        names = {sources.HUGGINGFACE: self.tr("Hugging Face"),
                 sources.MIRROR: self.tr("Hugging Face mirror"),
                 sources.MODELSCOPE: self.tr("ModelScope")}
        for index in range(self.combo.count()):
            self.combo.setItemText(index, names[self.combo.itemData(index)])
        self.combo.setToolTip(self.tr(
            "Where the catalog, the search and new downloads get their models: the Hugging Face "
            "Hub, a mirror of it (for where the hub cannot be reached), or ModelScope"))
        self.mirror_edit.setPlaceholderText(self.tr("Mirror address, such as {}").format(
            sources.DEFAULT_MIRROR))
        self.mirror_edit.setToolTip(self.tr(
            "A server that speaks the Hugging Face Hub's protocol. Press Enter to use it."))
        self.token_check.setText(self.tr("Send my hub token"))
        self.token_check.setToolTip(self.tr(
            "Send your Hugging Face token (HF_TOKEN) to this mirror, for gated models. Off: "
            "the mirror never sees it."))

    # -- the settings ----------------------------------------------------------------------

    def kind(self) -> str:
        """The kind of source chosen (`sources.KINDS`)."""
        kind = self.settings.get(sources.SOURCE_SETTING)
        return kind if isinstance(kind, str) and kind in sources.KINDS else sources.HUGGINGFACE

    def source(self) -> Source | None:
        """The source chosen; None while the mirror's address cannot be used (`problem`
        says why)."""
        try:
            return sources.from_settings(self.settings.get)
        except InvalidSourceError:
            return None

    def source_problem(self) -> str:
        """Why `source()` is None, in words; empty when it is not."""
        try:
            sources.from_settings(self.settings.get)
        except InvalidSourceError as exc:
            return str(exc)
        return ""

    def sync(self) -> None:
        """Show what the settings say (Settings → App may have changed them)."""
        kind = self.kind()
        self.combo.setCurrentIndex(max(0, self.combo.findData(kind)))
        url = self.settings.get(sources.MIRROR_SETTING)
        if not self.mirror_edit.hasFocus():
            self.mirror_edit.setText(url if isinstance(url, str) else "")
        self.token_check.blockSignals(True)
        self.token_check.setChecked(self.settings.get(sources.TOKEN_SETTING) is True)
        self.token_check.blockSignals(False)
        mirror = kind == sources.MIRROR
        self.mirror_edit.setVisible(mirror)
        self.token_check.setVisible(mirror)
        self._show_problem(self.source_problem())

    def _on_kind_chosen(self, index: int) -> None:
        kind = self.combo.itemData(index)
        if kind == self.kind():
            return
        self._store(sources.SOURCE_SETTING, kind)
        if kind == sources.MIRROR and not self.mirror_edit.text().strip():
            self.mirror_edit.setFocus()

    def _on_mirror_edited(self) -> None:
        text = self.mirror_edit.text().strip()
        try:
            url = sources.check_url(text)
        except InvalidSourceError as exc:
            self._show_problem(str(exc))
            return
        if url != self.settings.get(sources.MIRROR_SETTING):
            self._store(sources.MIRROR_SETTING, url)
        else:
            self._show_problem("")

    def _on_token_toggled(self, checked: bool) -> None:
        self._store(sources.TOKEN_SETTING, checked)

    def _store(self, key: str, value: object) -> None:
        self.settings.set(key, value)
        unsaved = ""
        try:
            self.settings.save()
        except OSError as exc:
            log.warning("the model source could not be saved: %s", exc)
            unsaved = self.tr("The choice could not be saved ({}); it holds until Lamplight "
                              "quits.").format(exc.strerror or exc)
        self.sync()
        if unsaved:
            self._show_problem(unsaved)
        self.sourceChanged.emit()

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
