"""Small JSON files the app keeps (the model library, presets, window state): read tolerantly,
written atomically."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def read_json(path: Path) -> object | None:
    """The file's content; None when it is missing or cannot be read (logged, never raised),
    so a damaged file costs its contents, not the app."""
    try:
        data: object = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None
    return data


def write_json(path: Path, data: object) -> None:
    """Replace the file with `data`: a crash leaves the old file or the new, never half of one.

    Raises `OSError`; nothing is left behind then.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
