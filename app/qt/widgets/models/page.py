"""The Models page: what is installed, what can be downloaded, and the downloads under way.

It acts on the user's behalf through core functions run off the GUI thread (`BackgroundCall`) and
through the `DownloadManager`; it never talks to the chat. Using a model is a request
(`useRequested`) that the main window carries out. Nothing here asks the hub for anything until
the user searches or downloads. The *Model source* above the tabs (`SourceBar`: the hub, a
mirror of it, or ModelScope) is where the catalog and the search download from.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.engine import speed
from app.core.models import browse, hub, names
from app.core.models.catalog import CatalogEntry, CatalogError, load_catalog
from app.core.models.library import (
    ModelEntry,
    check_import,
    delete_model,
    discover_models,
    import_model,
    list_models,
)
from app.core.settings.file import SettingsFile
from app.files import format_bytes
from app.qt import dialogs
from app.qt.appearance import ERROR_TEXT, ThemedStyle, set_style
from app.qt.design import RADIUS, SPACE
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.widgets.download_list import DownloadList
from app.qt.widgets.models.catalog_list import CatalogList
from app.qt.widgets.models.found_dialog import ImportFoundDialog
from app.qt.widgets.models.hub_search import HubSearch
from app.qt.widgets.models.installed_list import InstalledList
from app.qt.widgets.models.offer import Offer
from app.qt.widgets.models.source_bar import SourceBar
from app.qt.workers.background import BackgroundCall
from app.qt.workers.downloads import DownloadJob, DownloadManager, JobState

FOUND_BANNER = ThemedStyle(lambda c: (
    f"#foundBanner {{ background: {c.accent_soft}; border: 1px solid {c.selection};"
    f" border-radius: {RADIUS.medium}px; }}"))


log = logging.getLogger(__name__)
# The history's latest answers as (model file, model name, tokens a second, tokens).
AnswerSpeeds = Callable[[], list[tuple[str, str, float, int]]]
MAX_IMPORTS = 50  # files dropped or pasted at once; each header is read before asking


def check_files(models_dir: Path, sources: list[Path]) -> tuple[list[Path], list[str]]:
    """The files of `sources` that can be imported, and one line for each that cannot
    (blocking: run off the GUI thread)."""
    models, errors = [], []
    for source in sources:
        try:
            check_import(models_dir, source)
        except (OSError, ValueError) as exc:  # LibraryError is a ValueError
            errors.append(str(exc))
        else:
            models.append(source)
    return models, errors


class ModelsPage(QWidget):
    """Browse, download, import, delete and pick models.

    Signals:
        backRequested(): the user wants the chat back.
        useRequested(object): the user picked this `ModelEntry` to chat with.
        libraryChanged(): a model was installed, imported or deleted (the picker re-reads).
    """

    backRequested = Signal()
    useRequested = Signal(object)
    libraryChanged = Signal()

    def __init__(self, models_dir: Path, manager: DownloadManager, n_ctx: int,
                 catalog: list[CatalogEntry] | None = None, *,
                 answer_speeds: AnswerSpeeds | None = None,
                 settings: SettingsFile | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsPage")
        self.models_dir = models_dir
        self.manager = manager
        self._answer_speeds = answer_speeds
        self._calibrating: BackgroundCall | None = None
        self._preparing: set[str] = set()  # catalog keys whose hub details are being fetched
        self._calls: list[BackgroundCall] = []
        self._discovering: BackgroundCall | None = None
        self._found: list[tuple[str, Path]] = []
        self._closed = False

        catalog_error = None
        if catalog is None:
            try:
                catalog = load_catalog()
            except CatalogError as exc:
                catalog, catalog_error = [], self.tr("The catalog cannot be shown: {}").format(
                    exc)
        # Without the window's settings (a test), the source is chosen for this page alone.
        self.source_bar = SourceBar(settings if settings is not None else
                                    SettingsFile.in_memory())
        self.installed = InstalledList(models_dir, n_ctx)
        self.catalog = CatalogList(catalog, catalog_error, n_ctx)
        self.catalog.set_source_kind(self.source_bar.kind())
        self.hub_search = HubSearch(n_ctx, self.status_of, self.source_bar.source,
                                    self.source_bar.source_problem)
        self.tabs = self._build_tabs()
        self.download_list = DownloadList(manager)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE.m, SPACE.m, SPACE.m, SPACE.s)
        layout.addLayout(self._build_header())
        layout.addWidget(self.source_bar)
        layout.addWidget(self._build_found_banner())
        layout.addWidget(self.tabs, 1)
        layout.addLayout(self._build_footer())
        layout.addWidget(self.download_list)

        self.installed.selectionChanged.connect(self._update_download_button)
        self.installed.useRequested.connect(self.useRequested.emit)
        self.installed.deleteRequested.connect(self.delete_entry)
        self.catalog.selectionChanged.connect(self._update_download_button)
        self.catalog.downloadRequested.connect(self.download_selected)
        self.hub_search.selectionChanged.connect(self._update_download_button)
        self.hub_search.downloadRequested.connect(self.download_selected)
        self.tabs.currentChanged.connect(self._update_download_button)
        self.tabs.currentChanged.connect(self.clear_error)
        self.source_bar.sourceChanged.connect(self._on_source_changed)
        manager.added.connect(self._on_job_changed)
        manager.changed.connect(self._on_job_changed)
        manager.removed.connect(self._on_job_changed)
        manager.installed.connect(self._on_installed)
        # The installed list (and its header reads) waits for the page to be shown: an app
        # start that never opens it reads no model file.
        for key in self.catalog.row_keys():
            self._update_status(key)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _build_tabs(self) -> QTabWidget:
        tabs = QTabWidget()
        tabs.setObjectName("modelTabs")
        tabs.setDocumentMode(True)
        for widget in (self.installed, self.catalog, self.hub_search):
            tabs.addTab(widget, "")  # named in _retranslate
        return tabs

    def _retranslate(self) -> None:
        for widget, text in ((self.installed, self.tr("Installed")),
                             (self.catalog, self.tr("Catalog")),
                             (self.hub_search, self.tr("Search the hub"))):
            self.tabs.setTabText(self.tabs.indexOf(widget), text)
        self.back_button.setText(self.tr("← Back to chat"))
        self.title.setText("<b>" + self.tr("Models") + "</b>")
        self.import_button.setText(self.tr("Import .gguf…"))
        self.import_button.setToolTip(self.tr("Add a model file you already have"))
        self.folder_button.setText(self.tr("Open folder"))
        self.folder_button.setToolTip(plain_tooltip(
            f"{self.models_dir}\n" + self.tr(".gguf files put here are listed too")))
        self.review_button.setText(self.tr("Import…"))
        if self._found:
            self._on_discovered(self._found)
        for key in self.catalog.row_keys() + self.hub_search.row_keys():
            self._update_status(key)
        self._update_download_button()

    def _build_header(self) -> QHBoxLayout:
        back = self.back_button = QPushButton()
        back.setObjectName("backToChat")
        back.clicked.connect(self.backRequested.emit)
        title = self.title = QLabel()
        import_button = self.import_button = QPushButton()
        import_button.setObjectName("importModelButton")
        import_button.clicked.connect(self.choose_import)
        folder = self.folder_button = QPushButton()
        folder.setObjectName("openModelsFolder")
        folder.clicked.connect(self.open_folder)
        header = QHBoxLayout()
        header.addWidget(back)
        header.addSpacing(8)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(import_button)
        header.addWidget(folder)
        return header

    def open_folder(self) -> None:
        """Show the models folder in the file manager; where none opens (none installed, a
        sandbox, a remote session), say where the folder is, in text that can be copied."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.models_dir))):
            self.show_message(self.tr("No file manager opened. The models folder is:\n{}")
                              .format(self.models_dir))

    def _build_found_banner(self) -> QFrame:
        self.found_banner = QFrame()
        self.found_banner.setObjectName("foundBanner")
        set_style(self.found_banner, FOUND_BANNER)
        self.found_label = QLabel()
        self.found_label.setWordWrap(True)
        review = self.review_button = QPushButton()
        review.setObjectName("importFoundButton")
        review.clicked.connect(self.review_found)
        row = QHBoxLayout(self.found_banner)
        row.setContentsMargins(SPACE.s, SPACE.xs, SPACE.xs, SPACE.xs)
        row.addWidget(self.found_label, 1)
        row.addWidget(review)
        self.found_banner.hide()
        return self.found_banner

    def _build_footer(self) -> QHBoxLayout:
        self._message_is_error = False
        self.message = QLabel()
        self.message.setObjectName("modelsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.message.linkActivated.connect(self._on_link)
        self.message.hide()
        # One button for the catalog and the search: it acts on what the current tab has
        # selected, and says what that is ("Download 1.1 GB").
        self.download_button = QPushButton()
        self.download_button.setObjectName("downloadButton")
        self.download_button.setMinimumWidth(150)
        self.download_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.download_button.clicked.connect(self.download_selected)
        footer = QHBoxLayout()
        footer.addWidget(self.message, 1)
        footer.addStretch(0)  # keeps the button on the right while there is no message
        footer.addWidget(self.download_button, 0, Qt.AlignmentFlag.AlignTop)
        return footer

    # -- state shared with the window ------------------------------------------------------

    def refresh(self) -> None:
        """Re-read what is installed and what every list says about it."""
        self.installed.refresh()
        for key in self.catalog.row_keys() + self.hub_search.row_keys():
            self._update_status(key)
        self._update_download_button()

    def set_in_use(self, path: Path | None) -> None:
        """The model the chat has loaded (or is loading): it cannot be deleted."""
        self.installed.set_in_use(path)

    def show_message(self, text: str, error: bool = False, rich: bool = False) -> None:
        self.message.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.message.setText(text)
        set_style(self.message, ERROR_TEXT if error else None)
        self.message.setVisible(bool(text))
        self._message_is_error = error and bool(text)

    def clear_error(self) -> None:
        """An error said under the tabs no longer applies once the user moves on to another tab
        or the hub next answers: it must not stay on every tab."""
        if self._message_is_error:
            self.show_message("")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.source_bar.sync()  # Settings → App may have chosen another source meanwhile
        if self.catalog.kind != self.source_bar.kind():
            self._on_source_changed()
        self.refresh()
        self.discover()
        self.calibrate()

    def calibrate(self) -> None:
        """Estimate the catalog's speeds from the answers measured here: the history is asked
        for them (a bounded query), the model files' sizes are read off the GUI thread."""
        if self._answer_speeds is None or self._calibrating is not None or self._closed:
            return
        try:
            rows = self._answer_speeds()
        except Exception:  # the history unreadable (a StoreError...): the default stays
            log.warning("the answers' speeds could not be read", exc_info=True)
            return
        call = BackgroundCall(lambda: speed.calibrate(speed.measured(rows)),
                              self.tr("Estimating the models' speed"))
        call.done.connect(self._on_calibrated)
        call.failed.connect(lambda _message: self._on_calibrated(None))
        self._calibrating = call
        self._start(call)

    def _on_calibrated(self, bandwidth: speed.Bandwidth | None) -> None:
        self._calibrating = None
        if bandwidth is not None:
            self.catalog.set_bandwidth(bandwidth)

    def shutdown(self) -> None:
        """At quit: pause the downloads (kept for next time) and end every worker thread."""
        if self._closed:
            return
        self._closed = True
        self.manager.shutdown()
        BackgroundCall.stop_all()

    # -- downloading -----------------------------------------------------------------------

    def current_offer(self) -> Offer | None:
        current = self.tabs.currentWidget()
        if current is self.catalog:
            return self.catalog.selected_offer()
        if current is self.hub_search:
            return self.hub_search.selected_offer()
        return None

    def _job_of(self, offer: Offer) -> DownloadJob | None:
        """The download of `offer`'s file, from whichever source it was started."""
        return next((job for key in offer.keys if (job := self.manager.job(key)) is not None),
                    None)

    def status_of(self, offer: Offer) -> str:
        """A list's Status cell for a downloadable file."""
        job = self._job_of(offer)
        if job is not None:
            percent = f"{100 * job.progress.fraction:.0f}%"
            if job.state is JobState.RUNNING:
                return self.tr("downloading {}").format(percent)
            if job.state is JobState.PAUSED:
                return self.tr("paused at {}").format(percent)
            if job.state is JobState.FAILED:
                return self.tr("failed")
            return self.tr("pausing…") if job.state is JobState.PAUSING else \
                self.tr("cancelling…")
        if offer.key in self._preparing:
            return self.tr("preparing…")
        return self.tr("installed") if offer.is_installed(self.models_dir) else ""

    def _update_status(self, key: str) -> None:
        for entry in self.catalog.entries_for(key):
            text = self.status_of(self.catalog.offer_of(entry))
            if not text and not self.catalog.available(entry):
                text = self.tr("not on ModelScope")
            self.catalog.set_status(entry.key, text)
        item = self.hub_search.file_rows.get(key)
        if item is not None:
            offer = item.data(0, Qt.ItemDataRole.UserRole)
            if isinstance(offer, Offer):
                self.hub_search.set_status(key, self.status_of(offer))

    def _update_download_button(self) -> None:
        offer = self.current_offer()
        button = self.download_button
        job = self._job_of(offer) if offer else None
        entry = self.catalog.selected_entry() if self.tabs.currentWidget() is self.catalog \
            else None
        if offer is None:
            text, enabled = self.tr("Download"), False
        elif job is not None:
            resumable = job.state in (JobState.PAUSED, JobState.FAILED)
            text = self.tr("Resume download") if resumable else self.tr("Downloading…")
            enabled = resumable
        elif offer.key in self._preparing:
            text, enabled = self.tr("Preparing…"), False
        elif offer.is_installed(self.models_dir):
            text, enabled = self.tr("Installed"), False
        elif entry is not None and not self.catalog.available(entry):
            text, enabled = self.tr("Not on ModelScope"), False
        elif offer.target(self.models_dir) is None:
            text, enabled = self.tr("Unsafe file name"), False
        else:
            text, enabled = self.tr("Download {}").format(format_bytes(offer.size)), True
        button.setVisible(self.tabs.currentWidget() is not self.installed)
        button.setText(text)
        button.setEnabled(enabled)
        button.setToolTip(plain_tooltip(f"{offer.repo}\n{offer.filename}") if offer else
                          self.tr("Select a model in the catalog, or a file of a repo you "
                                  "searched for"))

    def download_selected(self) -> None:
        offer = self.current_offer()
        if offer is None or offer.key in self._preparing:
            return
        job = self._job_of(offer)
        entry = self.catalog.selected_entry() if self.tabs.currentWidget() is self.catalog \
            else None
        if job is not None:
            self.manager.resume(job.key)  # from the source it started from
        elif offer.is_installed(self.models_dir):
            self.show_message(self.tr("{} is installed already.").format(offer.filename))
        elif entry is not None and not self.catalog.available(entry):
            self.show_message(self.tr("{} is not on ModelScope: choose Hugging Face or a mirror "
                                      "as the model source to download it.").format(entry.label),
                              error=True)
        elif offer.remote is not None:
            self._start_download(offer.remote)
        else:
            self._prepare(offer)
        self._update_download_button()

    def _start_download(self, remote: hub.RemoteFile) -> None:
        try:
            self.manager.start(remote)
        except hub.HubError as exc:  # a file name that would leave the models folder
            self.show_message(str(exc), error=True)

    def _prepare(self, offer: Offer) -> None:
        """A catalog entry names a file; its source gives the commit and hash to download it
        by."""
        source = self.source_bar.source()
        if source is None:
            self.show_message(self.source_bar.source_problem(), error=True)
            return
        self._preparing.add(offer.key)
        self._update_status(offer.key)
        call = BackgroundCall(lambda: browse.repo_files(offer.repo, source),
                              self.tr("Asking {source} about {repo}").format(
                                  source=source.label, repo=offer.repo))
        call.done.connect(lambda files: self._on_prepared(offer, files))
        call.failed.connect(lambda message: self._on_prepare_failed(offer, message))
        self._start(call)

    def _on_prepared(self, offer: Offer, files: hub.RepoFiles) -> None:
        self._preparing.discard(offer.key)
        self.clear_error()  # the hub answered
        remote = files.find(offer.filename)
        if remote is None:
            self.show_message(self.tr("{repo} no longer has {file}; search for another file of "
                                      "this model.").format(repo=offer.repo,
                                                            file=offer.filename), error=True)
        else:
            self._start_download(remote)
        self._update_status(offer.key)
        self._update_download_button()

    def _on_prepare_failed(self, offer: Offer, message: str) -> None:
        self._preparing.discard(offer.key)
        self.show_message(message, error=True)
        self._update_status(offer.key)
        self._update_download_button()

    def _on_source_changed(self) -> None:
        """Another source: the catalog offers its repos, the search's results are dropped."""
        self.catalog.set_source_kind(self.source_bar.kind())
        self.hub_search.source_changed()
        self.clear_error()
        for key in self.catalog.row_keys():
            self._update_status(key)
        self._update_download_button()

    def _on_job_changed(self, key: str) -> None:
        self._update_status(key)
        offer = self.current_offer()
        if offer is not None and offer.key == key:
            self._update_download_button()

    def _on_installed(self, path: Path) -> None:
        self.show_message(self.tr("Installed {}.").format(html.escape(names.of(path))) +
                          f" <a href='use:{html.escape(str(path))}'>" +
                          html.escape(self.tr("Use it now")) + "</a>", rich=True)
        self.refresh()
        self.libraryChanged.emit()

    def _on_link(self, link: str) -> None:
        if link.startswith("use:"):
            path = Path(link.removeprefix("use:"))
            entry = next((e for e in list_models(self.models_dir) if e.path == path), None)
            if entry is not None:
                self.useRequested.emit(entry)

    # -- importing -------------------------------------------------------------------------

    def choose_import(self) -> None:
        """Ask for a file, check it, then ask whether to copy it or use it where it is."""
        source = dialogs.model_file_to_import(self)
        if source is not None:
            self.offer_import([source])

    def offer_import(self, sources: list[Path]) -> None:
        """Import model files the user chose, dropped or pasted: each is checked first (its
        header read off the GUI thread), a file that is no model refused with one line, and
        only then is copy-or-link asked, for the ones that are."""
        sources = list(dict.fromkeys(sources))
        if len(sources) > MAX_IMPORTS:
            self.show_message(self.tr("{n} files: import at most {most} models at a time.")
                              .format(n=len(sources), most=MAX_IMPORTS), error=True)
            return
        what = sources[0].name if len(sources) == 1 else \
            self.tr("{} files").format(len(sources))
        self.show_message(self.tr("Checking {}…").format(what))
        call = BackgroundCall(lambda: check_files(self.models_dir, sources),
                              self.tr("Checking {}").format(what))
        call.done.connect(self._on_checked)
        call.failed.connect(lambda message: self.show_message(message, error=True))
        self._start(call)

    def _on_checked(self, result: tuple[list[Path], list[str]]) -> None:
        models, errors = result
        self.show_message("\n".join(errors), error=True)  # nothing to say clears the line
        if not models or self._closed:
            return
        copy = dialogs.import_by_copy(self, models)
        if copy is not None:
            self.import_files(models, copy=copy)

    def import_files(self, sources: list[Path], copy: bool) -> None:
        """Import on a worker thread (a copy of a big model takes a while)."""
        what = sources[0].name if len(sources) == 1 else \
            self.tr("{} models").format(len(sources))
        self.show_message((self.tr("Copying {}…") if copy else self.tr("Adding {}…")).format(what))

        def run() -> tuple[list[ModelEntry], list[str]]:
            imported, errors = [], []
            for source in sources:
                try:
                    imported.append(import_model(self.models_dir, source, copy=copy))
                except (OSError, ValueError) as exc:  # LibraryError is a ValueError
                    errors.append(str(exc))
            return imported, errors

        call = BackgroundCall(run, self.tr("Importing {}").format(what))
        call.done.connect(self._on_imported)
        call.failed.connect(lambda message: self.show_message(message, error=True))
        self._start(call)

    def _on_imported(self, result: tuple[list[ModelEntry], list[str]]) -> None:
        imported, errors = result
        if imported:
            self.refresh()
            self.installed.select_path(imported[-1].path)
            self.tabs.setCurrentWidget(self.installed)
            self.libraryChanged.emit()
            self.discover()
        if errors:
            self.show_message("\n".join(errors), error=True)
        elif len(imported) == 1:
            path = imported[0].path
            self.show_message(self.tr("Imported {}.").format(
                html.escape(imported[0].display_name)) + f" <a href='use:"
                f"{html.escape(str(path))}'>" + html.escape(self.tr("Use it now")) + "</a>",
                rich=True)
        else:
            self.show_message(self.tr("Imported {} models.").format(len(imported)))

    def discover(self) -> None:
        """Look for models other apps downloaded (local folders only), on a worker thread."""
        if self._discovering is not None or self._closed:
            return
        call = BackgroundCall(lambda: discover_models(self.models_dir),
                              self.tr("Looking for models of other apps"))
        call.done.connect(self._on_discovered)
        call.failed.connect(lambda _message: self._on_discovered([]))
        self._discovering = call
        self._start(call)

    def _on_discovered(self, found: list[tuple[str, Path]]) -> None:
        self._discovering = None
        self._found = found
        if found:
            places = ", ".join(dict.fromkeys(where for where, _ in found))
            text = (self.tr("1 model from {places} found on this computer.") if len(found) == 1
                    else self.tr("{n} models from {places} found on this computer."))
            self.found_label.setText(text.format(n=len(found), places=places))
        self.found_banner.setVisible(bool(found))

    def review_found(self) -> ImportFoundDialog:
        dialog = ImportFoundDialog(self._found, self)
        dialog.accepted.connect(lambda: self.import_files(dialog.chosen(), copy=dialog.copy))
        dialog.open()
        return dialog

    # -- deleting --------------------------------------------------------------------------

    def delete_entry(self, entry: ModelEntry) -> QMessageBox | None:
        """Ask, then delete the file (or forget a linked one). Never the model in use."""
        if entry.path == self.installed.in_use:
            self.show_message(self.tr("{} is in use by the chat: pick another model first.")
                              .format(entry.display_name), error=True)
            return None
        if entry.builtin:
            self.show_message(self.tr("The built-in model is part of the installation."),
                              error=True)
            return None
        if entry.reference:
            text = self.tr("Remove {} from Lamplight?").format(entry.display_name)
            detail = self.tr("The file stays where it is:\n{}").format(entry.path)
            action = self.tr("Remove")
        else:
            size = entry.path.stat().st_size if entry.path.exists() else 0
            text = self.tr("Delete {name} ({size})?").format(name=entry.display_name,
                                                              size=format_bytes(size))
            detail = self.tr("The file will be deleted:\n{}").format(entry.path)
            action = self.tr("Delete")
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Delete model"), text, parent=self)
        box.setObjectName("confirmDelete")
        box.setInformativeText(detail)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file's name and path, as they are
        confirm = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.finished.connect(lambda _result: self._on_delete_answered(box, confirm, entry))
        box.open()
        return box

    def _on_delete_answered(self, box: QMessageBox, confirm: QPushButton,
                            entry: ModelEntry) -> None:
        confirmed = box.clickedButton() is confirm
        box.deleteLater()
        if not confirmed:
            return
        if entry.path == self.installed.in_use:  # picked in the chat while the box was open
            self.show_message(self.tr("{} is in use by the chat: pick another model first.")
                              .format(entry.display_name), error=True)
            return
        try:
            delete_model(self.models_dir, entry)
        except (OSError, ValueError) as exc:
            self.show_message(self.tr("Cannot delete {name}: {why}").format(
                name=entry.display_name, why=exc), error=True)
            return
        done = self.tr("Removed {}.") if entry.reference else self.tr("Deleted {}.")
        self.show_message(done.format(entry.display_name))
        self.refresh()
        self.libraryChanged.emit()

    # -- helpers ---------------------------------------------------------------------------

    def _start(self, call: BackgroundCall) -> None:
        self._calls = [c for c in self._calls if c.is_running()]
        self._calls.append(call)
        call.start()
