"""The core's `Throttle` on the GUI thread: a call kept for later is delivered by a single-shot
QTimer, armed only while one is kept, so a throttle that delivers in its callers' own turns
costs no wake-up of its own. `gui_timer` lends the core such a timer (the chat service's
partial writer)."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from app.core.throttle import Throttle


class _SingleShot:
    """`app.core.throttle.Timer` as a single-shot QTimer. Without a parent, the QTimer goes
    with this object."""

    def __init__(self, timer: QTimer) -> None:
        self._timer = timer

    def start(self, delay_s: float) -> None:
        self._timer.start(max(0, math.ceil(delay_s * 1000)))

    def stop(self) -> None:
        self._timer.stop()


def gui_timer(callback: Callable[[], None]) -> _SingleShot:
    """An `app.core.throttle.TimerFactory` for the thread that calls it (the GUI thread)."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(callback)
    return _SingleShot(timer)


def gui_throttle(deliver: Callable[[], None], interval_s: float, parent: QObject) -> Throttle:
    """A `Throttle` of `deliver` whose kept call comes when the interval is over, on the thread
    of `parent` (the timer's owner, which it goes with)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    throttle = Throttle(deliver, interval_s, timer=_SingleShot(timer))
    timer.timeout.connect(throttle.flush)
    return throttle
