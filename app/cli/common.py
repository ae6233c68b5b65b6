"""What every `lamplight` command shares: exit statuses and how bad usage is reported."""

from __future__ import annotations

import argparse
from typing import NoReturn

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
DEFAULT_CTX = 4096


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with the message as one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")
