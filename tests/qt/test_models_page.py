"""The Models page on the real window: the catalog, a hub search and real downloads from the local
hub stand-in, pause/resume/cancel, import, delete, and switching the chat's model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.core.engine.cancel import CancelToken
from app.core.models import hub as hub_mod
from app.core.models.catalog import CatalogEntry, load_catalog
from app.core.models.download import Download, DownloadInterrupted, Progress
from app.core.models.library import builtin_model_path
from app.core.models.sources import Source
from app.core.settings.file import SettingsFile
from app.files import format_bytes
from app.paths import AppPaths
from app.qt import dialogs
from app.qt.application import build_window
from app.qt.main_window import MainWindow
from app.qt.widgets.models.found_dialog import ImportFoundDialog
from app.qt.widgets.models.page import ModelsPage
from app.qt.workers.downloads import DownloadManager, JobState
from tests.hubstandin import HubStandIn
from tests.modelscope_standin import ModelScopeStandIn

pytestmark = [pytest.mark.qt]

REPO = "lamplight-test/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
KEY = f"{REPO}/{FILE}"
TIMEOUT_MS = 60_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def served(hub: HubStandIn, smollm2_path: Path) -> HubStandIn:
    hub.add_repo(REPO, downloads=10, likes=2)
    hub.add_file(REPO, FILE, smollm2_path)
    hub.add_file(REPO, "SmolLM2-135M-Instruct.Q8_0-00001-of-00002.gguf", b"GGUF part")
    hub.add_file(REPO, "README.md", b"# card\n", lfs=False)
    return hub


def open_page(qtbot, win: MainWindow) -> ModelsPage:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(win.findChild(QToolButton, "manageModelsButton"), LEFT)  # the top bar's icon
    assert win.pages.currentWidget() is win.models_page
    return win.models_page


def search_and_pick(qtbot, page: ModelsPage, query: str, filename: str) -> None:  # type: ignore[no-untyped-def]
    page.tabs.setCurrentWidget(page.hub_search)
    box = page.findChild(QLineEdit, "modelSearch")
    qtbot.keyClicks(box, query)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    files = page.hub_search.files
    qtbot.waitUntil(lambda: files.topLevelItemCount() > 0, timeout=TIMEOUT_MS)
    assert page.hub_search.select_file(filename)


def download_row(page: ModelsPage, key: str = KEY):  # type: ignore[no-untyped-def]
    row = page.download_list.row(key)
    assert row is not None
    return row


def installed_paths(page: ModelsPage) -> list[Path]:
    return [e.path for e in page.installed.entries() if not e.builtin]


def test_the_page_opens_from_the_button_and_the_picker_and_asks_the_hub_nothing(
        qtbot, window: MainWindow, served: HubStandIn) -> None:  # type: ignore[no-untyped-def]
    page = open_page(qtbot, window)
    assert window.findChild(QWidget, "modelsPage") is page
    assert isinstance(page.findChild(QLineEdit, "modelSearch"), QLineEdit)
    button = page.findChild(QPushButton, "downloadButton")
    assert isinstance(button, QPushButton)
    assert not button.isVisible()  # the Installed tab has nothing to download

    qtbot.mouseClick(page.findChild(QPushButton, "backToChat"), LEFT)
    assert window.pages.currentWidget() is window.chat_page

    picker = window.model_picker
    last = picker.count() - 1
    assert picker.itemText(last) == "Manage models…"
    assert "built-in" in picker.currentText()
    picker.setCurrentIndex(last)  # as the popup does, then `activated`
    picker.activated.emit(last)
    assert window.pages.currentWidget() is page
    assert "built-in" in picker.currentText()  # the choice before stays, nothing is loaded
    assert window.controller.entry is None

    # The catalog, with a fit badge whose tooltip has the numbers.
    page.tabs.setCurrentWidget(page.catalog)
    tree = page.catalog.tree
    assert tree.topLevelItemCount() == len(load_catalog())
    first = tree.topLevelItem(0)
    assert first.text(page.catalog.FIT) in ("fits", "tight", "too big")
    assert "needs" in first.toolTip(page.catalog.FIT)
    assert not button.isEnabled()
    tree.setCurrentItem(first)
    assert button.isEnabled() and button.text().startswith("Download ")
    assert load_catalog()[0].description in page.catalog.description.text()

    # Installed: the built-in model, its header read off the GUI thread.
    page.tabs.setCurrentWidget(page.installed)
    row = page.installed.tree.topLevelItem(0)
    qtbot.waitUntil(lambda: page.installed.tree.topLevelItem(0).text(1) == "135M")
    row = page.installed.tree.topLevelItem(0)
    assert row.text(6) == "built-in"
    assert row.text(3) == format_bytes(builtin_model_path().stat().st_size)  # not its mtime
    assert "needs" in row.toolTip(page.installed.FIT)
    assert served.requests == []  # neither the start nor the page asked the hub anything


def test_searching_offline_says_why_and_sends_nothing(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    page = open_page(qtbot, window)
    page.tabs.setCurrentWidget(page.hub_search)
    box = page.findChild(QLineEdit, "modelSearch")
    qtbot.keyClicks(box, "qwen")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    message = page.hub_search.message
    qtbot.waitUntil(lambda: "HF_HUB_OFFLINE" in message.text())
    assert page.hub_search.repos.topLevelItemCount() == 0


def test_download_pause_resume_install_and_use(qtbot, window: MainWindow, served: HubStandIn,  # type: ignore[no-untyped-def]
                                               paths: AppPaths, smollm2_path: Path) -> None:
    page = open_page(qtbot, window)
    served.throttle(20_000_000)
    search_and_pick(qtbot, page, "smollm2", FILE)
    assert page.hub_search.repos.topLevelItem(0).text(0) == REPO
    files = page.hub_search.files
    split = next(files.topLevelItem(i) for i in range(files.topLevelItemCount())
                 if "00001-of-00002" in files.topLevelItem(i).text(0))
    assert not split.flags() & Qt.ItemFlag.ItemIsEnabled  # split files cannot be chosen
    assert files.topLevelItemCount() == 2  # GGUF files only

    button = page.download_button
    assert button.isEnabled() and button.text() == "Download 98.4 MB"
    qtbot.mouseClick(button, LEFT)
    row = download_row(page)
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=TIMEOUT_MS)
    assert "MB of 98.4 MB" in row.detail.text()
    assert "Downloading 1 model" in window.status.downloads.text()
    assert not button.isEnabled() and button.text() == "Downloading…"

    qtbot.mouseClick(row.pause_button, LEFT)
    job = window.downloads.job(KEY)
    assert job is not None
    qtbot.waitUntil(lambda: job.state is JobState.PAUSED, timeout=TIMEOUT_MS)
    part = job.download.part
    kept = part.stat().st_size
    assert 0 < kept < smollm2_path.stat().st_size
    assert not job.download.path.exists()
    assert row.pause_button.text() == "Resume"
    assert "paused" in row.detail.text()
    assert "1 download paused" in window.status.downloads.text()

    served.throttle(None)
    with qtbot.waitSignal(window.downloads.installed, timeout=TIMEOUT_MS) as done:
        qtbot.mouseClick(row.pause_button, LEFT)
    path = done.args[0]
    assert path == paths.models_dir / "lamplight-test" / "SmolLM2-135M-Instruct-GGUF" / FILE
    assert path.stat().st_size == smollm2_path.stat().st_size
    ranges = [r.headers.get("range") for r in served.requests if r.path.endswith(FILE)
              and r.method == "GET"]
    assert ranges[-1] is not None and ranges[-1].startswith("bytes=")
    assert int(ranges[-1][6:-1]) >= kept
    assert not list(paths.models_dir.rglob("*.part*"))
    assert page.download_list.row(KEY) is None and not page.download_list.isVisible()
    assert not window.status.downloads.isVisible()
    assert path in installed_paths(page)
    assert page.hub_search.file_rows[KEY].text(page.hub_search.STATUS) == "installed"
    assert button.text() == "Installed" and not button.isEnabled()
    picker = window.model_picker
    assert any(picker.itemText(i) == "SmolLM2 135M Instruct · Q4_1" for i in range(picker.count()))

    # "Use" switches the chat to it.
    page.tabs.setCurrentWidget(page.installed)
    assert page.installed.select_path(path)
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS) as loaded:
        qtbot.mouseClick(page.findChild(QPushButton, "useModelButton"), LEFT)
    assert loaded.args[0].path == path
    assert window.pages.currentWidget() is window.chat_page
    assert picker.current_entry() is not None and picker.current_entry().path == path
    assert window.controller.entry is not None and window.controller.entry.path == path


def test_cancel_stops_the_download_and_deletes_the_part(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                        served: HubStandIn,
                                                        paths: AppPaths) -> None:
    page = open_page(qtbot, window)
    served.throttle(10_000_000)
    search_and_pick(qtbot, page, "smollm2", FILE)
    qtbot.mouseClick(page.download_button, LEFT)
    row = download_row(page)
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=TIMEOUT_MS)
    job = window.downloads.job(KEY)
    assert job is not None and job.download.part.exists()
    with qtbot.waitSignal(window.downloads.removed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(row.cancel_button, LEFT)
    assert not job.download.part.exists() and not job.download.note.exists()
    assert not list(paths.models_dir.rglob("*.gguf*"))
    assert page.download_list.row(KEY) is None
    assert page.download_button.isEnabled()  # it can be downloaded again


def test_a_hash_mismatch_shows_the_error_and_installs_nothing(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                              hub: HubStandIn, paths: AppPaths,
                                                              smollm2_path: Path) -> None:
    hub.add_repo(REPO)
    hub.add_file(REPO, FILE, smollm2_path, advertised_sha256="0" * 64)
    page = open_page(qtbot, window)
    search_and_pick(qtbot, page, "smollm2", FILE)
    with qtbot.waitSignal(window.downloads.failed, timeout=TIMEOUT_MS) as failed:
        qtbot.mouseClick(page.download_button, LEFT)
    assert "SHA-256" in failed.args[1]
    row = download_row(page)
    assert "SHA-256" in row.detail.text()
    assert row.pause_button.text() == "Retry"
    assert not list(paths.models_dir.rglob("*.gguf*"))
    assert installed_paths(page) == []
    with qtbot.waitSignal(window.downloads.removed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(row.cancel_button, LEFT)


def test_a_catalog_model_downloads_by_its_name(qtbot, window: MainWindow, hub: HubStandIn,  # type: ignore[no-untyped-def]
                                               paths: AppPaths, smollm2_path: Path) -> None:
    entry = load_catalog()[0]
    hub.add_repo(entry.repo)
    hub.add_file(entry.repo, entry.file, smollm2_path)  # its bytes do not matter here
    page = open_page(qtbot, window)
    page.tabs.setCurrentWidget(page.catalog)
    page.catalog.tree.setCurrentItem(page.catalog.tree.topLevelItem(0))
    with qtbot.waitSignal(window.downloads.installed, timeout=TIMEOUT_MS) as done:
        qtbot.mouseClick(page.download_button, LEFT)
    assert done.args[0] == paths.models_dir.joinpath(*entry.repo.split("/"), entry.file)
    assert page.catalog.tree.topLevelItem(0).text(page.catalog.STATUS) == "installed"
    assert page.download_button.text() == "Installed"
    assert "Use it now" in page.message.text()


def test_importing_a_file_that_is_not_a_model_says_why(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                       tmp_path: Path) -> None:
    notes = tmp_path / "notes.gguf"
    notes.write_text("shopping list: bread, milk\n" * 10)
    page = open_page(qtbot, window)
    page.import_files([notes], copy=True)
    qtbot.waitUntil(lambda: "not a GGUF" in page.message.text())
    assert page.message.isVisible()
    assert installed_paths(page) == []


def test_a_damaged_file_in_the_folder_is_marked_and_cannot_be_used(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths) -> None:
    (paths.models_dir / "half-downloaded.gguf").write_bytes(b"GGUF" + bytes(range(256)) * 8)
    page = open_page(qtbot, window)
    installed = page.installed

    def row():  # type: ignore[no-untyped-def]  # the list is rebuilt once the headers are read
        tree = installed.tree
        return next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                    if tree.topLevelItem(i).text(0) == "Half downloaded")

    qtbot.waitUntil(lambda: row().text(installed.FIT) == "unreadable")
    item = row()
    assert "unreadable" in item.toolTip(0)
    installed.tree.setCurrentItem(item)
    assert not installed.use_button.isEnabled()
    with qtbot.assertNotEmitted(installed.useRequested):
        installed.tree.itemDoubleClicked.emit(item, 0)
    assert "unreadable" in installed.detail.text()
    assert installed.detail.styleSheet()  # in the error colour
    installed.tree.setCurrentItem(installed.tree.topLevelItem(0))  # the built-in model
    assert installed.use_button.isEnabled()
    assert not installed.detail.styleSheet()


def test_import_by_reference_use_it_and_the_model_in_use_cannot_be_deleted(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, gemma_path: Path) -> None:
    page = open_page(qtbot, window)
    with qtbot.waitSignal(page.libraryChanged, timeout=TIMEOUT_MS):
        page.import_files([gemma_path], copy=False)
    assert installed_paths(page) == [gemma_path]
    entry = page.installed.selected_entry()
    assert entry is not None and entry.reference
    assert any(window.model_picker.itemText(i) == "Gemma 3 270m · Q4_K_M"
               for i in range(window.model_picker.count()))
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS) as loaded:
        qtbot.mouseClick(page.installed.use_button, LEFT)
    assert loaded.args[0].path == gemma_path
    window.show_models()
    assert page.installed.select_path(gemma_path)
    assert "in use" in page.installed.tree.currentItem().text(0)
    assert not page.installed.delete_button.isEnabled()
    assert page.delete_entry(entry) is None
    assert "in use" in page.message.text()
    assert gemma_path.exists()


def test_delete_asks_first(qtbot, window: MainWindow, paths: AppPaths,  # type: ignore[no-untyped-def]
                           gemma_path: Path) -> None:
    page = open_page(qtbot, window)
    with qtbot.waitSignal(page.libraryChanged, timeout=TIMEOUT_MS):
        page.import_files([gemma_path], copy=True)
    copied = paths.models_dir / "imported" / gemma_path.name
    assert installed_paths(page) == [copied]
    entry = page.installed.selected_entry()
    assert entry is not None

    box = page.delete_entry(entry)
    assert isinstance(box, QMessageBox) and "Delete" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert copied.exists()

    qtbot.mouseClick(page.installed.delete_button, LEFT)
    box = next(b for b in page.findChildren(QMessageBox, "confirmDelete") if b.isVisible())
    with qtbot.waitSignal(page.libraryChanged):
        next(b for b in box.buttons() if b.text() == "Delete").click()
    assert not copied.exists()
    assert installed_paths(page) == []
    assert all(not window.model_picker.itemText(i).startswith("Gemma 3")
               for i in range(window.model_picker.count()))
    assert gemma_path.exists()


def test_models_of_other_apps_are_found_and_imported(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                     gemma_path: Path) -> None:
    snapshot = Path(os.environ["HF_HOME"]) / "hub" / "models--google--gemma" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / gemma_path.name).symlink_to(gemma_path)  # as the hub's cache keeps files
    page = open_page(qtbot, window)
    qtbot.waitUntil(page.found_banner.isVisible)
    assert "Hugging Face cache" in page.found_label.text()
    qtbot.mouseClick(page.findChild(QPushButton, "importFoundButton"), LEFT)
    dialog = page.findChild(ImportFoundDialog)
    assert dialog is not None and dialog.chosen() == [snapshot / gemma_path.name]
    assert not dialog.copy
    with qtbot.waitSignal(page.libraryChanged, timeout=TIMEOUT_MS):
        dialog.import_button.click()
    assert installed_paths(page) == [snapshot / gemma_path.name]
    assert page.installed.tree.currentItem().text(6) == "linked"
    qtbot.waitUntil(lambda: not page.found_banner.isVisible())


def test_quitting_pauses_downloads_and_the_next_start_lists_them(qtbot, served: HubStandIn,  # type: ignore[no-untyped-def]
                                                                 paths: AppPaths) -> None:
    # An earlier run, cut off: part of the file and its note are on disk.
    remote = hub_mod.repo_files(REPO).find(FILE)
    assert remote is not None
    token = CancelToken()

    def stop_early(progress: Progress) -> None:
        if progress.done > 0:
            token.cancel()

    with pytest.raises(DownloadInterrupted):
        Download(paths.models_dir, remote).run(token, stop_early)
    before = len(served.requests)

    win, host = build_window(paths)
    qtbot.addWidget(win)
    try:
        win.show()
        page = open_page(qtbot, win)
        row = download_row(page)
        assert row.pause_button.text() == "Resume"
        assert "paused" in row.detail.text() and row.bar.value() > 0
        assert "1 download paused" in win.status.downloads.text()
        assert len(served.requests) == before  # listed from disk; the hub is not asked

        served.throttle(5_000_000)
        qtbot.mouseClick(row.pause_button, LEFT)  # Resume
        job = win.downloads.job(KEY)
        assert job is not None
        qtbot.waitUntil(lambda: job.progress.speed > 0, timeout=TIMEOUT_MS)
        win.shutdown()  # as on quit: the running download pauses and its thread ends
        assert not job.active
        assert job.download.part.exists() and job.download.note.exists()
    finally:
        win.shutdown()
        host.shutdown()
    assert [d.remote for d in Download.pending(paths.models_dir)] == [remote]


def test_a_network_error_is_said_in_words_and_does_not_stay_on_every_tab(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline, a catalog download said "[Errno -2] Name or service not known", and the line
    stayed under every tab after that."""
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.lamplight.invalid")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    page = open_page(qtbot, window)
    page.tabs.setCurrentWidget(page.catalog)
    page.catalog.tree.setCurrentItem(page.catalog.tree.topLevelItem(0))
    qtbot.mouseClick(page.download_button, LEFT)
    qtbot.waitUntil(page.message.isVisible, timeout=TIMEOUT_MS)
    assert page.message.text().startswith("No network connection")
    page.tabs.setCurrentWidget(page.installed)
    assert not page.message.isVisible()  # it was about the catalog's download


def test_a_model_has_one_name_in_the_picker_the_page_the_status_bar_and_its_answers(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths, gemma_path: Path) -> None:
    # Named as llama.cpp names its output: the header's name is the better one, wherever shown.
    (paths.models_dir / "ggml-model-Q4_K_M.gguf").symlink_to(gemma_path)
    shown = "Gemma 3 270m · Q4_K_M"
    picker = window.model_picker
    with qtbot.waitSignal(picker.namesLearned, timeout=TIMEOUT_MS):
        picker.refresh()  # as when it opens: the new file's header is read off the GUI thread
    index = next(i for i in range(picker.count()) if picker.itemText(i) == shown)
    assert "ggml-model-Q4_K_M.gguf" in picker.itemData(index, Qt.ItemDataRole.ToolTipRole)

    page = open_page(qtbot, window)
    installed = page.installed
    qtbot.waitUntil(lambda: installed.select_path(paths.models_dir / "ggml-model-Q4_K_M.gguf")
                    and installed.tree.currentItem().text(2) == "Q4_K_M", timeout=TIMEOUT_MS)
    assert installed.tree.currentItem().text(0) == shown
    assert installed.detail.text().startswith(f"{shown} · gemma3")

    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(installed.use_button, LEFT)
    assert window.status.model.text() == shown
    window.composer.setPlainText("Hello?")
    with qtbot.waitSignal(window.controller.answerFinished, timeout=TIMEOUT_MS):
        window.composer.submit()
    answer = window.controller.conversation.path()[-1]
    assert answer.role == "assistant" and answer.model_name == shown
    assert window.controller.conversation.model == shown
    # The key per-model settings are kept under is still the file's.
    assert window.controller.entry is not None
    assert window.controller.entry.name == "ggml-model-Q4_K_M"


def test_import_checks_the_file_before_asking_copy_or_link(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = tmp_path / "notes.gguf"
    notes.write_text("shopping list: bread, milk\n" * 10)
    asked: list[object] = []
    monkeypatch.setattr(dialogs, "model_file_to_import", lambda _parent: notes)
    monkeypatch.setattr(dialogs, "import_by_copy", lambda _parent, sources: asked.append(sources))
    page = open_page(qtbot, window)
    qtbot.mouseClick(page.findChild(QPushButton, "importModelButton"), LEFT)
    qtbot.waitUntil(lambda: "not a GGUF" in page.message.text(), timeout=TIMEOUT_MS)
    assert page.message.text().count("\n") == 0  # one line
    assert asked == []  # refused before any question
    assert installed_paths(page) == []


def test_a_gguf_dropped_or_pasted_on_the_window_is_offered_as_a_model(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path, gemma_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[list[Path]] = []

    def use_in_place(_parent: QWidget, sources: list[Path]) -> bool:
        asked.append(sources)
        return False

    monkeypatch.setattr(dialogs, "import_by_copy", use_in_place)
    dropped, pasted = tmp_path / "dropped.gguf", tmp_path / "pasted.GGUF"
    dropped.symlink_to(gemma_path)
    pasted.symlink_to(gemma_path)
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nA document.\n", encoding="utf-8")
    files = QMimeData()  # held here: an event does not own its mime data
    files.setUrls([QUrl.fromLocalFile(str(dropped)), QUrl.fromLocalFile(str(notes))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, files, LEFT,
                      Qt.KeyboardModifier.NoModifier)
    page = window.models_page
    enter = QDragEnterEvent(QPointF(10, 10).toPoint(), Qt.DropAction.CopyAction, files, LEFT,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(page.libraryChanged, timeout=TIMEOUT_MS):
        QApplication.sendEvent(window, drop)
    assert window.pages.currentWidget() is page
    assert asked == [[dropped]]
    assert installed_paths(page) == [dropped]
    # The document beside it is attached as ever; the model is not read as one.
    qtbot.waitUntil(lambda: bool(window.attachments.documents()), timeout=TIMEOUT_MS)
    assert [d.name for d in window.attachments.documents()] == ["notes.md"]

    window.show_chat()
    with qtbot.waitSignal(page.libraryChanged, timeout=TIMEOUT_MS):
        window.composer.pastedFiles.emit([pasted])
    assert window.pages.currentWidget() is page
    assert asked[-1] == [pasted]
    assert pasted in installed_paths(page)
    assert [d.name for d in window.attachments.documents()] == ["notes.md"]


def test_open_folder_says_where_the_folder_is_when_no_file_manager_opens(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QUrl] = []

    def no_file_manager(url: QUrl) -> bool:
        opened.append(url)
        return False

    monkeypatch.setattr(QDesktopServices, "openUrl", no_file_manager)
    page = open_page(qtbot, window)
    qtbot.mouseClick(page.findChild(QPushButton, "openModelsFolder"), LEFT)
    assert opened == [QUrl.fromLocalFile(str(paths.models_dir))]
    assert page.message.isVisible()
    assert str(paths.models_dir) in page.message.text()
    assert page.message.textFormat() == Qt.TextFormat.PlainText  # the path as it is
    flags = page.message.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse  # it can be copied


def test_the_catalog_estimates_each_models_speed_from_the_answers_measured_here(  # type: ignore[no-untyped-def]
        qtbot, paths: AppPaths, engine, smollm2_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.chat.conversation import Conversation, Message
    from app.core.chat.store import ConversationStore
    from app.core.engine import GenerationStats, fit, speed
    from app.qt.widgets.models.fit_badge import rough_estimate

    monkeypatch.setattr(fit, "available_memory", lambda: 2**40)  # every catalog model fits
    store = ConversationStore.open_in(paths.data_dir)  # the history of earlier sessions
    chat = Conversation(model="SmolLM2 135M Instruct", model_path=str(smollm2_path))
    question = store.add_message(chat, Message("user", "Hello?"))
    for tokens in (80, 100, 120):  # written in 2 s each: 40, 50 and 60 tokens a second
        answer = store.add_message(chat, Message("assistant", "", streaming=True,
                                                 model_name=chat.model, parent_id=question.id))
        answer.content, answer.streaming = "Hi.", False
        answer.stats = GenerationStats(5, tokens, 0.1, 2.0, "stop")
        store.finish_message(chat, answer)
    store.close()
    win, host = build_window(paths, engine.factory)
    qtbot.addWidget(win)
    try:
        win.show()
        catalog = win.models_page.catalog
        entry = catalog.catalog[0]
        row = catalog.rows[entry.key]
        estimate = rough_estimate(entry.size_bytes, win.controller.context_length(),
                                  entry.context_length, 2**40)
        default = speed.hint(estimate, speed.DEFAULT)
        assert default is not None and row.text(catalog.SPEED) == default.text
        assert "no answer has been measured here yet" in row.toolTip(catalog.SPEED)
        assert "estimate" in catalog.tree.headerItem().text(catalog.SPEED)

        open_page(qtbot, win)  # the history is asked when the page is shown
        qtbot.waitUntil(lambda: "tokens a second over" in row.toolTip(catalog.SPEED),
                        timeout=TIMEOUT_MS)
        measured = speed.Bandwidth(smollm2_path.stat().st_size * 50.0)
        hint = speed.hint(estimate, measured)
        assert hint is not None and row.text(catalog.SPEED) == hint.text
        assert row.text(catalog.SPEED).startswith("~") and row.text(catalog.SPEED) != default.text
        tip = row.toolTip(catalog.SPEED)
        assert "An estimate" in tip and "SmolLM2 135M Instruct wrote 50.0 tokens a second" in tip
    finally:
        win.shutdown()
        host.shutdown()


# -- the model source (issue 24, item 4) ------------------------------------------------------

HUB_ONLY = CatalogEntry("tiny-hub", "Tiny Hub", "Tiny", "0.1B", "someone/Tiny-Hub-GGUF",
                        FILE, "Q4_1", 98_400_000, 8192, "apache-2.0", "Only on the hub.",
                        description_zh="只在 Hugging Face 上。")
ON_BOTH = CatalogEntry("tiny-both", "Tiny Both", "Tiny", "0.1B", "someone/Tiny-Both-GGUF",
                       FILE, "Q4_1", 98_400_000, 8192, "apache-2.0", "On both.",
                       modelscope_repo=REPO)


@pytest.fixture
def modelscope(smollm2_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelScopeStandIn]:
    from huggingface_hub import constants

    with ModelScopeStandIn() as server:
        monkeypatch.setenv("MODELSCOPE_ENDPOINT", server.url)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        server.add_repo(REPO, downloads=3)
        server.add_file(REPO, FILE, smollm2_path)
        yield server


def source_page(qtbot, tmp_path: Path, settings: SettingsFile) -> ModelsPage:  # type: ignore[no-untyped-def]
    models_dir = tmp_path / "models"
    page = ModelsPage(models_dir, DownloadManager(models_dir), 4096, [HUB_ONLY, ON_BOTH],
                      settings=settings)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(page.isVisible)
    return page


def choose_source(page: ModelsPage, kind: str) -> None:
    combo = page.source_bar.combo
    index = combo.findData(kind)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)  # as the popup does


def select_entry(page: ModelsPage, entry: CatalogEntry) -> None:
    page.tabs.setCurrentWidget(page.catalog)
    page.catalog.tree.setCurrentItem(page.catalog.rows[entry.key])


def test_the_model_source_is_a_setting_the_catalog_follows(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    page = source_page(qtbot, tmp_path, SettingsFile.load(config))
    bar = page.source_bar
    assert page.findChild(QComboBox, "modelSource") is bar.combo
    assert [bar.combo.itemData(i) for i in range(bar.combo.count())] == [
        "huggingface", "mirror", "modelscope"]
    assert bar.combo.currentText() == "Hugging Face"
    assert not bar.mirror_edit.isVisible() and not bar.token_check.isVisible()

    choose_source(page, "modelscope")
    assert SettingsFile.load(config).get("app.model_source") == "modelscope"
    select_entry(page, HUB_ONLY)
    assert page.download_button.text() == "Not on ModelScope"
    assert not page.download_button.isEnabled()
    assert page.catalog.rows[HUB_ONLY.key].text(page.catalog.STATUS) == "not on ModelScope"
    select_entry(page, ON_BOTH)
    assert page.download_button.isEnabled()
    assert page.download_button.text().startswith("Download ")
    assert f"on ModelScope: {REPO}" in page.catalog.description.text()

    choose_source(page, "mirror")
    assert bar.mirror_edit.isVisible() and bar.token_check.isVisible()
    assert bar.mirror_edit.text() == "https://hf-mirror.com"  # the default
    assert not bar.token_check.isChecked()
    assert bar.source() == Source("mirror", "https://hf-mirror.com")
    assert page.download_button.isEnabled()  # every entry is on the hub's mirrors
    for bad in ("ftp://mirror.example", "https://me:secret@mirror.example", "not a url"):
        bar.mirror_edit.setText(bad)
        bar.mirror_edit.editingFinished.emit()
        assert bar.problem.isVisible() and bar.problem.text()
        assert "secret" not in bar.problem.text()
        assert SettingsFile.load(config).get("app.mirror_url") == "https://hf-mirror.com"
    bar.mirror_edit.setText("https://mirror.example/")
    bar.mirror_edit.editingFinished.emit()
    assert not bar.problem.isVisible()
    assert SettingsFile.load(config).get("app.mirror_url") == "https://mirror.example"
    qtbot.mouseClick(bar.token_check, LEFT)
    assert SettingsFile.load(config).get("app.send_token_to_mirror") is True
    assert bar.source() == Source("mirror", "https://mirror.example", send_token=True)


def test_a_catalog_entry_downloads_from_modelscope(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                   modelscope: ModelScopeStandIn,
                                                   smollm2_path: Path) -> None:
    settings = SettingsFile.in_memory()
    settings.set("app.model_source", "modelscope")
    page = source_page(qtbot, tmp_path, settings)
    select_entry(page, ON_BOTH)
    with qtbot.waitSignal(page.manager.installed, timeout=TIMEOUT_MS) as installed:
        qtbot.mouseClick(page.download_button, LEFT)
    path = installed.args[0]
    assert path == tmp_path / "models" / REPO / FILE
    assert path.read_bytes() == smollm2_path.read_bytes()
    assert [r.path for r in modelscope.requests if "FilePath=" in r.path] == [
        f"/api/v1/models/{REPO}/repo?Revision=master&FilePath={FILE}"]
    assert page.catalog.rows[ON_BOTH.key].text(page.catalog.STATUS) == "installed"
    choose_source(page, "huggingface")  # installed from ModelScope is installed for the hub too
    select_entry(page, ON_BOTH)
    assert page.download_button.text() == "Installed"


def test_the_search_asks_the_source_chosen_and_forgets_results_on_a_change(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, modelscope: ModelScopeStandIn) -> None:
    settings = SettingsFile.in_memory()
    settings.set("app.model_source", "modelscope")
    page = source_page(qtbot, tmp_path, settings)
    assert "ModelScope" in page.hub_search.search_edit.placeholderText()
    search_and_pick(qtbot, page, "smollm2", FILE)
    assert page.hub_search.repos.topLevelItem(0).text(0) == REPO
    offer = page.current_offer()
    assert offer is not None and offer.remote is not None
    assert offer.remote.source.kind == "modelscope"
    choose_source(page, "huggingface")
    assert page.hub_search.repos.topLevelItemCount() == 0
    assert page.hub_search.files.topLevelItemCount() == 0
    assert "Hugging Face" in page.hub_search.search_edit.placeholderText()


def test_the_catalog_speaks_the_language_chosen(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent

    from app import i18n

    page = source_page(qtbot, tmp_path, SettingsFile.in_memory())
    select_entry(page, HUB_ONLY)
    assert "Only on the hub." in page.catalog.description.text()
    try:
        i18n.set_language(i18n.CHINESE)
        QApplication.sendEvent(page.catalog, QEvent(QEvent.Type.LanguageChange))
        assert "只在 Hugging Face 上。" in page.catalog.description.text()
    finally:
        i18n.set_language(i18n.ENGLISH)
        QApplication.sendEvent(page.catalog, QEvent(QEvent.Type.LanguageChange))
    assert "Only on the hub." in page.catalog.description.text()
