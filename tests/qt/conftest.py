"""The real main window for Qt tests, with a data dir of its own.

`window` runs on the scripted engine (`tests/scripted_engine.py`): the window's behaviour, in
milliseconds. `real_window` runs llama.cpp on the built-in model, for the few end-to-end tests
that must see a real answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.paths import AppPaths
from app.qt.application import EngineFactory, build_window, default_engine
from app.qt.main_window import MainWindow
from tests.scripted_engine import ScriptedEngine


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.under(tmp_path / "app").ensure()


@pytest.fixture
def engine() -> ScriptedEngine:
    """What the `window`'s model answers: script it before the test sends."""
    return ScriptedEngine()


def _window(qtbot, paths: AppPaths, factory: EngineFactory) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win, host = build_window(paths, factory)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()  # downloads pause before the inference thread goes
    host.shutdown()


@pytest.fixture
def window(qtbot, paths: AppPaths, engine: ScriptedEngine) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    yield from _window(qtbot, paths, engine.factory)


@pytest.fixture
def real_window(qtbot, paths: AppPaths) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    yield from _window(qtbot, paths, default_engine)
