"""The Models page's curated catalog: what can be downloaded, smallest first."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidgetItem, QVBoxLayout, QWidget

from app.core.engine import fit, speed
from app.core.models.catalog import CatalogEntry
from app.files import format_bytes
from app.qt.appearance import ERROR_TEXT, current_colors, follow_theme, set_style
from app.qt.design import SPACE
from app.qt.safe_text import plain_tooltip
from app.qt.widgets.models.fit_badge import rough_estimate, set_fit
from app.qt.widgets.models.offer import Offer
from app.qt.widgets.models.trees import OBJECT_ROLE, format_context, make_tree, right_align


class CatalogList(QWidget):
    """The curated models, smallest first, with their fit, an estimate of their speed here
    (`speed`) and whether they are installed.

    Signals:
        selectionChanged(): another entry (or none) is selected.
        downloadRequested(): the user double-clicked an entry.
    """

    selectionChanged = Signal()
    downloadRequested = Signal()

    COLUMNS = ("Model", "Params", "Quant", "Size", "Fit", "Speed (estimate)", "Status")
    FIT, SPEED, STATUS = 4, 5, 6

    def __init__(self, entries: list[CatalogEntry], error: str | None, n_ctx: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = entries
        self.rows: dict[str, QTreeWidgetItem] = {}
        self._fits: dict[str, fit.Estimate] = {}
        self.tree = make_tree("catalogList", self.COLUMNS, self.FIT)
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
            item.setToolTip(0, plain_tooltip(f"{entry.repo}\n{entry.file}"))
            right_align(item, 1, 3, self.SPEED)
            estimate = rough_estimate(entry.size_bytes, n_ctx, entry.context_length, available)
            set_fit(item, self.FIT, estimate)
            self._fits[entry.key] = estimate
            self.tree.addTopLevelItem(item)
            self.rows[entry.key] = item
        self.set_bandwidth(speed.DEFAULT)
        self.description.setText(error or "Hand-picked chat models, smallest first. Select one "
                                          "to read about it.")
        if error:
            set_style(self.description, ERROR_TEXT)

    def selected_entry(self) -> CatalogEntry | None:
        items = self.tree.selectedItems()
        entry = items[0].data(0, OBJECT_ROLE) if items else None
        return entry if isinstance(entry, CatalogEntry) else None

    def selected_offer(self) -> Offer | None:
        entry = self.selected_entry()
        return Offer(entry.repo, entry.file, entry.size_bytes, None) if entry else None

    def set_status(self, key: str, text: str) -> None:
        item = self.rows.get(key)
        if item is not None:
            item.setText(self.STATUS, text)

    def set_bandwidth(self, bandwidth: speed.Bandwidth) -> None:
        """Each model's speed as estimated from `bandwidth` (measured here, or the default)."""
        for key, item in self.rows.items():
            hint = speed.hint(self._fits[key], bandwidth)
            if hint is None:
                item.setText(self.SPEED, "—")
                item.setToolTip(self.SPEED, "Too big for the free memory: it would swap, far "
                                            "slower than any estimate.")
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
        facts = (f"{entry.family} · {entry.params} parameters · {entry.quant} · trained "
                 f"context {format_context(entry.context_length)} tokens · license "
                 f"{entry.license} · {entry.repo}")
        self.description.setText(
            f"<b>{html.escape(entry.label)}</b> — {html.escape(entry.description)}<br>"
            f"<span style='color:{current_colors().muted}'>{html.escape(facts)}</span>")
