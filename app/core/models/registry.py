"""`library.json` in the models folder: where each installed model came from.

A downloaded file keeps its repo, commit and verified SHA-256 here; an imported file says whether
it was copied in or is referenced where the user keeps it (then it is never deleted by us). The
models folder itself stays the truth for what is installed: a `.gguf` dropped in by hand is listed
without a record, and a record whose file is gone is ignored.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.core.jsonfile import read_json, write_json

log = logging.getLogger(__name__)

REGISTRY_FILE = "library.json"
VERSION = 1
_lock = threading.Lock()  # downloads finish on worker threads


class Registry:
    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self.file = models_dir / REGISTRY_FILE

    def key(self, path: Path) -> str:
        """Files inside the models folder are keyed relative to it, so the folder can move."""
        path = path.absolute()
        try:
            return path.relative_to(self.models_dir.absolute()).as_posix()
        except ValueError:
            return str(path)

    def path_of(self, key: str) -> Path:
        path = Path(key)
        return path if path.is_absolute() else self.models_dir / path

    def read(self) -> dict[str, dict[str, Any]]:
        data = read_json(self.file)  # unreadable: the library counts as unrecorded
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, dict):
            return {}
        return {k: v for k, v in models.items() if isinstance(v, dict)}

    def get(self, path: Path) -> dict[str, Any] | None:
        return self.read().get(self.key(path))

    def add(self, path: Path, **record: Any) -> None:
        record["added"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with _lock:
            models = self.read()
            models[self.key(path)] = record
            self._write(models)

    def remove(self, path: Path) -> None:
        with _lock:
            models = self.read()
            if models.pop(self.key(path), None) is not None:
                self._write(models)

    def references(self) -> list[Path]:
        """Files the user keeps elsewhere and imported by reference."""
        return [self.path_of(k) for k, v in self.read().items() if v.get("source") == "reference"]

    def _write(self, models: dict[str, dict[str, Any]]) -> None:
        write_json(self.file, {"version": VERSION, "models": models})
