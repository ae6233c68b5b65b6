"""The one throttle for bursts: at most once per interval, the first at once, the last never
lost; on a fake clock and a fake timer."""

from __future__ import annotations

import pytest

from app.core.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class FakeTimer:
    """Records what the throttle asks of its timer."""

    def __init__(self) -> None:
        self.armed: float | None = None
        self.starts: list[float] = []

    def start(self, delay_s: float) -> None:
        self.armed = delay_s
        self.starts.append(delay_s)

    def stop(self) -> None:
        self.armed = None


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_first_call_goes_at_once_and_one_too_soon_waits(clock: Clock) -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.t), 1.0, clock=clock)
    throttle()
    assert calls == [100.0] and not throttle.pending
    clock.t = 100.4
    throttle()
    throttle()  # kept with the one before: one delivery
    assert calls == [100.0] and throttle.pending
    clock.t = 101.0  # the interval is over: the next call goes, and takes the kept ones along
    throttle()
    assert calls == [100.0, 101.0] and not throttle.pending


def test_flush_delivers_a_kept_call_and_only_one(clock: Clock) -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.t), 1.0, clock=clock)
    throttle.flush()
    assert calls == []  # nothing kept, nothing delivered
    throttle()
    clock.t = 100.1
    throttle()
    throttle.flush()
    throttle.flush()
    assert calls == [100.0, 100.1]
    clock.t = 100.5  # the flush started the interval again
    throttle()
    assert calls == [100.0, 100.1] and throttle.pending


def test_now_delivers_whether_due_or_not_and_starts_the_interval_again(clock: Clock) -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.t), 1.0, clock=clock)
    throttle()
    clock.t = 100.2
    throttle()
    throttle.now()
    assert calls == [100.0, 100.2] and not throttle.pending
    throttle.now()
    assert calls == [100.0, 100.2, 100.2]
    clock.t = 101.1
    throttle()  # a second after the last forced one, not the first
    assert calls[-1] == 100.2 and throttle.pending
    clock.t = 101.3
    throttle()
    assert calls[-1] == 101.3


def test_the_first_call_can_wait_an_interval_from_the_start(clock: Clock) -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.t), 0.5, first_at_once=False, clock=clock)
    clock.t = 100.3
    throttle()
    assert calls == [] and throttle.pending
    clock.t = 100.5
    throttle()
    assert calls == [100.5]


def test_a_zero_interval_delivers_every_call(clock: Clock) -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.t), 0, clock=clock)
    for _ in range(3):
        throttle()
    assert len(calls) == 3


def test_a_timer_is_armed_for_what_is_left_of_the_interval_and_only_while_a_call_is_kept(
        clock: Clock) -> None:
    calls: list[float] = []
    timer = FakeTimer()
    throttle = Throttle(lambda: calls.append(clock.t), 1.0, timer=timer, clock=clock)
    throttle()
    assert timer.starts == []  # delivered in the caller's turn: no timer needed
    clock.t = 100.25
    throttle()
    clock.t = 100.5
    throttle()  # already armed
    assert timer.starts == [pytest.approx(0.75)] and timer.armed is not None
    clock.t = 101.0
    throttle.flush()  # what the timer calls when it goes off
    assert calls == [100.0, 101.0] and not throttle.pending

    clock.t = 101.5
    throttle()  # armed again...
    assert timer.armed == pytest.approx(0.5)
    clock.t = 102.0
    throttle()  # ...and stopped, as the next call came when due and delivered itself
    assert timer.armed is None and calls == [100.0, 101.0, 102.0]
    clock.t = 102.1
    throttle()
    throttle.now()  # so does a forced delivery
    assert timer.armed is None and calls[-1] == 102.1
