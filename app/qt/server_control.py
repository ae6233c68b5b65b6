"""The window's switch for the local server: the OpenAI-compatible API on loopback, answering
through the window's own inference thread (`EngineHost.runner`, lane "api").

Starting and stopping run off the GUI thread (`BackgroundCall`): the first start imports the
web stack, and a stop waits for the requests in flight to end. What the server is doing
(`LocalServer.activity`, written by its threads) is read here on a timer, on the GUI thread; no
other thread touches a widget. At quit the window calls `shutdown`, which stops the server
before the inference thread goes.
"""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.engine.runner import EngineRunner
from app.core.settings.file import SettingsFile
from app.core.settings.resolve import parallel_count
from app.paths import AppPaths
from app.qt.state import load_state, save_state
from app.qt.workers.background import BackgroundCall

if TYPE_CHECKING:
    from app.server.run import LocalServer

log = logging.getLogger(__name__)
HOST = "127.0.0.1"  # loopback only: the window never offers the API to the network
POLL_MS = 500  # how often the panel's counts are read again
SHUTDOWN_WAIT_MS = 10_000  # at quit, for a start or stop still under way
STATE_KEY = "local_server"  # in the window's state file: the user left the server on


class ServerState(enum.Enum):
    OFF = "off"
    STARTING = "starting"
    ON = "on"
    STOPPING = "stopping"


@dataclass(frozen=True)
class ServerActivity:
    """What the server is doing, as last read: requests being answered (or waiting for the
    model), requests answered since it started, and the last error (one line), if any."""

    in_flight: int = 0
    served: int = 0
    last_error: str | None = None


class ServerControl(QObject):
    """Starts and stops the `LocalServer` over `runner`, and reports on it.

    Signals:
        stateChanged(object): the `ServerState` now.
        failed(str): the server could not start (the port is taken…): one line for the user.
            The state is back to OFF.
        activityChanged(object): a `ServerActivity` that differs from the last one, read every
            `POLL_MS` while the server is on (and a blank one when it goes off).
    """

    stateChanged = Signal(object)
    failed = Signal(str)
    activityChanged = Signal(object)

    def __init__(self, runner: EngineRunner, settings: SettingsFile, paths: AppPaths,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._settings = settings
        self._paths = paths
        self._state = ServerState.OFF
        self._server: LocalServer | None = None
        self._url: str | None = None
        self._call: BackgroundCall | None = None
        self._starting: list[LocalServer] = []  # the server a start under way made
        self._closed = False
        self.activity = ServerActivity()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._read_activity)

    @property
    def state(self) -> ServerState:
        return self._state

    @property
    def url(self) -> str | None:
        """The API's base address while the server is on ("http://127.0.0.1:5757/v1")."""
        return self._url if self._state is ServerState.ON else None

    def set_on(self, on: bool) -> None:
        """Start or stop, as the user's switch says, and remember the choice for the next
        start of the app (`restore`)."""
        save_state(self._paths.state_file, **{STATE_KEY: on})
        if on:
            self.start()
        else:
            self.stop()

    def restore(self) -> None:
        """Start the server if the user left it on when the app last ran."""
        if load_state(self._paths.state_file).get(STATE_KEY) is True:
            self.start()

    def start(self) -> None:
        """Listen on loopback at the `server.port` setting; `stateChanged` or `failed` follow."""
        if self._state is not ServerState.OFF or self._closed:
            return
        runner, settings, paths = self._runner, self._settings, self._paths
        holder: list[LocalServer] = []
        self._starting = holder

        def start() -> str:
            threading.current_thread().name = "server-start"  # in log lines, not "Dummy-1"
            from app.server.app import ServerConfig  # FastAPI: loaded here, off the GUI thread
            from app.server.run import LocalServer

            # Above 1, the server answers with a batched engine of its own (a second load of
            # the model): the window's chat is never queued behind its answers.
            server = LocalServer(runner, settings, data_dir=paths.data_dir,
                                 models_dir=paths.models_dir, window_engine=True,
                                 parallel=parallel_count(settings, "server.parallel"))
            holder.append(server)  # for `shutdown`, should the window close meanwhile
            address = server.start(ServerConfig.from_settings(settings, host=HOST))
            return address.url

        call = BackgroundCall(start, self.tr("Starting the local server"), explain=_start_error)
        call.done.connect(lambda url: self._on_started(holder[0], str(url)))
        call.failed.connect(self._on_start_failed)
        self._call = call
        self._set_state(ServerState.STARTING)
        call.start()

    def stop(self) -> None:
        """Stop listening and end the requests in flight, off the GUI thread."""
        if self._state is not ServerState.ON or self._server is None:
            return
        server, self._server = self._server, None
        self._poll.stop()
        call = BackgroundCall(server.stop, self.tr("Stopping the local server"))
        call.done.connect(lambda _none: self._on_stopped())
        call.failed.connect(self._on_stopped)
        self._call = call
        self._set_state(ServerState.STOPPING)
        call.start()

    def shutdown(self) -> None:
        """At quit, before the inference thread ends: stop the server and wait for it; a start
        still under way is waited for and undone. Safe to repeat."""
        self._closed = True
        self._poll.stop()
        call, self._call = self._call, None
        if call is not None and call.is_running():
            call.abandon()  # its result would reach a window that is going
            if not call.wait(SHUTDOWN_WAIT_MS):
                log.warning("the local server did not start or stop in time")
        server = self._server or (self._starting[0] if self._starting else None)
        self._server, self._starting = None, []
        if server is not None:
            server.stop()
        if self._state is not ServerState.OFF:
            self._set_state(ServerState.OFF)

    # -- reports ---------------------------------------------------------------------------

    def _on_started(self, server: LocalServer, url: str) -> None:
        self._call, self._starting = None, []
        self._server, self._url = server, url
        self.activity = ServerActivity()
        self._set_state(ServerState.ON)
        self._poll.start()
        self._read_activity()

    def _on_start_failed(self, message: str) -> None:
        self._call, self._starting = None, []
        save_state(self._paths.state_file, **{STATE_KEY: False})  # as the switch now shows
        self._set_state(ServerState.OFF)
        self.failed.emit(message)

    def _on_stopped(self, problem: str | None = None) -> None:
        self._call = None
        if problem:
            log.warning("stopping the local server: %s", problem)
        self._url = None
        self._set_state(ServerState.OFF)
        self._show(ServerActivity())

    def _set_state(self, state: ServerState) -> None:
        if state is not self._state:
            self._state = state
            self.stateChanged.emit(state)

    def _read_activity(self) -> None:
        server = self._server
        if server is None:
            return
        live = server.activity
        if not server.running:  # uvicorn's thread ended on its own: say so, and go off
            self._server = None
            self._poll.stop()
            self._on_stopped()
            self._show(ServerActivity(
                0, live.served, self.tr("The server stopped unexpectedly: see the log.")))
            return
        self._show(ServerActivity(max(0, live.in_flight), live.served, live.last_error))

    def _show(self, activity: ServerActivity) -> None:
        if activity != self.activity:
            self.activity = activity
            self.activityChanged.emit(activity)


def _start_error(exc: BaseException) -> str | None:
    """`ServerStartError` says why in one line; anything else is logged with its traceback."""
    from app.server.run import ServerStartError

    return str(exc) if isinstance(exc, ServerStartError) else None
