"""The little the window remembers between runs (the last model), as JSON in the config dir.

Settings proper get a declared schema of their own; this is only UI state. A damaged file is
ignored, never fatal.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def load_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def save_state(path: Path, **values: Any) -> None:
    state = load_state(path) | values
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
        tmp.replace(path)  # atomic: a crash never leaves half a file
    except OSError as exc:
        log.warning("cannot save %s: %s", path, exc)
