"""The three lists of the Models page: installed models, the curated catalog, a hub search.

Each list shows what it is given and says what is selected; the page does the acting (download,
use, delete), so the lists know nothing of the download manager or the chat.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.engine import fit
from app.core.engine.gguf import GGUFError, GGUFHeader, read_header
from app.core.models import hub
from app.core.models.catalog import CatalogEntry
from app.core.models.download import install_path
from app.core.models.library import ModelEntry, list_models
from app.core.models.registry import Registry
from app.files import format_bytes
from app.qt.appearance import ERROR_TEXT, is_dark, set_style
from app.qt.safe_text import plain_tooltip
from app.qt.workers.background import BackgroundCall

log = logging.getLogger(__name__)

OBJECT_ROLE = Qt.ItemDataRole.UserRole  # on column 0: the row's ModelEntry, Offer or RepoSummary
FIT_ROLE = Qt.ItemDataRole.UserRole + 1  # on the fit column: the Verdict the badge paints
_BADGE_COLOURS = {  # dark window?: {verdict: (text, background)}
    False: {fit.Verdict.FITS: ("#1a7f37", "#dafbe1"), fit.Verdict.TIGHT: ("#8a5a00", "#fff1c2"),
            fit.Verdict.TOO_BIG: ("#b42318", "#ffe4e0")},
    True: {fit.Verdict.FITS: ("#7ee2a8", "#12361f"), fit.Verdict.TIGHT: ("#f2cc60", "#3b2e0a"),
           fit.Verdict.TOO_BIG: ("#ffa198", "#4a1c17")},
}


@dataclass(frozen=True)
class Offer:
    """A file that can be downloaded: a catalog entry's, or one found by a search.

    `remote` is None for a catalog entry until the hub is asked for the file's commit and hash.
    """

    repo: str
    filename: str
    size: int
    remote: hub.RemoteFile | None

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.filename}"

    def target(self, models_dir: Path) -> Path | None:
        """Where it is installed; None for a name that would leave the models folder."""
        try:
            return install_path(models_dir, self.repo, self.filename)
        except hub.HubError:
            return None

    def is_installed(self, models_dir: Path) -> bool:
        target = self.target(models_dir)
        return target is not None and target.is_file()


def format_params(n: int) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def format_context(n: int | None) -> str:
    if not n:
        return "?"
    return f"{n // 1024}k" if n % 1024 == 0 else f"{n:,}"


class FitBadgeDelegate(QStyledItemDelegate):
    """Paints the fit column as a coloured pill: "fits", "tight" or "too big"."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        verdict = index.data(FIT_ROLE)
        if not isinstance(verdict, fit.Verdict):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the selection and focus are drawn as usual, the pill on top
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        text, background = _BADGE_COLOURS[is_dark(opt.palette)][verdict]
        metrics = opt.fontMetrics
        width = metrics.horizontalAdvance(verdict.value) + 14
        height = metrics.height() + 2
        rect = QRect(opt.rect.left() + 4, opt.rect.center().y() - height // 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor(text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, verdict.value)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 18, size.height())


def set_fit(item: QTreeWidgetItem, column: int, estimate: fit.Estimate | None) -> None:
    if estimate is None:
        item.setText(column, "")
        item.setData(column, FIT_ROLE, None)
        item.setToolTip(column, "")
        return
    item.setText(column, estimate.verdict.value)
    item.setData(column, FIT_ROLE, estimate.verdict)
    line = estimate.describe()
    item.setToolTip(column, f"{line[0].upper()}{line[1:]}.")


def rough_estimate(size: int, n_ctx: int, context_length: int | None, available: int
                   ) -> fit.Estimate:
    """For a file not downloaded yet: only its size (and maybe its context) is known."""
    shape = fit.Shape.from_size(size, context_length)
    return fit.estimate(shape, n_ctx, available)


def make_tree(name: str, columns: Sequence[str], fit_column: int | None) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setObjectName(name)
    tree.setColumnCount(len(columns))
    tree.setHeaderLabels(list(columns))
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    if fit_column is not None:
        tree.setItemDelegateForColumn(fit_column, FitBadgeDelegate(tree))
    return tree


def right_align(item: QTreeWidgetItem, *columns: int) -> None:
    for column in columns:
        item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


# -- installed models ----------------------------------------------------------------------

# What a header read gives: the header, or why it could not be read.
HeaderResult = GGUFHeader | str


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def read_headers(paths: list[Path]) -> dict[Path, tuple[tuple[int, int] | None, HeaderResult]]:
    """Headers of `paths` (0.1–0.2 s each on big vocabularies): run off the GUI thread."""
    found: dict[Path, tuple[tuple[int, int] | None, HeaderResult]] = {}
    for path in paths:
        signature = _signature(path)
        try:
            found[path] = (signature, read_header(path))
        except (GGUFError, OSError) as exc:
            found[path] = (signature, f"unreadable: {exc}")
        except Exception as exc:  # whatever one file holds, the other rows keep theirs
            log.exception("reading the header of %s failed", path)
            found[path] = (signature, f"unreadable: {type(exc).__name__}")
    return found


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

    COLUMNS = ("Model", "Params", "Quant", "Size", "Context", "Fit", "Source")
    FIT = 5

    def __init__(self, models_dir: Path, n_ctx: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models_dir = models_dir
        self.n_ctx = n_ctx
        self.in_use: Path | None = None
        self._headers: dict[Path, tuple[tuple[int, int] | None, HeaderResult]] = {}
        self._reading: BackgroundCall | None = None
        self.tree = make_tree("installedList", self.COLUMNS, self.FIT)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.tree.itemDoubleClicked.connect(lambda *_: self._use())
        self.detail = QLabel()
        self.detail.setObjectName("installedDetail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)  # names read from the files
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = QPushButton("Use")
        self.use_button.setObjectName("useModelButton")
        self.use_button.setToolTip("Chat with this model")
        self.use_button.clicked.connect(self._use)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("deleteModelButton")
        self.delete_button.clicked.connect(self._delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.detail, 1)
        buttons.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)  # flush with the page's header and downloads
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
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
                 or self._headers[e.path][0] != _signature(e.path)]
        if stale and self._reading is None:
            self._reading = BackgroundCall(lambda: read_headers(stale), "Reading model headers")
            self._reading.done.connect(self._on_headers)
            self._reading.failed.connect(self._on_headers_failed)
            self._reading.start()

    def _on_headers(self, found: dict[Path, tuple[tuple[int, int] | None, HeaderResult]]) -> None:
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
        for entry in list_models(self.models_dir):
            item = QTreeWidgetItem()
            item.setData(0, OBJECT_ROLE, entry)
            label = entry.label if entry.builtin else entry.name
            if entry.path == self.in_use:
                label += "  · in use"
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            item.setText(0, label)
            item.setToolTip(0, plain_tooltip(str(entry.path)))
            signature = _signature(entry.path)
            size = signature[1] if signature else 0
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
                item.setText(self.FIT, "unreadable")
                for column in range(self.tree.columnCount()):
                    item.setToolTip(column, plain_tooltip(known[1]))
            source = self._source(entry, records.get(registry.key(entry.path), {}))
            item.setText(6, source)
            item.setToolTip(6, plain_tooltip(str(entry.path)))
            self.tree.addTopLevelItem(item)
        if selected is not None:
            self.select_path(selected.path)
        self._on_selection()

    @staticmethod
    def _source(entry: ModelEntry, record: dict[str, Any]) -> str:
        if entry.builtin:
            return "built-in"
        if entry.reference:
            return "linked"
        if entry.repo:
            return entry.repo
        return "imported" if record.get("source") == "copy" else "models folder"

    def _unreadable(self, entry: ModelEntry) -> str | None:
        """Why `entry`'s header could not be read, if it could not."""
        known = self._headers.get(entry.path)
        return known[1] if known is not None and isinstance(known[1], str) else None

    def _on_selection(self) -> None:
        entry = self.selected_entry()
        unreadable = self._unreadable(entry) if entry is not None else None
        self.use_button.setEnabled(entry is not None and unreadable is None)
        self.use_button.setToolTip("This file cannot be loaded: see why below"
                                   if unreadable else "")
        set_style(self.detail, ERROR_TEXT if unreadable else None)
        self.delete_button.setEnabled(entry is not None and not entry.builtin
                                      and entry.path != self.in_use)
        if entry is None:
            self.delete_button.setToolTip("")
            self.detail.setText("Select a model to see its details." if self.entries() else
                                "No models yet: download one from the catalog or the hub.")
        else:
            self.delete_button.setToolTip(
                "The built-in model is part of the installation" if entry.builtin else
                "In use by the chat: pick another model first" if entry.path == self.in_use else
                "Forget the link; the file stays where it is" if entry.reference else
                "Delete the file from the models folder")
            self.detail.setText(self._describe(entry))
        self.selectionChanged.emit()

    def _describe(self, entry: ModelEntry) -> str:
        known = self._headers.get(entry.path)
        where = f"{entry.path.parent}{os.sep}"
        if known is None:
            return f"{entry.path.name} · reading its header…"
        if not isinstance(known[1], GGUFHeader):
            return f"{entry.path.name} · {known[1]}"
        header = known[1]
        parts = [header.name or entry.name, header.architecture]
        if header.n_layers:
            parts.append(f"{header.n_layers} layers")
        parts.append(f"trained context {header.context_length or '?'} tokens")
        parts.append("chat template" if header.chat_template else "no chat template")
        return " · ".join(parts) + f"\n{where}{entry.path.name}"

    def _use(self) -> None:
        entry = self.selected_entry()
        if entry is not None and self._unreadable(entry) is None:  # a double-click too
            self.useRequested.emit(entry)

    def _delete(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.deleteRequested.emit(entry)


# -- the catalog ---------------------------------------------------------------------------

class CatalogList(QWidget):
    """The curated models, smallest first, with their fit and whether they are installed.

    Signals:
        selectionChanged(): another entry (or none) is selected.
        downloadRequested(): the user double-clicked an entry.
    """

    selectionChanged = Signal()
    downloadRequested = Signal()

    COLUMNS = ("Model", "Params", "Quant", "Size", "Fit", "Status")
    FIT, STATUS = 4, 5

    def __init__(self, entries: list[CatalogEntry], error: str | None, n_ctx: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = entries
        self.rows: dict[str, QTreeWidgetItem] = {}
        self.tree = make_tree("catalogList", self.COLUMNS, self.FIT)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.tree.itemDoubleClicked.connect(lambda *_: self.downloadRequested.emit())
        self.description = QLabel()
        self.description.setObjectName("catalogDescription")
        self.description.setWordWrap(True)
        self.description.setMinimumHeight(self.description.fontMetrics().lineSpacing() * 2)
        self.description.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)  # flush with the page's header and downloads
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.description)
        available = fit.available_memory()
        for entry in entries:
            item = QTreeWidgetItem([entry.label, entry.params, entry.quant,
                                    format_bytes(entry.size_bytes), "", ""])
            item.setData(0, OBJECT_ROLE, entry)
            item.setToolTip(0, plain_tooltip(f"{entry.repo}\n{entry.file}"))
            right_align(item, 1, 3)
            set_fit(item, self.FIT, rough_estimate(entry.size_bytes, n_ctx, entry.context_length,
                                                   available))
            self.tree.addTopLevelItem(item)
            self.rows[entry.key] = item
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

    def row_keys(self) -> list[str]:
        return list(self.rows)

    def _on_selection(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            facts = (f"{entry.family} · {entry.params} parameters · {entry.quant} · trained "
                     f"context {format_context(entry.context_length)} tokens · license "
                     f"{entry.license} · {entry.repo}")
            self.description.setText(
                f"<b>{html.escape(entry.label)}</b> — {html.escape(entry.description)}<br>"
                f"<span style='color:#666'>{html.escape(facts)}</span>")
        self.selectionChanged.emit()


# -- searching the hub ---------------------------------------------------------------------

class HubSearch(QWidget):
    """A search box over the hub's GGUF repos; a repo's files beside its results.

    Nothing here touches the network until the user searches. Searches and file lists run on
    worker threads; a newer search abandons the older one's result. Split GGUF files are listed
    but cannot be chosen.

    Signals:
        selectionChanged(): another file (or none) is selected.
        downloadRequested(): the user double-clicked a file.
    """

    selectionChanged = Signal()
    downloadRequested = Signal()

    FILE_COLUMNS = ("File", "Quant", "Size", "Fit", "Status")
    FIT, STATUS = 3, 4

    def __init__(self, n_ctx: int, status_of: Callable[[Offer], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_ctx = n_ctx
        self.status_of = status_of
        self.file_rows: dict[str, QTreeWidgetItem] = {}
        self._files: dict[str, hub.RepoFiles] = {}
        self._search_call: BackgroundCall | None = None
        self._files_call: BackgroundCall | None = None
        self._files_repo: str | None = None
        self._query = ""

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("modelSearch")
        self.search_edit.setPlaceholderText("Search the Hugging Face hub for GGUF models, "
                                            "e.g. qwen 1.5b, then Enter")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.search)
        self.search_button = QPushButton("Search")
        self.search_button.setObjectName("searchButton")
        self.search_button.clicked.connect(self.search)
        self.message = QLabel("Nothing is sent to the hub until you search.")
        self.message.setObjectName("searchMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # quotes the query and the hub
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.repos = make_tree("searchResults", ["Repo", "Downloads", "Likes"], None)
        self.repos.itemSelectionChanged.connect(self._on_repo_selected)
        self.files = make_tree("repoFiles", self.FILE_COLUMNS, self.FIT)
        self.files.itemSelectionChanged.connect(self.selectionChanged.emit)
        self.files.itemDoubleClicked.connect(lambda *_: self.downloadRequested.emit())

        bar = QHBoxLayout()
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.search_button)
        split = QSplitter()
        split.setChildrenCollapsible(False)
        split.addWidget(self.repos)
        split.addWidget(self.files)
        split.setSizes([300, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)  # flush with the page's header and downloads
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

    # -- search ----------------------------------------------------------------------------

    def search(self) -> None:
        query = self.search_edit.text().strip()
        for call in (self._search_call, self._files_call):
            if call is not None:
                call.abandon()
        self._files_call = self._files_repo = None
        self._query = query
        self._show("Searching…")
        self.repos.clear()
        self._clear_files()
        call = BackgroundCall(lambda: hub.search(query), "Searching the hub")
        call.done.connect(self._on_results)
        call.failed.connect(self._on_search_failed)
        self._search_call = call.start()

    def _on_results(self, found: list[hub.RepoSummary]) -> None:
        self._search_call = None
        query = self._query
        if not found:
            self._show(f"No GGUF repos on the hub match '{query}'." if query else
                       "The hub returned no GGUF repos.")
            return
        self._show(f"{len(found)} repos. Select one to see its GGUF files.")
        for summary in found:
            name = f"{summary.repo}  🔒" if summary.gated else summary.repo
            item = QTreeWidgetItem([name, f"{summary.downloads:,}", f"{summary.likes:,}"])
            item.setData(0, OBJECT_ROLE, summary)
            when = summary.updated.date().isoformat() if summary.updated else "?"
            item.setToolTip(0, plain_tooltip(f"{summary.repo}\nupdated {when}" + (
                "\ngated: needs an accepted licence and HF_TOKEN" if summary.gated else "")))
            right_align(item, 1, 2)
            self.repos.addTopLevelItem(item)
        self.repos.setCurrentItem(self.repos.topLevelItem(0))

    def _on_search_failed(self, message: str) -> None:
        self._search_call = None
        self._show(message, error=True)

    def _show(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        set_style(self.message, ERROR_TEXT if error else None)

    # -- a repo's files --------------------------------------------------------------------

    def _on_repo_selected(self) -> None:
        items = self.repos.selectedItems()
        summary = items[0].data(0, OBJECT_ROLE) if items else None
        self._clear_files()
        if not isinstance(summary, hub.RepoSummary):
            return
        repo = summary.repo
        if self._files_call is not None:
            self._files_call.abandon()
            self._files_call = None
        self._files_repo = repo
        if repo in self._files:
            self._fill_files(self._files[repo])
            return
        self._show(f"Listing the files of {repo}…")
        call = BackgroundCall(lambda: hub.repo_files(repo), f"Listing {repo}")
        call.done.connect(self._on_files)
        call.failed.connect(self._on_files_failed)
        self._files_call = call.start()

    def _on_files(self, files: hub.RepoFiles) -> None:
        self._files_call = None
        self._files[files.repo] = files
        if files.repo == self._files_repo:
            self._fill_files(files)

    def _on_files_failed(self, message: str) -> None:
        self._files_call = None
        self._show(message, error=True)

    def _clear_files(self) -> None:
        self.files.clear()
        self.file_rows.clear()
        self.selectionChanged.emit()

    def _fill_files(self, files: hub.RepoFiles) -> None:
        self._clear_files()
        whole = sum(1 for f in files.files if hub.split_parts(f.filename) == 1)
        note = f"{files.repo}: {len(files.files)} GGUF files"
        if files.license:
            note += f" · license {files.license}"
        if files.gated:
            note += " · gated: accept its licence on the hub and set HF_TOKEN to download"
        if not files.files:
            note = f"{files.repo} has no GGUF files."
        elif not whole:
            note += " · all split into parts, which Lamplight cannot load yet"
        self._show(note)
        available = fit.available_memory()
        for remote in files.files:
            item = QTreeWidgetItem([remote.filename, remote.quant or "?",
                                    format_bytes(remote.size), "", ""])
            offer = Offer(remote.repo, remote.filename, remote.size, remote)
            item.setData(0, OBJECT_ROLE, offer)
            right_align(item, 2)
            parts = hub.split_parts(remote.filename)
            if parts > 1:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setText(self.STATUS, f"split ({parts} parts)")
                item.setToolTip(0, f"One of {parts} parts of a split model; split models "
                                   "cannot be downloaded yet.")
            else:
                set_fit(item, self.FIT, rough_estimate(remote.size, self.n_ctx, None,
                                                       available))
                item.setText(self.STATUS, self.status_of(offer))
                item.setToolTip(0, plain_tooltip(remote.filename))
                self.file_rows[offer.key] = item
            self.files.addTopLevelItem(item)

    def selected_offer(self) -> Offer | None:
        items = self.files.selectedItems()
        offer = items[0].data(0, OBJECT_ROLE) if items else None
        return offer if isinstance(offer, Offer) else None

    def select_file(self, filename: str) -> bool:
        for i in range(self.files.topLevelItemCount()):
            item = self.files.topLevelItem(i)
            if item.text(0) == filename and item.flags() & Qt.ItemFlag.ItemIsSelectable:
                self.files.setCurrentItem(item)
                return True
        return False

    def set_status(self, key: str, text: str) -> None:
        item = self.file_rows.get(key)
        if item is not None:
            item.setText(self.STATUS, text)

    def row_keys(self) -> list[str]:
        return list(self.file_rows)

    def abandon(self) -> None:
        for call in (self._search_call, self._files_call):
            if call is not None:
                call.abandon()
