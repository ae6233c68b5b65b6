"""The settings' Connections page: connections added, edited and removed, their keys only in the
credential store, what is wrong said in one line, and Test asking a real server (another
Lamplight, in this process) for its models off the GUI thread."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from app.core.settings.connections import CONNECTIONS_FILE, Connections, make_connection
from app.paths import AppPaths
from app.qt.main_window import MainWindow
from app.qt.widgets.connections_page import ConnectionsPage
from app.qt.widgets.settings_dialog import SettingsDialog
from tests.served_lamplight import Served, closed_url, served_lamplight

pytestmark = [pytest.mark.qt]
KEY = "sk-test-0123456789abcdef"
TEST_TIMEOUT_MS = 15_000


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def page(qtbot, config_dir: Path) -> Iterator[ConnectionsPage]:  # type: ignore[no-untyped-def]
    page = ConnectionsPage(Connections.load(config_dir))
    qtbot.addWidget(page)
    page.show()
    yield page
    if page.is_testing():  # a test that failed midway: its answer is not wanted
        page.stop_tests()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with served_lamplight(tmp_path / "server", api_key=KEY) as served:
        yield served


def keyring_file() -> Path:
    return Path(os.environ["LAMPLIGHT_TEST_KEYRING"])


def fill(page: ConnectionsPage, name: str, url: str, key: str = "", parallel: int = 1) -> None:
    page.name.setText(name)
    page.url.setText(url)
    page.key.setText(key)
    page.parallel.setValue(parallel)


def add(qtbot, page: ConnectionsPage, name: str, url: str, key: str = "") -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert page.form.isVisible()
    fill(page, name, url, key)
    with qtbot.waitSignal(page.connectionsChanged, timeout=1000):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)


def rows(page: ConnectionsPage) -> list[list[str]]:
    found = []
    for i in range(page.list.topLevelItemCount()):
        item = page.list.topLevelItem(i)
        assert item is not None
        found.append([item.text(c) for c in range(page.TEST)])
    return found


def test_a_connection_added_is_listed_and_its_key_kept_only_in_the_credential_store(
        qtbot, page: ConnectionsPage, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    add(qtbot, page, "gpu-box", "gpu-box:8080", KEY)
    assert not page.form.isVisible()
    assert page.key.text() == ""  # the key typed is not kept in the form
    assert rows(page) == [["gpu-box", "http://gpu-box:8080/v1", "1", "from the server"]]
    assert page.selected_name() == "gpu-box"

    saved = (config_dir / CONNECTIONS_FILE).read_text()
    assert json.loads(saved)["connections"][0]["url"] == "http://gpu-box:8080/v1"
    assert KEY not in saved
    assert all(KEY not in p.read_text(errors="replace") for p in config_dir.rglob("*")
               if p.is_file())
    assert KEY in keyring_file().read_text()
    assert Connections.load(config_dir).get("gpu-box").api_key == KEY  # type: ignore[union-attr]


@pytest.mark.parametrize("typed", [
    ("gpu box", "gpu-box:8080", "'gpu box' cannot name a connection"),
    ("gpu-box", "", "The URL is empty."),
    ("gpu-box", "ftp://gpu-box", "is not an http:// or https:// URL"),
    ("gpu-box", "http://user:pw@gpu-box", "Put the key in the key field"),
])
def test_what_is_wrong_in_the_form_is_one_line_and_nothing_is_added(  # type: ignore[no-untyped-def]
        qtbot, page: ConnectionsPage, config_dir: Path, typed: tuple[str, str, str]) -> None:
    name, url, said = typed
    page.start_adding()
    fill(page, name, url, KEY)
    assert not page.save()
    assert page.form.isVisible()  # what was typed stays, to be corrected
    assert said in page.form_error.text()
    assert "\n" not in page.form_error.text() and page.form_error.isVisible()
    assert rows(page) == []
    assert not (config_dir / CONNECTIONS_FILE).exists()
    assert not keyring_file().exists()


def test_enter_in_a_field_saves_the_form(qtbot, page: ConnectionsPage) -> None:  # type: ignore[no-untyped-def]
    page.start_adding()
    fill(page, "gpu-box", "gpu-box:8080")
    with qtbot.waitSignal(page.connectionsChanged, timeout=1000):
        qtbot.keyClick(page.url, Qt.Key.Key_Return)
    assert [r[0] for r in rows(page)] == ["gpu-box"]


def test_a_name_taken_is_refused(qtbot, page: ConnectionsPage) -> None:  # type: ignore[no-untyped-def]
    add(qtbot, page, "gpu-box", "gpu-box:8080")
    page.start_adding()
    fill(page, "GPU-Box", "other:8080")
    assert not page.save()
    assert "There is a connection named gpu-box already" in page.form_error.text()
    assert rows(page)[0][1] == "http://gpu-box:8080/v1"


def test_without_a_credential_store_a_key_is_refused_in_one_line_and_nothing_added(  # type: ignore[no-untyped-def]
        qtbot, page: ConnectionsPage, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMPLIGHT_TEST_KEYRING", "none")
    page.start_adding()
    fill(page, "gpu-box", "gpu-box:8080", KEY)
    assert not page.save()
    assert page.form_error.text().startswith("This system has no credential store")
    assert "\n" not in page.form_error.text()
    assert rows(page) == []
    assert not (config_dir / CONNECTIONS_FILE).exists()

    page.key.clear()  # a server without a key needs no store
    with qtbot.waitSignal(page.connectionsChanged, timeout=1000):
        assert page.save()
    assert [r[0] for r in rows(page)] == ["gpu-box"]


def test_editing_keeps_the_key_renaming_moves_it_and_removing_forgets_it(  # type: ignore[no-untyped-def]
        qtbot, page: ConnectionsPage, config_dir: Path) -> None:
    add(qtbot, page, "gpu-box", "gpu-box:8080", KEY)
    assert page.select("gpu-box")
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert page.name.text() == "gpu-box" and page.key.text() == ""
    assert page.forget_key.isVisible()
    page.parallel.setValue(4)
    page.context.setValue(8192)
    with qtbot.waitSignal(page.connectionsChanged, timeout=1000):
        assert page.save()
    assert rows(page) == [["gpu-box", "http://gpu-box:8080/v1", "4", "8,192"]]
    assert Connections.load(config_dir).get("gpu-box").api_key == KEY  # type: ignore[union-attr]

    page.edit_selected()
    page.name.setText("big-box")
    with qtbot.waitSignal(page.connectionsChanged, timeout=1000):
        assert page.save()
    assert [r[0] for r in rows(page)] == ["big-box"]
    kept = Connections.load(config_dir)
    assert kept.get("big-box").api_key == KEY  # type: ignore[union-attr]
    assert kept.get("gpu-box") is None
    assert "connection:gpu-box" not in keyring_file().read_text()

    assert page.select("big-box")
    with qtbot.waitSignal(page.connectionsChanged, timeout=1000):
        qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert rows(page) == []
    assert Connections.load(config_dir).items == []
    assert KEY not in keyring_file().read_text()
    assert "big-box was removed" in page.result.text()


def test_test_lists_the_models_of_a_real_server_with_the_key_from_the_store(  # type: ignore[no-untyped-def]
        qtbot, page: ConnectionsPage, served: Served) -> None:
    add(qtbot, page, "far", served.url, KEY)
    button = page.findChild(QPushButton, "testConnection.far")
    assert isinstance(button, QPushButton)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isEnabled()  # asked on a worker thread; the page stays usable
    assert page.result.text() == "Asking far for its models…"
    qtbot.waitUntil(lambda: not page.is_testing(), timeout=TEST_TIMEOUT_MS)
    assert page.result.text() == "far answers: 1 model: builtin."
    assert button.isEnabled()


def test_test_says_in_one_line_why_a_server_cannot_be_asked(  # type: ignore[no-untyped-def]
        qtbot, page: ConnectionsPage, served: Served) -> None:
    down = closed_url()
    add(qtbot, page, "down", down)
    page.test("down")
    qtbot.waitUntil(lambda: not page.is_testing(), timeout=TEST_TIMEOUT_MS)
    said = page.result.text()
    assert said.startswith(f"Cannot reach 'down' ({down})") and "Is the server running" in said
    assert "\n" not in said

    add(qtbot, page, "nokey", served.url)  # the server wants a key this connection lacks
    page.test("nokey")
    qtbot.waitUntil(lambda: not page.is_testing(), timeout=TEST_TIMEOUT_MS)
    assert "refused the API key" in page.result.text()
    assert "\n" not in page.result.text()


def test_the_settings_dialog_shows_the_connections_as_a_page(qtbot, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from app.core.settings.file import SettingsFile

    connections = Connections.load(config_dir)
    connections.add(make_connection("gpu-box", "gpu-box:8080"))
    dialog = SettingsDialog(SettingsFile.load(config_dir), model_key="tiny.gguf",
                            connections=connections)
    qtbot.addWidget(dialog)
    sections = dialog.sections
    assert sections.item(sections.count() - 1).text() == "Connections"
    page = dialog.connections_page
    assert page is not None and rows(page)[0][0] == "gpu-box"
    assert dialog.pages.indexOf(page) == sections.count() - 1
    assert dialog.scope.isEnabled()
    sections.setCurrentRow(sections.count() - 1)  # the app's, not a model's: no "Apply to"
    assert dialog.pages.currentWidget() is page
    assert not dialog.scope.isEnabled() and not dialog.scope_label.isEnabled()
    assert dialog.findChild(QLabel, "settingsTitle").text() == "Connections"
    dialog.pages.setCurrentIndex(0)
    assert dialog.scope.isEnabled() and sections.currentRow() == 0
    with qtbot.waitSignal(dialog.connectionsChanged, timeout=1000):
        page.select("gpu-box")
        page.remove_selected()
    assert SettingsDialog(SettingsFile.load(config_dir)).connections_page is None


def test_the_windows_settings_have_the_connections_of_its_config_dir(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths) -> None:
    dialog = window.show_settings()
    page = dialog.connections_page
    assert page is not None
    dialog.pages.setCurrentWidget(page)
    add(qtbot, page, "here", closed_url())  # asked by the picker: refused at once
    assert [c.name for c in Connections.load(paths.config_dir).items] == ["here"]
    assert [c.name for c in window.remotes.items()] == ["here"]
    qtbot.waitUntil(lambda: window.remotes.probe_of("here") is not None, timeout=TEST_TIMEOUT_MS)
    dialog.close()


def test_what_is_wrong_in_the_connections_file_is_said_on_the_page(  # type: ignore[no-untyped-def]
        qtbot, config_dir: Path) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / CONNECTIONS_FILE).write_text(json.dumps({"version": 1, "connections": [
        {"name": "ok", "url": "http://ok:8080/v1"}, {"name": "bad name", "url": "x"}]}))
    page = ConnectionsPage(Connections.load(config_dir))
    qtbot.addWidget(page)
    assert rows(page)[0][0] == "ok" and len(rows(page)) == 1
    assert page.result.text().startswith(f"{CONNECTIONS_FILE}: a connection is skipped: "
                                         "'bad name' cannot name a connection")
