"""llama.cpp's own `llama-server` (built by `tests.llama_tools`) as a subprocess on 127.0.0.1,
for the remote engine's tests and benchmark: started on a free port, ready once `/health`
answers 200 (it answers 503 while the model loads), killed after.

Its model id is `alias`; `-c` is the whole context, shared by the `-np` slots (each gets
`n_ctx // parallel`, what `/props` reports).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from tests import llama_tools

START_TIMEOUT_S = 120
ALIAS = "smollm2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServerError(RuntimeError):
    """`llama-server` is not built, or did not start."""


class LlamaServer:
    """One `llama-server` (see the module); `url` is its OpenAI base URL."""

    def __init__(self, model: Path, log: Path, *, n_ctx: int, parallel: int = 1,
                 threads: int = 2, api_key: str | None = None, alias: str = ALIAS) -> None:
        program = llama_tools.program("llama-server")
        if program is None:
            raise LlamaServerError(llama_tools.missing_reason())
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.root}/v1"
        self.log = log
        self._api_key = api_key
        command = [str(program), "-m", str(model), "--host", "127.0.0.1", "--port",
                   str(self.port), "-c", str(n_ctx), "-np", str(parallel), "-t", str(threads),
                   "--alias", alias, "--no-webui"]
        if api_key is not None:
            command += ["--api-key", api_key]
        with log.open("w") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LlamaServerError(f"llama-server exited ({self.process.returncode}): "
                                       f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.root}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):  # not listening, or 503 while loading
                pass
            time.sleep(0.1)
        raise LlamaServerError(f"llama-server did not get ready in {START_TIMEOUT_S} s: "
                               f"{self.log_tail()}")

    def get(self, path: str) -> Any:
        """GET `path` of the server's root, as JSON (with its key)."""
        request = urllib.request.Request(f"{self.root}{path}")
        if self._api_key is not None:
            request.add_header("Authorization", f"Bearer {self._api_key}")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def busy_slots(self) -> int:
        """How many slots are working on a request now (`GET /slots`)."""
        return sum(1 for slot in self.get("/slots") if slot.get("is_processing"))

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return " | ".join(text[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
