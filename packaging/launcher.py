"""The frozen app's entry point: the `lamplight` command (the window, or a subcommand)."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
