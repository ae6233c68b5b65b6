"""The window as `lamplight` opens it, in a process of its own: Ctrl+C in the terminal (SIGINT)
and `kill` (SIGTERM) close it as the user closing it would."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests import gui_process

pytestmark = [pytest.mark.integration, pytest.mark.model]  # the window loads the built-in model


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_closes_the_window_and_exits_0(tmp_path: Path, number: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    log = tmp_path / "logs" / "lamplight.log"
    process = gui_process.start([sys.executable, "-m", "app", "--data-dir", str(tmp_path)], env)
    try:
        gui_process.wait_for_log(log, gui_process.SHOWN, process)
        # Loaded, so that the way out frees a model, as it does for a user.
        gui_process.wait_for_log(log, "loaded ", process)
        status, err = gui_process.end_with(process, number)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert status == 0, err
    assert "Traceback" not in err
    text = log.read_text(encoding="utf-8")
    assert f"{number.name}: closing the window" in text
    assert "window closed, exit status 0" in text
    assert "WARNING" not in text and "ERROR" not in text, text
