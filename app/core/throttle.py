"""One throttle for bursts of updates: a streamed answer's pieces, its saving and drawing,
download progress, progress lines.

Modelled on qutebrowser's `misc/throttle.py`: a call at most once per interval, the first at
once, and one that comes too soon kept and delivered later, so the last update is never lost.
Pure Python: the core and the terminal use it as it is; a front-end that must deliver a kept
call on time without waiting for the next one gives it a `Timer` (the window's is a single-shot
QTimer, `app.qt.throttle`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    """Calls back once, `delay_s` after `start`, unless stopped first."""

    def start(self, delay_s: float) -> None: ...

    def stop(self) -> None: ...


# Makes a `Timer` that calls the given function: how a front-end lends the core its clock.
TimerFactory = Callable[[Callable[[], None]], Timer]


class Throttle:
    """Calls `deliver` at most once per `interval_s`.

    A call when the interval since the last delivery is over delivers at once, in the caller's
    own turn. One that comes too soon is kept (calls kept meanwhile are one delivery: `deliver`
    reads what is new itself) and delivered by the first call after the interval, by `flush`
    (the end of the stream), or, given a `timer`, when the interval is over.

    `first_at_once=False` counts the first interval from the throttle's making, for updates the
    first of which need not go at once. `clock` (seconds) is for tests.
    """

    def __init__(self, deliver: Callable[[], None], interval_s: float, *,
                 timer: Timer | None = None, first_at_once: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._deliver = deliver
        self._timer = timer
        self._clock = clock
        self._last = -math.inf if first_at_once else clock()
        self._pending = False

    @property
    def pending(self) -> bool:
        """A call was kept and not delivered yet."""
        return self._pending

    def __call__(self) -> None:
        """Deliver now if the interval is over, else keep the call for later."""
        now = self._clock()
        wait = self._last + self.interval_s - now
        if wait <= 0:
            self._deliver_now(now)
        elif not self._pending:
            self._pending = True
            if self._timer is not None:
                self._timer.start(wait)

    def flush(self) -> None:
        """Deliver a kept call now, if there is one; also what the timer calls."""
        if self._pending:
            self._deliver_now(self._clock())

    def cancel(self) -> None:
        """Drop a kept call: what it would deliver is no longer wanted (the stream ended and
        was delivered some other way)."""
        if self._pending:
            self._pending = False
            if self._timer is not None:
                self._timer.stop()

    def now(self) -> None:
        """Deliver now, due or not (the last words of an answer, a step done): a kept call
        goes with it, and the interval starts again."""
        self._deliver_now(self._clock())

    def _deliver_now(self, now: float) -> None:
        if self._pending:
            self._pending = False
            if self._timer is not None:
                self._timer.stop()
        self._last = now
        self._deliver()


class PieceBatcher:
    """Hands a stream's pieces on at most once per `interval_s`, joined; the first at once.

    A fast model makes a token every few milliseconds, on a thread of its own. Handing each on
    wakes the thread that shows or sends it (the window's GUI thread, the server's event loop),
    and on a machine whose cores all run llama.cpp that time comes out of generation speed.
    Batched, each batch is the one wake-up. Pieces kept back go with the next piece that is
    due, or with `flush` at the end.
    """

    def __init__(self, emit: Callable[[str], None], interval_s: float) -> None:
        self._emit = emit
        self._pending: list[str] = []
        self._throttle = Throttle(self._send, interval_s)

    def add(self, text: str) -> None:
        self._pending.append(text)
        self._throttle()

    def flush(self) -> None:
        self._throttle.flush()

    def _send(self) -> None:
        text, self._pending = "".join(self._pending), []
        self._emit(text)
