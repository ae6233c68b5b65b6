"""Start-up: from launching `lamplight` to the window shown, and to the first token of an answer
from the model used last time.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_startup.py [--rounds R]

Each round starts a fresh Python process that runs the app's own entry point (`app.cli.main`,
what the `lamplight` command runs) on a data folder whose state names SmolLM2 as the last model.
The process reports, in seconds since it was launched: the first paint of the main window; the
model loaded; and, for a question sent the moment the model is ready, the first piece of the
answer in the conversation. Medians and maxima of the rounds. Nothing is asserted; target:
window shown ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

LAUNCHED = "LAMPLIGHT_BENCH_LAUNCHED"


def child(data_dir: str) -> None:
    """Run the app as `lamplight --data-dir DIR` does, with probes on the window."""
    launched = float(os.environ[LAUNCHED])
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        if name not in marks:
            marks[name] = time.time() - launched

    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from app.qt import application

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                mark("shown")
            return False

    build_window = application.build_window

    def probed(paths):  # type: ignore[no-untyped-def]
        window, host = build_window(paths)
        painted = FirstPaint(window)
        window.installEventFilter(painted)
        controller = window.controller
        controller.auto_titles = False

        def on_loaded(_info: object) -> None:
            mark("loaded")
            window.composer.setPlainText("Say hello.")
            window.composer.submit()

        def on_changed(*_: object) -> None:
            answer = controller.conversation.last()
            if answer is not None and answer.role == "assistant" and answer.content:
                mark("first token")
                print(json.dumps(marks), flush=True)
                controller.stop()
                QApplication.quit()

        controller.modelLoaded.connect(on_loaded)
        controller.model.dataChanged.connect(on_changed)
        return window, host

    application.build_window = probed
    from app.cli import main

    sys.exit(main(["--data-dir", data_dir]))


def one_round(data_dir: Path) -> dict[str, float]:
    env = dict(os.environ, **{LAUNCHED: repr(time.time())})
    done = subprocess.run([sys.executable, __file__, "--child", str(data_dir)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"the app did not report (exit {done.returncode}):\n{done.stderr}")
    marks: dict[str, float] = json.loads(lines[-1])
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.core.models.library import builtin_model_path
    from app.paths import AppPaths
    from app.qt.state import save_state

    with tempfile.TemporaryDirectory(prefix="lamplight-startup-") as folder:
        paths = AppPaths.under(Path(folder)).ensure()
        save_state(paths.state_file, last_model=str(builtin_model_path()))
        one_round(Path(folder))  # warm the file cache: a user's second start, not a cold disk
        rounds = [one_round(Path(folder)) for _ in range(args.rounds)]
    print(f"Start-up, {args.rounds} rounds (QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}), "
          "seconds since launch:")
    print(f"{'':<36}{'median':>8}{'max':>8}   target")
    for key, label, target in (("shown", "window shown (first paint)", "≤ 1.5 s"),
                               ("loaded", "last model loaded", ""),
                               ("first token", "first token of an answer", "")):
        values = [r[key] for r in rounds]
        print(f"{label:<36}{statistics.median(values):>7.2f}s{max(values):>7.2f}s   {target}")


if __name__ == "__main__":
    main()
