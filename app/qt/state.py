"""The little the window remembers between runs (the last model), as JSON in the config dir.

Settings proper get a declared schema of their own; this is only UI state. A damaged file is
ignored, never fatal.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from app.core.jsonfile import read_json, write_json

log = logging.getLogger(__name__)


def load_state(path: Path) -> dict[str, Any]:
    data = read_json(path)
    return data if isinstance(data, dict) else {}


def save_state(path: Path, **values: Any) -> None:
    try:
        write_json(path, load_state(path) | values)
    except OSError as exc:
        log.warning("cannot save %s: %s", path, exc)
