"""The window in a process of its own, as a user starts it, and its end, as a user ends it.

Shared by tests/integration (`python -m app`) and tests/frozen (dist/Lamplight/Lamplight). The
app writes "window shown after N s" to its log file on the window's first paint; that is how a
test knows the window is up.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

SHOWN = "window shown after"
QUIT_TIMEOUT_S = 30


def start(command: Sequence[str], env: dict[str, str], cwd: Path | None = None,
          ) -> subprocess.Popen[str]:
    return subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def wait_for_log(log: Path, text: str, process: subprocess.Popen[str],
                 timeout_s: float = 120) -> str:
    """The log once it holds `text`; fails if the process ends or the time runs out first."""
    deadline = time.monotonic() + timeout_s
    while True:
        content = log.read_text(encoding="utf-8") if log.is_file() else ""
        if text in content:
            return content
        if process.poll() is not None:
            _, err = process.communicate()
            raise AssertionError(f"the app ended ({process.returncode}) before logging "
                                 f"{text!r}:\n{err}\n{content}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} in the log after {timeout_s} s:\n{content}")
        time.sleep(0.1)


def end_with(process: subprocess.Popen[str], number: signal.Signals) -> tuple[int, str]:
    """Send the signal; the exit status and stderr once the app has ended (killed after
    QUIT_TIMEOUT_S: the test then fails on the status)."""
    process.send_signal(number)
    try:
        _, err = process.communicate(timeout=QUIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        err += f"\n(still running {QUIT_TIMEOUT_S} s after {number.name}: killed)"
    return process.returncode, err


def shown_seconds(log_text: str) -> float:
    """N of the "window shown after N s" line."""
    line = next(line for line in log_text.splitlines() if SHOWN in line)
    return float(line.split(SHOWN, 1)[1].split()[0])
