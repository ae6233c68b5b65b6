"""What every `lamplight` command shares: exit statuses and how bad usage is reported."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from app.core.settings import SettingsFile
from app.paths import AppPaths

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
DEFAULT_CTX = 4096


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with the message as one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def load_settings(paths: AppPaths) -> SettingsFile:
    """The settings the window uses (settings.json); a problem in the file is one warning line
    on stderr, and the defaults stand in."""
    settings = SettingsFile.load(paths.config_dir)
    for problem in settings.problems:
        print(f"lamplight: warning: settings: {problem}", file=sys.stderr)
    return settings
