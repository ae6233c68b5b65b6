"""The security suite: one module per class of hostile input (issue 17). The window's
fixtures are the Qt tests' own."""

from __future__ import annotations

from tests.qt.conftest import engine, paths, window  # noqa: F401
