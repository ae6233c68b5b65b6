"""The Models page's curated catalog: what can be downloaded, smallest first."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidgetItem, QVBoxLayout, QWidget

from app.core.engine import fit, speed
from app.core.models import sources
from app.core.models.catalog import CatalogEntry
from app.files import format_bytes
from app.qt.appearance import ERROR_TEXT, current_colors, follow_theme, set_style
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.widgets.models.fit_badge import rough_estimate, set_fit
from app.qt.widgets.models.offer import Offer
from app.qt.widgets.models.trees import OBJECT_ROLE, format_context, make_tree, right_align


class CatalogList(QWidget):
    """The curated models, smallest first, with their fit, an estimate of their speed here
    (`speed`) and whether they are installed. An entry is downloaded from the model source
    chosen (`set_source_kind`): on ModelScope, from the entry's ModelScope repo; an entry
    without one is "not on ModelScope". Its description is in the app's language.

    Signals:
        selectionChanged(): another entry (or none) is selected.
        downloadRequested(): the user double-clicked an entry.
    """

    selectionChanged = Signal()
    downloadRequested = Signal()

    FIT, SPEED, STATUS = 4, 5, 6

    def __init__(self, entries: list[CatalogEntry], error: str | None, n_ctx: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = entries
        self.error = error
        self.kind = sources.HUGGINGFACE
        self.rows: dict[str, QTreeWidgetItem] = {}
        self._fits: dict[str, fit.Estimate] = {}
        self._bandwidth = speed.DEFAULT
        self.tree = make_tree("catalogList", [""] * 7, self.FIT)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.tree.itemDoubleClicked.connect(lambda *_: self.downloadRequested.emit())
        self.description = QLabel()
        self.description.setObjectName("catalogDescription")
        self.description.setWordWrap(True)
        self.description.setMinimumHeight(self.description.fontMetrics().lineSpacing() * 2)
        self.description.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACE.s, 0, 0)  # flush with the page's header and downloads
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.description)
        available = fit.available_memory()
        for entry in entries:
            item = QTreeWidgetItem([entry.label, entry.params, entry.quant,
                                    format_bytes(entry.size_bytes), "", "", ""])
            item.setData(0, OBJECT_ROLE, entry)
            right_align(item, 1, 3, self.SPEED)
            estimate = rough_estimate(entry.size_bytes, n_ctx, entry.context_length, available)
            set_fit(item, self.FIT, estimate)
            self._fits[entry.key] = estimate
            self.tree.addTopLevelItem(item)
            self.rows[entry.key] = item
        if error:
            set_style(self.description, ERROR_TEXT)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.tree.setHeaderLabels([self.tr("Model"), self.tr("Params"), self.tr("Quant"),
                                   self.tr("Size"), self.tr("Fit"), self.tr("Speed (estimate)"),
                                   self.tr("Status")])
        self._set_tooltips()
        for key, item in self.rows.items():  # the fit's words and its tooltip's
            set_fit(item, self.FIT, self._fits[key])
        self.set_bandwidth(self._bandwidth)
        if self.selected_entry() is None or self.error:
            self.description.setText(self.error or self.tr(
                "Hand-picked chat models, smallest first. Select one to read about it."))
        else:
            self._describe_selected()

    def _set_tooltips(self) -> None:
        for entry in self.catalog:
            repo = entry.repo_on(self.kind)
            where = f"{repo}\n{entry.file}" if repo else self.tr(
                "Not on ModelScope: choose Hugging Face or a mirror as the model source to "
                "download it")
            self.rows[entry.key].setToolTip(0, plain_tooltip(where))

    def set_source_kind(self, kind: str) -> None:
        """Offer the entries from a source of this kind (`sources.KINDS`)."""
        self.kind = kind
        self._set_tooltips()
        if self.selected_entry() is not None:
            self._describe_selected()

    def available(self, entry: CatalogEntry) -> bool:
        """Whether the source chosen has the entry's file."""
        return entry.repo_on(self.kind) is not None

    def offer_of(self, entry: CatalogEntry) -> Offer:
        """The entry's file on the source chosen (on the hub when that source has none; see
        `available`), its other sources' repos beside it."""
        repo = entry.repo_on(self.kind) or entry.repo
        others = tuple(r for r in (entry.repo, entry.modelscope_repo) if r and r != repo)
        return Offer(repo, entry.file, entry.size_bytes, None, others)

    def entries_for(self, key: str) -> list[CatalogEntry]:
        """The entries whose file on some source is `key` ("repo/file")."""
        return [e for e in self.catalog if key in e.keys]

    def selected_entry(self) -> CatalogEntry | None:
        items = self.tree.selectedItems()
        entry = items[0].data(0, OBJECT_ROLE) if items else None
        return entry if isinstance(entry, CatalogEntry) else None

    def selected_offer(self) -> Offer | None:
        entry = self.selected_entry()
        return self.offer_of(entry) if entry else None

    def set_status(self, key: str, text: str) -> None:
        item = self.rows.get(key)
        if item is not None:
            item.setText(self.STATUS, text)

    def set_bandwidth(self, bandwidth: speed.Bandwidth) -> None:
        """Each model's speed as estimated from `bandwidth` (measured here, or the default)."""
        self._bandwidth = bandwidth
        for key, item in self.rows.items():
            hint = speed.hint(self._fits[key], bandwidth)
            if hint is None:
                item.setText(self.SPEED, "—")
                item.setToolTip(self.SPEED, self.tr("Too big for the free memory: it would "
                                                    "swap, far slower than any estimate."))
            else:
                item.setText(self.SPEED, hint.text)
                item.setToolTip(self.SPEED, plain_tooltip(hint.explain()))

    def row_keys(self) -> list[str]:
        return list(self.rows)

    def _on_selection(self) -> None:
        if self.selected_entry() is not None:
            # Rich text holds its colours: written again in a new theme's.
            follow_theme(self.description, self._describe_selected)
        self.selectionChanged.emit()

    def _describe_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        repo = entry.repo_on(self.kind)
        where = (self.tr("on ModelScope: {}").format(repo) if self.kind == sources.MODELSCOPE
                 else entry.repo) if repo else self.tr("not on ModelScope")
        facts = self.tr("{family} · {params} parameters · {quant} · trained context {context} "
                        "tokens · license {license} · {where}").format(
            family=entry.family, params=entry.params, quant=entry.quant,
            context=format_context(entry.context_length), license=entry.license, where=where)
        self.description.setText(
            f"<b>{html.escape(entry.label)}</b> — {html.escape(entry.shown_description())}<br>"
            f"<span style='color:{current_colors().muted}'>{html.escape(facts)}</span>")
