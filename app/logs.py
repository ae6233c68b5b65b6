"""Logging to a file under the logs folder; stderr stays for what the user must read."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import IO, Any

from app.files import make_private, private_opener
from app.i18n import _
from app.paths import AppPaths


class _PrivateLogFile(logging.handlers.RotatingFileHandler):
    """The log file: readable by the user alone (it holds file names, model names and errors),
    and quiet when it cannot be written.

    logging's own handling of a failed write prints a traceback to stderr for every record: on
    a full disk, every command the user runs would print them. Here the first failure turns the
    file off for the rest of the run, with one line on stderr saying where and why.
    """

    def _open(self) -> IO[Any]:
        stream = open(self.baseFilename, self.mode, encoding=self.encoding,  # noqa: SIM115
                      errors=self.errors, opener=private_opener)
        make_private([Path(self.baseFilename)])
        return stream

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        self.setLevel(logging.CRITICAL + 1)  # nothing more to this file in this run
        with contextlib.suppress(OSError, ValueError):  # stderr closed too: nothing to tell
            sys.stderr.write(_("lamplight: warning: {message}").format(message=_(
                "cannot write the log {path} ({reason}); not logging to it any more in this "
                "run.").format(path=self.baseFilename, reason=reason)) + "\n")


def setup_logging(paths: AppPaths, verbose: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_lamplight", False):
            root.removeHandler(handler)
            handler.close()  # a second call (tests run `main` in-process) must not leak the file
    try:
        file_handler: logging.Handler = _PrivateLogFile(
            paths.log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:  # a read-only data dir must not stop the app
        file_handler = logging.NullHandler()
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handlers = [file_handler]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler._lamplight = True  # type: ignore[attr-defined]
        root.addHandler(handler)
