"""The server on a thread of its own: uvicorn with its own event loop, beside the window (or the
terminal's main thread), stopped cleanly by `stop`.

The socket is bound here, before uvicorn starts, so that a port in use is one clear line for the
caller rather than an error in a log. A second thread frees the server's model once it has been
idle for the `server.idle_unload_min` setting.

With `parallel` above 1 the server answers that many requests at once: its chats go to a
`BatchedEngine` of its own, and their answers run on a pool of threads (N and two more, which
wait in the engine for a slot, their prompts rendered) rather than on the inference thread.
"""

from __future__ import annotations

import concurrent.futures
import errno
import functools
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.chat.api import ApiService, ServedModels
from app.core.engine.base import InferenceEngine
from app.core.engine.runner import EngineRunner, RunnerClosedError
from app.core.models.library import ModelEntry
from app.core.settings.file import SettingsFile
from app.server.app import Activity, ServerConfig, create_app
from app.server.guard import check_bind

if TYPE_CHECKING:
    import uvicorn  # loaded when the server starts

log = logging.getLogger(__name__)
IDLE_CHECK_S = 15.0


class ServerStartError(RuntimeError):
    """The server cannot start: one line saying why (the port is taken, no key…)."""


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        host = "127.0.0.1" if host == "0.0.0.0" else host
        return f"http://{host}:{self.port}/v1"


class LocalServer:
    """The OpenAI-compatible server, answering through `runner`'s engine thread.

    `window_engine`: the runner's engine is the window's own, whose model the server uses when
    a request names it, loading any other into an engine of its own (`ServedModels`).
    `parallel`: requests answered at once (`resolve.parallel_count`; 1: one after another, on
    the inference thread); `on_note` is told when memory makes room for fewer.
    """

    def __init__(self, runner: EngineRunner, settings: SettingsFile, *, data_dir: Path,
                 models_dir: Path, window_engine: bool,
                 make_engine: Callable[[], InferenceEngine] | None = None,
                 extra: tuple[ModelEntry, ...] = (), parallel: int = 1,
                 on_note: Callable[[str], None] | None = None) -> None:
        from app.core.engine.batched_engine import BatchedEngine
        from app.core.engine.llama_cpp_backend import LlamaCppEngine

        self.runner = runner
        self.settings = settings
        self.parallel = parallel
        self.served = ServedModels(
            models_dir, settings, window_engine=window_engine,
            make_engine=make_engine or LlamaCppEngine, extra=extra,
            make_batched=functools.partial(BatchedEngine, parallel) if parallel > 1 else None,
            on_note=on_note)
        self.service = ApiService(self.served, settings, data_dir)
        self.activity = Activity()
        self.address: ServerAddress | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._idle_stop = threading.Event()
        self._idle_thread: threading.Thread | None = None
        self._answers: concurrent.futures.ThreadPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, config: ServerConfig) -> ServerAddress:
        """Listen and serve; the address. Raises `ServerStartError` with one line."""
        import uvicorn

        if self.running:
            raise ServerStartError("the server is already running")
        try:
            check_bind(config.host, config.api_key)
        except ValueError as exc:
            raise ServerStartError(str(exc)) from None
        sock = _bind(config.host, config.port)
        port = sock.getsockname()[1]
        config = replace(config, port=port)
        if self.served.batched:
            self._answers = concurrent.futures.ThreadPoolExecutor(
                self.parallel + 2, thread_name_prefix="api-answer")
        app = create_app(self.runner, self.service, config, self.activity, self._answers)
        uv_config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                   timeout_graceful_shutdown=3, ws="none")
        server = uvicorn.Server(uv_config)
        self._server = server
        started = threading.Event()

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException:
                log.exception("the local server stopped with an error")
            finally:
                started.set()
                sock.close()

        self._thread = threading.Thread(target=serve, name="server", daemon=True)
        self._thread.start()
        while not started.wait(0.02) and not server.started:
            pass
        if not server.started:
            raise ServerStartError("the server could not start: see the log")
        self.address = ServerAddress(config.host, port)
        self._idle_stop.clear()
        self._idle_thread = threading.Thread(target=self._unload_when_idle, name="server-idle",
                                             daemon=True)
        self._idle_thread.start()
        log.info("serving on %s, %d requests at once", self.address.url, self.parallel)
        return self.address

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop listening, end the requests in flight, free the server's own model."""
        server, thread = self._server, self._thread
        self._idle_stop.set()
        self.activity.cancel_all()  # answers in flight end at their next token
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout_s)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout_s)
        self._server = self._thread = None
        self.address = None
        answers, self._answers = self._answers, None
        if answers is not None:  # its answers were told to stop: they end at the next token
            answers.shutdown(wait=False)
        try:
            self.runner.submit("api", self.served.close).result(timeout_s)
        except (RunnerClosedError, TimeoutError, concurrent.futures.TimeoutError):
            pass  # the window is closing too: the runner frees every model
        except Exception:
            log.exception("freeing the server's model failed")

    def _unload_when_idle(self) -> None:
        pending: Future[bool] | None = None
        while not self._idle_stop.wait(IDLE_CHECK_S):
            minutes = self.settings.get("server.idle_unload_min")
            if not isinstance(minutes, int) or minutes <= 0:
                continue
            if self.served.idle_for() < minutes * 60 or (pending and not pending.done()):
                continue  # one check queued at a time, behind however long an answer
            try:
                pending = self.runner.submit(
                    "api", functools.partial(self.served.unload_if_idle, idle_s=minutes * 60.0))
            except RunnerClosedError:
                return


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port` (0: any free port); `ServerStartError` if not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServerStartError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerStartError(f"port {port} is in use by another program: choose another "
                                   "port") from None
        raise ServerStartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock
