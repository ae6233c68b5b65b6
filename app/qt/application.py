"""Builds the app's objects in one place and runs the event loop."""

from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app import __version__
from app.core.engine import InferenceEngine
from app.core.engine.states import StateCache, remove_orphans
from app.core.settings import SettingsFile, state_limits
from app.core.store import StoreError, open_store
from app.paths import AppPaths, resources_dir
from app.qt.controller import ChatController
from app.qt.main_window import MainWindow
from app.qt.state import load_state
from app.qt.viewmodels.conversation_model import ConversationModel
from app.qt.workers.inference import EngineHost


def default_engine(states: StateCache | None = None) -> InferenceEngine:
    from app.core.engine.llama_cpp_backend import LlamaCppEngine

    return LlamaCppEngine(states)


def build_window(paths: AppPaths) -> tuple[MainWindow, EngineHost]:
    """The window, wired to a fresh inference thread. The caller shuts the host down."""
    store, problem = open_store(paths)
    settings = SettingsFile.load(paths.config_dir)
    ram, disk = state_limits(settings)
    states = StateCache(paths.states_dir, ram_bytes=ram, disk_bytes=disk)
    with contextlib.suppress(StoreError):  # the states of chats deleted for good go too
        remove_orphans(paths.states_dir, store.ids())
    host = EngineHost(functools.partial(default_engine, states))
    controller = ChatController(host, ConversationModel(), store, settings)
    window = MainWindow(controller, paths)
    host.setParent(window)
    controller.setParent(window)
    window.destroyed.connect(store.close)
    problems = [problem] if problem else []
    problems += [f"Settings: {p}" for p in settings.problems]
    if problems:
        window.error_banner.show_error(" ".join(problems))
    return window, host


def run_gui(paths: AppPaths) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Lamplight")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("lamplight")
    icon = resources_dir() / "icons" / "lamplight.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    window, host = build_window(paths)
    app.aboutToQuit.connect(window.shutdown)  # downloads pause, their parts kept for next time
    app.aboutToQuit.connect(host.shutdown)
    window.show()
    last = load_state(paths.state_file).get("last_model")
    window.start(Path(last) if isinstance(last, str) else None)
    return app.exec()
