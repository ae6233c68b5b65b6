"""The Models page's search of GGUF repos on the model source chosen (the Hugging Face Hub, a
mirror of it, or ModelScope), and a repo's files."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.engine import fit
from app.core.models import browse, hub, sources
from app.core.models.sources import Source
from app.files import format_bytes
from app.qt.appearance import ERROR_TEXT, set_style
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.widgets.models.fit_badge import rough_estimate, set_fit
from app.qt.widgets.models.offer import Offer
from app.qt.widgets.models.trees import OBJECT_ROLE, make_tree, right_align
from app.qt.workers.background import BackgroundCall

# The model source now, or None while it cannot be used (a mirror's address that is no
# address); with why, in words, for that case.
SourceOf = Callable[[], Source | None]
SourceProblem = Callable[[], str]


class HubSearch(QWidget):
    """A search box over the GGUF repos of the model source chosen; a repo's files beside its
    results.

    Nothing here touches the network until the user searches. Searches and file lists run on
    worker threads; a newer search abandons the older one's result, and so does choosing
    another source (`source_changed`): results are of the source that found them, and a file
    is downloaded from there. Split GGUF files are listed but cannot be chosen.

    Signals:
        selectionChanged(): another file (or none) is selected.
        downloadRequested(): the user double-clicked a file.
    """

    selectionChanged = Signal()
    downloadRequested = Signal()

    FIT, STATUS = 3, 4

    def __init__(self, n_ctx: int, status_of: Callable[[Offer], str],
                 source_of: SourceOf | None = None, source_problem: SourceProblem | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_ctx = n_ctx
        self.status_of = status_of
        self.source_of: SourceOf = source_of or (lambda: sources.HUGGING_FACE)
        self.source_problem: SourceProblem = source_problem or (lambda: "")
        self.file_rows: dict[str, QTreeWidgetItem] = {}
        self._files: dict[str, hub.RepoFiles] = {}
        self._search_call: BackgroundCall | None = None
        self._files_call: BackgroundCall | None = None
        self._files_repo: str | None = None
        self._searched: Source | None = None  # the source of the results shown
        self._query = ""
        self._said: tuple[str, bool] | None = None  # what the message line says (not a hint)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("modelSearch")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.search)
        self.search_button = QPushButton()
        self.search_button.setObjectName("searchButton")
        self.search_button.clicked.connect(self.search)
        self.message = QLabel()
        self.message.setObjectName("searchMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # quotes the query and the hub
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.repos = make_tree("searchResults", ["", "", ""], None)
        self.repos.itemSelectionChanged.connect(self._on_repo_selected)
        self.files = make_tree("repoFiles", [""] * 5, self.FIT)
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
        layout.setContentsMargins(0, SPACE.s, 0, 0)  # flush with the page's header and downloads
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.search_button.setText(self.tr("Search"))
        self.repos.setHeaderLabels([self.tr("Repo"), self.tr("Downloads"), self.tr("Likes")])
        self.files.setHeaderLabels([self.tr("File"), self.tr("Quant"), self.tr("Size"),
                                    self.tr("Fit"), self.tr("Status")])
        self._show_source()

    def _source_name(self, source: Source | None) -> str:
        if source is None or source.kind == sources.HUGGINGFACE:
            return self.tr("the Hugging Face hub")
        if source.kind == sources.MODELSCOPE:
            return self.tr("ModelScope")
        return self.tr("the mirror {}").format(source.endpoint)

    def _show_source(self) -> None:
        """The placeholder and, until a search says more, the line under it: which source a
        search asks."""
        name = self._source_name(self.source_of())
        self.search_edit.setPlaceholderText(self.tr(
            "Search {} for GGUF models, e.g. qwen 1.5b, then Enter").format(name))
        if self._said is None:
            problem = self.source_problem()
            self._put(problem or self.tr("Nothing is sent to {} until you search.").format(name),
                      error=bool(problem))

    def source_changed(self) -> None:
        """Another source was chosen: results of the old one are dropped."""
        self.abandon()
        self._search_call = self._files_call = self._files_repo = None
        self._files.clear()
        self._searched = None
        self.repos.clear()
        self._clear_files()
        self._said = None
        self._show_source()

    # -- search ----------------------------------------------------------------------------

    def search(self) -> None:
        query = self.search_edit.text().strip()
        source = self.source_of()
        if source is None:
            self._show(self.source_problem() or self.tr("Choose a model source first."),
                       error=True)
            return
        for call in (self._search_call, self._files_call):
            if call is not None:
                call.abandon()
        self._files_call = self._files_repo = None
        if source != self._searched:
            self._files.clear()
        self._searched = source
        self._query = query
        self._show(self.tr("Searching…"))
        self.repos.clear()
        self._clear_files()
        call = BackgroundCall(lambda: browse.search(query, source),
                              self.tr("Searching {}").format(self._source_name(source)))
        call.done.connect(self._on_results)
        call.failed.connect(self._on_search_failed)
        self._search_call = call.start()

    def _on_results(self, found: list[hub.RepoSummary]) -> None:
        self._search_call = None
        query, name = self._query, self._source_name(self._searched)
        if not found:
            self._show(self.tr("No GGUF repos on {source} match '{query}'.").format(
                source=name, query=query) if query else
                self.tr("{} returned no GGUF repos.").format(name))
            return
        self._show(self.tr("{} repos. Select one to see its GGUF files.").format(len(found)))
        for summary in found:
            name = f"{summary.repo}  🔒" if summary.gated else summary.repo
            item = QTreeWidgetItem([name, f"{summary.downloads:,}", f"{summary.likes:,}"])
            item.setData(0, OBJECT_ROLE, summary)
            when = summary.updated.date().isoformat() if summary.updated else "?"
            tip = summary.repo + "\n" + self.tr("updated {}").format(when)
            if summary.gated:
                tip += "\n" + self.tr("gated: needs an accepted licence and HF_TOKEN")
            item.setToolTip(0, plain_tooltip(tip))
            right_align(item, 1, 2)
            self.repos.addTopLevelItem(item)
        self.repos.setCurrentItem(self.repos.topLevelItem(0))

    def _on_search_failed(self, message: str) -> None:
        self._search_call = None
        self._show(message, error=True)

    def _show(self, text: str, error: bool = False) -> None:
        self._said = (text, error)
        self._put(text, error)

    def _put(self, text: str, error: bool) -> None:
        self.message.setText(text)
        set_style(self.message, ERROR_TEXT if error else None)

    # -- a repo's files --------------------------------------------------------------------

    def _on_repo_selected(self) -> None:
        items = self.repos.selectedItems()
        summary = items[0].data(0, OBJECT_ROLE) if items else None
        self._clear_files()
        if not isinstance(summary, hub.RepoSummary) or self._searched is None:
            return
        repo, source = summary.repo, self._searched
        if self._files_call is not None:
            self._files_call.abandon()
            self._files_call = None
        self._files_repo = repo
        if repo in self._files:
            self._fill_files(self._files[repo])
            return
        self._show(self.tr("Listing the files of {}…").format(repo))
        call = BackgroundCall(lambda: browse.repo_files(repo, source),
                              self.tr("Listing {}").format(repo))
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
        note = self.tr("{repo}: {n} GGUF files").format(repo=files.repo, n=len(files.files))
        if files.license:
            note += " · " + self.tr("license {}").format(files.license)
        if files.gated:
            note += " · " + self.tr("gated: accept its licence on the hub and set HF_TOKEN to "
                                    "download")
        if not files.files:
            note = self.tr("{} has no GGUF files.").format(files.repo)
        elif not whole:
            note += " · " + self.tr("all split into parts, which Lamplight cannot load yet")
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
                item.setText(self.STATUS, self.tr("split ({} parts)").format(parts))
                item.setToolTip(0, self.tr("One of {} parts of a split model; split models "
                                           "cannot be downloaded yet.").format(parts))
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
