"""Models served elsewhere, in the window: the picker groups them under their connection with a
mark for whether it answers, a remote model loads through the window's engine switch and
answers with its footer naming the connection, the chat switches back to a local model as
between two local ones, and the model used last comes back once its server has answered.

The server is another Lamplight in this process (`tests/served_lamplight.py`, a scripted engine
behind the real API); an unreachable one is a closed port of 127.0.0.1, refused at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.chat.conversation import Message
from app.core.documents.readers import from_paste
from app.core.engine import GenerationStats, ModelInfo
from app.core.engine.base import TemplateSource
from app.core.engine.connection import Connection
from app.core.settings.connections import Connections, make_connection
from app.paths import AppPaths
from app.qt.application import build_window
from app.qt.controller import ChatState
from app.qt.main_window import MainWindow
from app.qt.widgets.context_meter import ContextMeter
from app.qt.widgets.message_footer import footer_text, stats_tooltip
from app.qt.widgets.model_picker import HEADER
from app.qt.widgets.status_bar import remote_details
from tests.scripted_engine import ScriptedEngine
from tests.served_lamplight import Served, closed_url, served_lamplight

pytestmark = [pytest.mark.qt]
TIMEOUT_MS = 20_000
LOCAL = "SmolLM2 135M Instruct (built-in)"
REMOTE = "builtin@far"  # the other Lamplight's built-in model, by its id there


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with served_lamplight(tmp_path / "far-server") as served:
        yield served


@pytest.fixture
def connected(paths: AppPaths, served: Served) -> Connections:
    """Two connections, saved before the window starts: one answers, one cannot be reached."""
    connections = Connections.load(paths.config_dir)
    connections.add(make_connection("far", served.url))
    connections.add(make_connection("down", closed_url()))
    return connections


@pytest.fixture
def remote_window(qtbot, connected: Connections, paths: AppPaths,  # type: ignore[no-untyped-def]
                  engine: ScriptedEngine) -> Iterator[MainWindow]:
    win, host = build_window(paths, engine.factory)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()
    host.shutdown()


def texts(window: MainWindow) -> list[str]:
    picker = window.model_picker
    return [picker.itemText(i) for i in range(picker.count())]


def heard_from_all(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: all(window.remotes.probe_of(c.name) is not None
                                for c in window.remotes.items()), timeout=TIMEOUT_MS)


def choose(qtbot, window: MainWindow, text: str) -> ModelInfo:  # type: ignore[no-untyped-def]
    """Pick `text` in the picker as the user does; the `ModelInfo` loaded."""
    index = texts(window).index(text)
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS) as loaded:
        window.model_picker.setCurrentIndex(index)
        window.model_picker.activated.emit(index)
    window.controller.params = dataclasses.replace(window.controller.params, max_tokens=32)
    info = loaded.args[0]
    assert isinstance(info, ModelInfo)
    return info


def ask(qtbot, window: MainWindow, text: str) -> str:  # type: ignore[no-untyped-def]
    """Send `text`; the footer of the answer."""
    window.composer.setPlainText(text)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=TIMEOUT_MS):
        window.composer.submit()
    row = window.controller.model.rowCount() - 1
    return window.chat_view.message_widget(row).footer.text()


def test_the_picker_groups_the_models_by_where_they_run_with_a_reachability_mark(  # type: ignore[no-untyped-def]
        qtbot, remote_window: MainWindow, served: Served) -> None:
    window = remote_window
    heard_from_all(qtbot, window)
    assert texts(window) == ["Built in", LOCAL, "● far", REMOTE,
                             "○ down · unreachable", "", "Manage models…"]
    picker = window.model_picker
    for header in (0, 2, 4):  # titles only: neither chosen nor stopped at
        assert picker.itemData(header) == HEADER
        assert not picker.model().flags(picker.model().index(header, 0)) & \
            Qt.ItemFlag.ItemIsEnabled
    assert served.url in picker.itemData(3, Qt.ItemDataRole.ToolTipRole)
    assert "Cannot reach 'down'" in picker.itemData(4, Qt.ItemDataRole.ToolTipRole)
    assert picker.current_entry() is not None and picker.current_entry().builtin  # type: ignore[union-attr]

    # Opened again: what was heard shows at once (no "asking…"), asked anew behind it.
    picker.refresh()
    assert texts(window)[2:5] == ["● far", REMOTE, "○ down · unreachable"]
    assert picker.select_path(Path(REMOTE))
    assert picker.current_entry().remote is not None  # type: ignore[union-attr]


def test_a_remote_model_answers_naming_its_server_and_the_chat_switches_back(  # type: ignore[no-untyped-def]
        qtbot, remote_window: MainWindow, served: Served, engine: ScriptedEngine) -> None:
    window = remote_window
    heard_from_all(qtbot, window)
    assert choose(qtbot, window, LOCAL).location == ""
    engine.replies.append("Hello from here.")
    footer = ask(qtbot, window, "Who are you?")
    assert " on " not in footer

    info = choose(qtbot, window, REMOTE)
    assert info.is_remote and info.location == "far" and not info.tokens_estimated
    assert window.status.model.text() == REMOTE
    tip = window.status.model.toolTip()
    assert f"builtin on far ({served.url})" in tip and "as the server reports it" in tip
    assert window.controller.state is ChatState.READY
    served.engine.replies.append("Hello from far away.")
    footer = ask(qtbot, window, "And who are you?")
    assert footer.endswith(" · on far")
    answer = window.controller.conversation.path()[-1]
    assert answer.content == "Hello from far away." and answer.model_name == REMOTE
    assert served.engine.asked[-1][-1].content == "And who are you?"
    assert len(served.engine.asked[-1]) >= 3  # the chat so far went with it
    assert "Ran on: far" in window.chat_view.message_widget(3).footer.toolTip()

    assert choose(qtbot, window, LOCAL).location == ""  # back, as between two local models
    engine.replies.append("Back home.")
    footer = ask(qtbot, window, "Still there?")
    assert " on " not in footer
    assert window.controller.conversation.path()[-1].content == "Back home."
    assert window.status.model.text() == "SmolLM2 135M Instruct"


def test_the_model_used_last_comes_back_once_its_server_answers(  # type: ignore[no-untyped-def]
        qtbot, remote_window: MainWindow) -> None:
    window = remote_window
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS) as loaded:
        window.start(Path(REMOTE))
    assert loaded.args[0].location == "far"
    assert window.model_picker.currentText() == REMOTE
    assert window.controller.entry is not None and window.controller.entry.name == REMOTE
    assert not window.error_banner.isVisible()


def test_the_model_used_last_on_a_server_that_is_down_gives_way_to_a_local_one(  # type: ignore[no-untyped-def]
        qtbot, remote_window: MainWindow) -> None:
    window = remote_window
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS) as loaded:
        window.start(Path("big-model@down"))
    assert loaded.args[0].location == ""
    said = window.error_banner.label.text()
    assert said.startswith("The model used last, big-model@down, is not available: "
                           "Cannot reach 'down'")
    assert window.model_picker.currentText() == LOCAL


def test_a_model_used_last_on_a_connection_since_removed_is_passed_over(  # type: ignore[no-untyped-def]
        qtbot, remote_window: MainWindow) -> None:
    window = remote_window
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS) as loaded:
        window.start(Path("some-model@gone"))
    assert loaded.args[0].location == ""


def test_the_loaded_remote_model_stays_listed_when_its_server_stops_answering(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, paths: AppPaths, engine: ScriptedEngine) -> None:
    with served_lamplight(tmp_path / "brief") as served:
        Connections.load(paths.config_dir).add(make_connection("brief", served.url))
        window, host = build_window(paths, engine.factory)
        qtbot.addWidget(window)
        try:
            heard_from_all(qtbot, window)
            assert choose(qtbot, window, "builtin@brief").location == "brief"
        except BaseException:
            window.shutdown()
            host.shutdown()
            raise
    try:
        with qtbot.waitSignal(window.remotes.probed, timeout=TIMEOUT_MS):
            window.remotes.ask(again_after_s=0)
        assert texts(window)[2:4] == ["○ brief · unreachable", "builtin@brief"]
        assert window.model_picker.currentText() == "builtin@brief"
        assert window.models_page.installed.in_use is None  # not a file of the folder
    finally:
        window.shutdown()
        host.shutdown()


def test_connections_saved_in_the_settings_join_the_picker(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, served: Served) -> None:
    assert "Built in" not in texts(window)  # the built-in model alone: no groups
    dialog = window.show_settings()
    page = dialog.connections_page
    assert page is not None
    page.start_adding()
    page.name.setText("far")
    page.url.setText(served.url)
    with qtbot.waitSignal(window.remotes.probed, timeout=TIMEOUT_MS):
        assert page.save()
    dialog.close()
    assert texts(window)[:4] == ["Built in", LOCAL, "● far", REMOTE]


# -- where token counts are estimates ------------------------------------------------------

def remote_info(estimated: bool) -> ModelInfo:
    return ModelInfo(path=Path("m@gpu-box"), name="m", n_ctx=8192, n_ctx_train=8192,
                     n_threads=0, n_params=0, size_bytes=0, chat_format="the server's",
                     template_source=TemplateSource.REMOTE, location="gpu-box", parallel=4,
                     tokens_estimated=estimated)


def test_the_status_tooltip_says_the_server_its_context_and_that_counts_are_estimates() -> None:
    connection = Connection("gpu-box", "http://gpu-box:8080/v1", parallel=4)
    tip = remote_details(remote_info(True), connection)
    assert tip.splitlines() == [
        "m on gpu-box (http://gpu-box:8080/v1)",
        "context 8,192 tokens (as the server reports it) · 4 requests at once",
        "chat template: the chat template of the server 'gpu-box'",
        "token counts are estimates: the server cannot count them"]
    assert "estimates" not in remote_details(remote_info(False), connection)


def test_counts_a_server_only_estimates_show_as_estimates(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.set_limit(8192)
    meter.set_usage(1200, 34, room=512, exact=True)
    assert meter.text() == "1,234 / 8,192"
    meter.set_server_estimates(True)
    assert meter.text() == "≈1,234 / 8,192"
    assert "the model's server cannot count tokens" in meter.toolTip()

    document = from_paste("word " * 500)
    window.attachments.add_document(document)
    window.attachments.set_tokens(document, 1234, estimated=True)
    assert window.attachments.chip(document).size_label.text() == "≈ 1,200 tokens"  # type: ignore[union-attr]
    window.attachments.set_tokens(document, 1234)
    assert window.attachments.chip(document).size_label.text() == "1,234 tokens"  # type: ignore[union-attr]


def test_a_footer_names_the_server_only_of_a_remote_models_answer() -> None:
    stats = GenerationStats(10, 40, 0.1, 1.0, "stop")
    remote = Message("assistant", "Hi.", stats=stats, model_name="qwen2.5:7b@gpu-box")
    assert footer_text(remote).endswith(" · on gpu-box")
    assert "Ran on: gpu-box" in stats_tooltip(remote)
    for local in ("SmolLM2 135M Instruct", "mail@example.com · Q4_K_M", None):
        assert " on " not in footer_text(Message("assistant", "Hi.", stats=stats,
                                                 model_name=local))


@pytest.mark.parametrize(("remembered", "location"), [(REMOTE, "far"), ("gone@far", "")])
def test_the_model_used_last_is_settled_also_when_its_server_answered_first(  # type: ignore[no-untyped-def]
        qtbot, remote_window: MainWindow, remembered: str, location: str) -> None:
    window = remote_window
    heard_from_all(qtbot, window)
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=TIMEOUT_MS) as loaded:
        window.start(Path(remembered))
    assert loaded.args[0].location == location
    if not location:  # the server no longer offers it: a local one, and why
        assert window.error_banner.label.text() == \
            "The model used last, gone@far, is not available: 'far' no longer lists it."
