"""Another Lamplight to connect to, in this process: the real OpenAI-compatible server
(`LocalServer`) on a free port of 127.0.0.1, its model the scripted engine, so a remote model
answers in milliseconds. And an address where nothing listens, which fails at once."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.core.engine.runner import EngineRunner
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from app.server.app import ServerConfig
from app.server.run import LocalServer
from tests.scripted_engine import ScriptedEngine


@dataclass
class Served:
    url: str  # the API's base, ".../v1"
    engine: ScriptedEngine  # what the server's model answers


@contextmanager
def served_lamplight(root: Path, api_key: str | None = None) -> Iterator[Served]:
    """A Lamplight server under `root` offering the installed models (the built-in one, as
    "builtin"), answered by a scripted engine; stopped after."""
    engine = ScriptedEngine()
    runner = EngineRunner(lambda: engine, name="served-lamplight")
    paths = AppPaths.under(root).ensure()
    server = LocalServer(runner, SettingsFile.load(paths.config_dir), data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False)
    address = server.start(ServerConfig(port=0, api_key=api_key))
    try:
        yield Served(address.url, engine)
    finally:
        server.stop()
        runner.shutdown(last=lambda e: e.unload())


def closed_url() -> str:
    """An API address on this machine where nothing listens: a connection refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@contextmanager
def lamplight_serve(data_dir: Path, *extra: str, env: Mapping[str, str] | None = None
                    ) -> Iterator[str]:
    """`lamplight serve --port 0` as a subprocess of its own on `data_dir`, with `extra`
    arguments: yields the base URL it prints, then stops it with Ctrl+C (killed after 30 s)."""
    args = [sys.executable, "-m", "app", "--data-dir", str(data_dir), "serve", "--port", "0",
            *extra]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), process.stderr.read()
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
