"""Model headers read for the installed list, off the GUI thread, each with the file's
signature (`names.signature_of`: size and mtime) so that a header is read again only when its
file changed."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from app.core.engine.gguf import GGUFError, GGUFHeader, read_header
from app.core.models import names
from app.core.models.names import signature_of

log = logging.getLogger(__name__)

# What a header read gives: the header, or why it could not be read.
HeaderResult = GGUFHeader | str
# A file's size and mtime when its header was read; None when it could not be looked at.
Signature = names.Signature | None
Headers = dict[Path, tuple[Signature, HeaderResult]]


def _unreadable(why: object) -> str:
    # Read on a worker thread: translate() is safe there, a widget's tr() is not.
    return QCoreApplication.translate("InstalledList", "unreadable: {}").format(why)


def read_headers(paths: list[Path]) -> Headers:
    """Headers of `paths` (0.1–0.2 s each on big vocabularies): run off the GUI thread."""
    found: Headers = {}
    for path in paths:
        signature = signature_of(path)
        try:
            header = read_header(path)
            names.remember(path, header)  # the picker and the status bar show its name too
            found[path] = (signature, header)
        except (GGUFError, OSError) as exc:
            found[path] = (signature, _unreadable(exc))
        except Exception as exc:  # whatever one file holds, the other rows keep theirs
            log.exception("reading the header of %s failed", path)
            found[path] = (signature, _unreadable(type(exc).__name__))
    return found
