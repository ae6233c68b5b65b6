"""The settings panel in the real window: what it changes is saved and used by the next answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app.paths import AppPaths
from app.qt.application import build_window
from app.qt.main_window import MainWindow
from tests.scripted_engine import ScriptedEngine

pytestmark = [pytest.mark.qt]
LOAD_TIMEOUT_MS = 60_000
ANSWER_TIMEOUT_MS = 180_000


def test_the_panel_changes_temperature_and_context_and_the_next_answer_uses_them(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths, engine: ScriptedEngine) -> None:
    controller = window.controller
    with qtbot.waitSignal(controller.modelLoaded, timeout=LOAD_TIMEOUT_MS) as first:
        window.start()
    assert first.args[0].n_ctx == 4096  # the declared default
    controller.auto_titles = False

    dialog = window.show_settings()
    dialog.set_value("sampling.temperature", 0.1)
    dialog.set_value("sampling.max_tokens", 12)
    dialog.set_value("model.n_ctx", 1024)
    with qtbot.waitSignal(controller.modelLoaded, timeout=LOAD_TIMEOUT_MS) as reloaded:
        assert dialog.apply() is not None  # the context needs a reload: done at once
    assert reloaded.args[0].n_ctx == 1024 and engine.loads[-1].n_ctx == 1024

    engine.replies.append(" ".join(f"word{i}" for i in range(30)))  # no loop: 30 tokens
    window.composer.setPlainText("Say hello.")
    with qtbot.waitSignal(controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.composer.submit()
    assert engine.params[-1].temperature == pytest.approx(0.1)
    assert engine.params[-1].max_tokens == 12
    assert done.args[0].stats.completion_tokens == 12

    saved = json.loads((paths.config_dir / "settings.json").read_text(encoding="utf-8"))
    assert saved["version"] == 1
    assert saved["values"]["sampling.temperature"] == pytest.approx(0.1)
    assert saved["values"]["model.n_ctx"] == 1024
    assert "sampling.top_p" not in saved["values"]  # only what the user changed


@pytest.fixture
def damaged_settings(paths: AppPaths) -> Iterator[AppPaths]:
    (paths.config_dir / "settings.json").write_text('{"version": 1, "values": '
                                                    '{"sampling.temperature": "hot"}}')
    yield paths


def test_a_bad_settings_file_is_reported_and_the_app_runs_on_defaults(  # type: ignore[no-untyped-def]
        qtbot, damaged_settings: AppPaths) -> None:
    win, host = build_window(damaged_settings, ScriptedEngine().factory)
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.error_banner.isVisible()
        assert "Temperature" in win.error_banner.label.text()
        with qtbot.waitSignal(win.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
            win.start()
        assert win.controller.generation_params().temperature != "hot"
    finally:
        win.shutdown()
        host.shutdown()


@pytest.mark.model
def test_a_quantized_cache_without_flash_attention_is_refused_with_a_reason(  # type: ignore[no-untyped-def]
        qtbot, real_window: MainWindow) -> None:
    window = real_window  # llama.cpp's own refusal, through the window
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        window.start()
    dialog = window.show_settings()
    dialog.set_value("model.kv_cache_type", "q8_0")
    with qtbot.waitSignal(window.controller.errorRaised, timeout=LOAD_TIMEOUT_MS) as failed:
        dialog.apply()
    assert "flash attention" in failed.args[0]


def test_app_settings_change_theme_font_and_what_enter_does(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    size = app.font().pointSizeF()
    window.error_banner.show_error("Something to read in either theme")
    light_banner = window.error_banner.styleSheet()
    dialog = window.show_settings()
    dialog.set_value("app.theme", "dark")
    dialog.set_value("app.font_size", 16)
    dialog.set_value("app.enter_sends", False)
    try:
        dialog.apply()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        # Our own colours follow: the banner shown, code blocks in the chat.
        assert window.error_banner.styleSheet() not in ("", light_banner)
        qtbot.waitUntil(lambda: window.chat_view._renderer.dark)  # the palette comes later
        assert app.font().pointSizeF() == 16
        assert not window.composer.enter_sends
        assert "Ctrl+Enter sends" in window.composer.hint()
        sent: list[str] = []
        window.composer.submitted.connect(sent.append)
        window.composer.can_submit = True
        window.composer.setEnabled(True)
        window.composer.setPlainText("hello")
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
        assert sent == []  # Enter now starts a new line
        qtbot.keyClick(window.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert sent == ["hello"]
    finally:
        for key in ("app.theme", "app.font_size", "app.enter_sends"):
            window.controller.settings.reset(key)
        window.apply_app_settings()  # the next tests get the system's look back
    assert app.font().pointSizeF() == size
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 150
    assert window.error_banner.styleSheet() == light_banner
    qtbot.waitUntil(lambda: not window.chat_view._renderer.dark)
