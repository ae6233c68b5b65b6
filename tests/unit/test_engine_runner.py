"""The inference thread's queue: one thread runs every job; lanes take turns; a full lane
refuses at once; shutdown drops what waits and runs the last job."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest

from app.core.engine.runner import EngineRunner, QueueFullError, QueueWait, RunnerClosedError
from tests.scripted_engine import ScriptedEngine


def _held_runner() -> tuple[EngineRunner, threading.Event]:
    """A runner whose first job holds the thread until the event is set."""
    runner = EngineRunner(ScriptedEngine)
    release = threading.Event()
    started = threading.Event()
    runner.submit("api", lambda _e: (started.set(), release.wait(10)))
    assert started.wait(10)
    return runner, release


def test_jobs_run_on_one_thread_that_owns_the_engine() -> None:
    runner = EngineRunner(ScriptedEngine)
    try:
        seen = [runner.call("window", lambda e: (threading.current_thread().name, id(e)))
                for _ in range(3)]
        assert {s[0] for s in seen} == {"inference"}
        assert len({s[1] for s in seen}) == 1  # one engine, made once
        assert threading.current_thread().name != "inference"
    finally:
        runner.shutdown()


def test_lanes_take_turns_so_a_window_job_does_not_wait_for_every_api_job() -> None:
    runner, release = _held_runner()
    order: list[str] = []
    try:
        futures = [runner.submit("api", lambda _e, i=i: order.append(f"api{i}"))
                   for i in range(4)]
        futures.append(runner.submit("window", lambda _e: order.append("window")))
        release.set()
        for f in futures:
            f.result(10)
        assert order.index("window") <= 1  # after at most the one API job picked before it
        assert [o for o in order if o.startswith("api")] == ["api0", "api1", "api2", "api3"]
    finally:
        runner.shutdown()


def test_a_full_lane_refuses_at_once_and_other_lanes_still_queue() -> None:
    runner, release = _held_runner()
    try:
        runner.submit("api", lambda _e: 1, limit=2)
        runner.submit("api", lambda _e: 2, limit=2)
        with pytest.raises(QueueFullError):
            runner.submit("api", lambda _e: 3, limit=2)
        assert runner.waiting("api") == 2
        window = runner.submit("window", lambda _e: "w", limit=2)
        release.set()
        assert window.result(10) == "w"
    finally:
        runner.shutdown()


def test_a_failing_job_reports_to_its_caller_and_the_thread_goes_on() -> None:
    runner = EngineRunner(ScriptedEngine)
    try:
        with pytest.raises(ZeroDivisionError):
            runner.call("api", lambda _e: 1 / 0)
        assert runner.call("api", lambda _e: "still here") == "still here"
    finally:
        runner.shutdown()


def test_a_cancelled_future_never_runs() -> None:
    runner, release = _held_runner()
    ran: list[int] = []
    try:
        future = runner.submit("api", lambda _e: ran.append(1))
        assert future.cancel()
        release.set()
        runner.call("api", lambda _e: None)
        assert ran == []
    finally:
        runner.shutdown()


def test_shutdown_drops_waiting_jobs_runs_the_last_and_refuses_new_ones() -> None:
    runner, release = _held_runner()
    waiting = runner.submit("api", lambda _e: "never")
    last: list[str] = []
    threading.Timer(0.2, release.set).start()
    assert runner.shutdown(10, last=lambda e: last.append(type(e).__name__))
    with pytest.raises(CancelledError):
        waiting.result(1)
    assert last == ["ScriptedEngine"]
    with pytest.raises(RunnerClosedError):
        runner.submit("api", lambda _e: None)


def test_busy_elsewhere_names_the_other_lane_a_new_job_would_wait_for() -> None:
    runner = EngineRunner(ScriptedEngine)
    try:
        assert runner.busy_elsewhere("window") is None  # idle
        runner.call("window", lambda _e: None)
        release = threading.Event()
        started = threading.Event()
        runner.submit("window", lambda _e: (started.set(), release.wait(10)))
        assert started.wait(10)
        assert runner.busy_elsewhere("window") is None  # only the window's own work
        queued = runner.submit("api", lambda _e: None)
        assert runner.busy_elsewhere("window") == "api"  # an API request waits its turn
        assert runner.busy_elsewhere("api") == "window"
        release.set()
        queued.result(10)
    finally:
        runner.shutdown()
    runner, release = _held_runner()
    try:
        assert runner.busy_elsewhere("window") == "api"  # one runs
        assert QueueWait("api").describe() == \
            "Waiting for a request to the local server to finish…"
        assert QueueWait(None).describe() == ""  # the wait is over
    finally:
        release.set()
        runner.shutdown()


def test_jobs_whose_waiters_went_away_do_not_fill_a_lane() -> None:
    runner, release = _held_runner()
    try:
        gone = [runner.submit("api", lambda _e: None, limit=2) for _ in range(2)]
        for future in gone:
            assert future.cancel()
        assert runner.submit("api", lambda _e: "next", limit=2) is not None
        release.set()
    finally:
        runner.shutdown()
