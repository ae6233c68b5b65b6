"""Every path the app reads or writes, in one place.

By default the folders come from platformdirs. `--data-dir DIR` (or the `LAMPLIGHT_DATA_DIR`
environment variable) puts all of them under DIR instead, so tests and portable installs never
touch the user's own files.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app.files import make_private, make_private_dir

APP_NAME = "Lamplight"
DATA_DIR_ENV = "LAMPLIGHT_DATA_DIR"


@dataclass(frozen=True)
class AppPaths:
    """The folders of one installation; created on first use by `ensure()`."""

    config_dir: Path
    data_dir: Path
    models_dir: Path
    logs_dir: Path
    cache_dir: Path

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        root = root.expanduser().resolve()
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            models_dir=root / "models",
            logs_dir=root / "logs",
            cache_dir=root / "cache",
        )

    @classmethod
    def default(cls) -> AppPaths:
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        data = Path(dirs.user_data_dir)
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=data,
            models_dir=data / "models",
            logs_dir=Path(dirs.user_log_dir),
            cache_dir=Path(dirs.user_cache_dir),
        )

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
        """The paths for `--data-dir` if given, else the environment override, else the defaults."""
        chosen = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV)
        return cls.under(Path(chosen)) if chosen else cls.default()

    def ensure(self) -> AppPaths:
        """Create the folders, readable by the user alone (POSIX: 0700, whatever the umask;
        folders an older version made open to others are narrowed). Raises `OSError`."""
        for folder in (self.config_dir, self.data_dir, self.models_dir, self.logs_dir,
                       self.cache_dir):
            make_private_dir(folder)
        # Files an older version wrote open to others (0644 under the usual umask 022):
        # the chats and their saved model states decode back to whole conversations.
        make_private([path for folder in (self.config_dir, self.data_dir, self.logs_dir)
                      for path in folder.iterdir() if path.is_file()])
        if self.states_dir.is_dir():
            make_private([self.states_dir, *self.states_dir.iterdir()])
        return self

    @property
    def state_file(self) -> Path:
        """Small UI state kept between runs (the last model chosen)."""
        return self.config_dir / "state.json"

    @property
    def states_dir(self) -> Path:
        """Chats' evaluated states, for reopening long chats without reading them again."""
        return self.cache_dir / "states"

    @property
    def log_file(self) -> Path:
        return self.logs_dir / "lamplight.log"


def resources_dir() -> Path:
    """The `resources/` folder: beside the package in a checkout, inside a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
