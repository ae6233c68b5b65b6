"""Builds the app's objects in one place and runs the event loop."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import psutil
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSocketNotifier, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from app import __version__
from app.core.chat.library import ChatLibrary
from app.core.chat.service import ChatService
from app.core.chat.store import StoreError, open_store
from app.core.engine import InferenceEngine
from app.core.engine.states import StateCache
from app.core.engine.switch import EngineSwitch
from app.core.settings.file import SettingsFile
from app.core.settings.resolve import state_limits
from app.paths import AppPaths, resources_dir
from app.qt.controller import ChatController
from app.qt.i18n import apply_language
from app.qt.main_window import MainWindow
from app.qt.state import load_state
from app.qt.throttle import gui_timer
from app.qt.viewmodels.conversation_model import ConversationModel
from app.qt.workers.inference import EngineHost

log = logging.getLogger(__name__)

QUIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def default_engine(states: StateCache | None = None) -> InferenceEngine:
    from app.core.engine.llama_cpp_backend import LlamaCppEngine

    return LlamaCppEngine(states)


EngineFactory = Callable[[StateCache], InferenceEngine]


def build_window(paths: AppPaths,
                 engine_factory: EngineFactory = default_engine) -> tuple[MainWindow, EngineHost]:
    """The window, wired to a fresh inference thread whose engine `engine_factory` makes there
    (given the chats' state cache): llama.cpp, or a scripted engine in tests. The caller shuts
    the host down."""
    store, problem = open_store(paths)
    settings = SettingsFile.load(paths.config_dir)
    apply_language(settings.get("app.language"))  # before any widget is made
    ram, disk = state_limits(settings)
    states = StateCache(paths.states_dir, ram_bytes=ram, disk_bytes=disk)
    # A chat's model runs here or on a connection's server: one engine switches between them.
    host = EngineHost(lambda: EngineSwitch(functools.partial(engine_factory, states)))
    service = ChatService(store, settings, make_timer=gui_timer)
    library = ChatLibrary(store, paths.states_dir)
    try:  # the chats deleted in an earlier session, with their states: Undo is over
        library.purge()
    except StoreError as exc:  # a full disk: they are purged at a later start
        problem = problem or str(exc)
    controller = ChatController(host, ConversationModel(), service)
    window = MainWindow(controller, library, paths)
    host.setParent(window)
    controller.setParent(window)
    window.destroyed.connect(store.close)
    problems = [problem] if problem else []
    #: A problem found in the settings file, shown above the chat at start-up.
    problems += [QCoreApplication.translate("Application", "Settings: {problem}").format(
        problem=p) for p in settings.problems]
    if problems:
        window.error_banner.show_error(" ".join(problems))
    return window, host


def app_icon() -> QIcon:
    """The window and task-bar icon: the PNG sizes (read by QtGui itself, so no image format
    plugin is needed), else the SVG; a missing icon is not an error."""
    folder = resources_dir() / "icons"
    icon = QIcon()
    for png in sorted(folder.glob("lamplight-*.png")):  # the sizes packaging/make_icons.py made
        icon.addFile(str(png))
    if icon.isNull() and (folder / "lamplight.svg").is_file():
        icon = QIcon(str(folder / "lamplight.svg"))
    return icon


class QuitOnSignal(QObject):
    """Closes the window on SIGINT (Ctrl+C in a terminal) or SIGTERM (`kill`), as the user
    closing it would: chats saved, downloads paused, the model freed, exit status 0. A second
    signal ends the process at once.

    Python runs a signal handler only when the interpreter next gets control, and Qt's event
    loop, in C++, may not give it any for a long time. So the C-level handler also writes to a
    socket (`signal.set_wakeup_fd`) that a QSocketNotifier watches: reading it runs Python code,
    and with it the handler. `restore()` undoes all of it.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {number: signal.signal(number, self._on_signal)
                          for number in QUIT_SIGNALS}

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            while self._reader.recv(64):
                pass

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        log.info("%s: closing the window", signal.Signals(number).name)
        for each in QUIT_SIGNALS:
            signal.signal(each, signal.SIG_DFL)  # a second one ends the process at once
        # Not from inside the handler, which may interrupt any Python code of the GUI thread.
        QTimer.singleShot(0, self._close)

    def _close(self) -> None:
        self._window.close()
        QApplication.quit()  # also when a dialog keeps a window of its own open

    def restore(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


class FirstShown(QObject):
    """Logs once how long after the process started the window first painted."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            log.info("window shown after %.2f s", seconds_since_start())
        return False


def seconds_since_start() -> float:
    """How long ago this process started, launcher included (a frozen app's too)."""
    if sys.platform.startswith("linux"):
        # psutil's start time counts from the boot time in whole seconds: up to 1 s off. The
        # kernel's own start tick, against the same clock, is within 10 ms.
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
            ticks = int(fields[19])  # field 22, starttime, in clock ticks since boot
            return time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    return time.time() - psutil.Process().create_time()


def run_gui(paths: AppPaths) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Lamplight")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("lamplight")  # the Wayland app id: resources/lamplight.desktop
    app.setWindowIcon(app_icon())
    window, host = build_window(paths)
    app.aboutToQuit.connect(window.shutdown)  # downloads pause, their parts kept for next time
    app.aboutToQuit.connect(host.shutdown)
    FirstShown(window)
    quit_on_signal = QuitOnSignal(window)
    try:
        window.restore_layout()  # size, chat list width and the last chat, as they were
        window.show()
        last = load_state(paths.state_file).get("last_model")
        window.start(Path(last) if isinstance(last, str) else None)
        window.server.restore()  # on again if the user left it on
        code = app.exec()
    finally:
        quit_on_signal.restore()
    log.info("window closed, exit status %d", code)
    return code
