"""Logging to a file under the logs folder; stderr stays for what the user must read."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from app.paths import AppPaths


def setup_logging(paths: AppPaths, verbose: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_lamplight", False):
            root.removeHandler(handler)
            handler.close()  # a second call (tests run `main` in-process) must not leak the file
    try:
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
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
