"""What every `lamplight` command shares: exit statuses and how bad usage is reported."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from app.core.engine import GenerationParams, LoadSpec
from app.core.models.library import ModelEntry
from app.core.settings import SettingsFile, generation_params, load_options
from app.paths import AppPaths

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
DEFAULT_CTX = 4096


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with the message as one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def load_spec(paths: AppPaths, entry: ModelEntry, ctx: int | None) -> LoadSpec:
    """How to load `entry`: the settings the window uses (settings.json), `--ctx` over them.

    A problem in the settings file is one warning line on stderr; the defaults are used.
    """
    settings = SettingsFile.load(paths.config_dir)
    for problem in settings.problems:
        print(f"lamplight: warning: settings: {problem}", file=sys.stderr)
    options = load_options(settings, entry.name, can_offload=True)
    if ctx is not None:
        options["n_ctx"] = ctx
    return LoadSpec(entry.path, **options)


def sampling(paths: AppPaths, entry: ModelEntry) -> GenerationParams:
    """The sampling settings for `entry`, as the window would use them (problems were already
    reported by `load_spec`)."""
    return generation_params(SettingsFile.load(paths.config_dir), entry.name,
                             base=entry.default_params)
