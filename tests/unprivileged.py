"""Run a command as a user who cannot read what they may not: the tests run as root on CI,
and root reads every file whatever its mode. As root, the command runs without the two
capabilities that let it (util-linux's `setpriv`); as anyone else, as it is."""

from __future__ import annotations

import os
import shutil

import pytest


def without_read_override() -> list[str]:
    """The prefix for a command that must not read a file of mode 000 (empty when not
    root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("as root, needs util-linux's setpriv to drop the read override")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
