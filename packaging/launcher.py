"""The frozen app's entry point: the `lamplight` command (the window, or a subcommand)."""

import os
import sys

if sys.platform.startswith("linux") and not any(
        os.environ.get(name) for name in ("LC_ALL", "LC_CTYPE", "LANG")):
    # Started with no locale at all (a bare `env -i`, some service managers): `python` itself
    # would coerce it to UTF-8 (PEP 538), the frozen app does not, and Qt then prints a
    # four-line warning about the C locale to stderr before switching to UTF-8 anyway.
    os.environ["LC_CTYPE"] = "C.UTF-8"

from app.cli import main  # after the locale is settled

if __name__ == "__main__":
    sys.exit(main())
