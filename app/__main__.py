"""`python -m app` does what the `lamplight` command does."""

import sys

from app.cli import main

sys.exit(main())
