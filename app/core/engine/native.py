"""llama_cpp, imported once and late (it costs time and pulls in numpy), with its native log
routed into ours and the chat templates it compiles bounded (`template_guard`)."""

from __future__ import annotations

import ctypes
import functools
import io
import logging
from typing import Any

native_log = logging.getLogger("llama.cpp")

# ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continue the previous line. (The comment in
# llama-cpp-python's _logger.py gives an older order.)
_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}


class NativeLog:
    """Receives llama.cpp's log lines and hands them to `logging`.

    llama-cpp-python's own callback prints to stderr; the CLI must keep stderr to one clear line
    on failure, and `verbose=False` would point fds 1 and 2 at /dev/null for the whole process.
    The first error line since `reset_error()` is kept: when a load fails it holds the reason
    ("tensor ... data is not within the file bounds"); later lines only say that it failed.
    """

    def __init__(self) -> None:
        self._partial = ""
        self._level = logging.INFO
        self.first_error: str | None = None

    def __call__(self, level: int, text: bytes, _user_data: Any) -> None:
        if level != 5:
            self._level = _LEVELS.get(level, logging.INFO)
        self._partial += text.decode("utf-8", errors="replace")
        if not self._partial.endswith("\n"):
            return
        for line in self._partial.splitlines():
            if line.strip():
                native_log.log(self._level, "%s", line)
                if self._level >= logging.ERROR and self.first_error is None:
                    self.first_error = line.strip().split(": error loading model: ")[-1]
        self._partial = ""


class StderrToLog(io.TextIOBase):
    """Takes what llama-cpp-python prints to sys.stderr while loading (verbose mode)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                native_log.debug("%s", line)
        return len(text)


NATIVE_LOG = NativeLog()
_keep_alive: list[Any] = []  # ctypes callbacks handed to C must outlive every call


@functools.cache
def load_llama_cpp() -> Any:
    """Import llama_cpp (deliberately late), route its native log into ours and bound the chat
    templates it compiles and renders (`template_guard`), once."""
    import llama_cpp
    from llama_cpp import llama_chat_format

    from app.core.engine import template_guard

    callback = llama_cpp.llama_log_callback(NATIVE_LOG)
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    _keep_alive.append(callback)
    template_guard.install(llama_chat_format)
    return llama_cpp
