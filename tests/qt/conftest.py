"""The real main window for Qt tests, with a data dir of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.qt.application import build_window
from app.qt.main_window import MainWindow


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.under(tmp_path / "app").ensure()


@pytest.fixture
def window(qtbot, paths: AppPaths) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win, host = build_window(paths)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()  # downloads pause before the inference thread goes
    host.shutdown()
