"""The inference thread: one thread owns the engine and runs every call on it, fairly.

llama.cpp's context belongs to one thread. The window, the HTTP API and the terminal hand that
thread jobs (`submit`): a job is a function of the engine, run there, one at a time. Each
front-end submits into its own lane ("window", "api"); the thread takes the lanes in turn, so a
chat answer asked while API requests wait runs after the one running now, never behind all of
them, and no front-end's job is ever dropped or mixed into another's. Within a lane jobs keep
their order. A lane may be capped (`limit`): past it `submit` raises `QueueFullError` at once
rather than queueing work nobody will wait for.

Stop is not a job (a busy thread runs no new job until it is done): it is the request's
`CancelToken`, set from any thread and checked by the engine.

A job that will wait for another front-end's (`busy_elsewhere`) can say so while it waits
(`QueueWait`): the window's answer would otherwise show nothing until an API request ends.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.core.engine.base import InferenceEngine
from app.i18n import _

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class QueueWait:
    """A job waits for another lane's job to end: `lane` ("api": a request to the local
    server); None once the wait is over and the job starts. A turn's progress, like
    `PromptProgress`: the answer's first piece replaces it."""

    lane: str | None

    def describe(self) -> str:
        if self.lane is None:
            return ""
        if self.lane == "api":
            return _("Waiting for a request to the local server to finish…")
        return _("Waiting for other work on the model to finish…")


class QueueFullError(RuntimeError):
    """A lane already holds as many waiting jobs as it may."""


class RunnerClosedError(RuntimeError):
    """The inference thread has been shut down; nothing runs any more."""


@dataclass
class _Job(Generic[T]):
    run: Callable[[InferenceEngine], T]
    future: Future[T] = field(default_factory=Future)


class EngineRunner:
    """Owns an engine on a thread of its own; see the module.

    `engine_factory` is called on that thread, at the first job, so the engine (and llama.cpp)
    is created where it will be used.
    """

    def __init__(self, engine_factory: Callable[[], InferenceEngine], *,
                 name: str = "inference") -> None:
        self._engine_factory = engine_factory
        self._engine: InferenceEngine | None = None
        self._lanes: dict[str, deque[_Job[object]]] = {}
        self._turns: deque[str] = deque()  # the lanes, the next one to serve first
        self._cond = threading.Condition()
        self._closed = False
        self._running: str | None = None  # the lane of the job running now
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    # -- any thread ------------------------------------------------------------------------

    def submit(self, lane: str, job: Callable[[InferenceEngine], T], *,
               limit: int | None = None) -> Future[T]:
        """Queue `job` in `lane`; its future holds what it returns or raises.

        Raises `QueueFullError` when `lane` already has `limit` jobs waiting (the one running
        not counted), `RunnerClosedError` after `shutdown`.
        """
        item: _Job[T] = _Job(job)
        with self._cond:
            if self._closed:
                raise RunnerClosedError("the inference thread has stopped")
            queue = self._lanes.setdefault(lane, deque())
            if any(job.future.cancelled() for job in queue):  # their waiters went away
                queue = self._lanes[lane] = deque(j for j in queue if not j.future.cancelled())
            if limit is not None and len(queue) >= limit:
                raise QueueFullError(f"{len(queue)} requests are already waiting")
            if lane not in self._turns:
                self._turns.append(lane)
            queue.append(item)  # type: ignore[arg-type]
            self._cond.notify()
        return item.future

    def call(self, lane: str, job: Callable[[InferenceEngine], T]) -> T:
        """Run `job` on the thread and wait for it (not from the thread itself)."""
        if threading.current_thread() is self._thread:
            return job(self._get_engine())
        return self.submit(lane, job).result()

    def waiting(self, lane: str | None = None) -> int:
        """Jobs queued and not started, in `lane` or in all."""
        with self._cond:
            if lane is not None:
                return len(self._lanes.get(lane, ()))
            return sum(len(q) for q in self._lanes.values())

    def busy_elsewhere(self, lane: str) -> str | None:
        """The lane, other than `lane`, whose job runs now, else one with jobs waiting: what a
        job submitted to `lane` now waits for (one job of it at most, the lanes taking turns);
        None when nothing of another lane is there."""
        with self._cond:
            if self._running not in (None, lane):
                return self._running
            return next((name for name, queue in self._lanes.items()
                         if name != lane and queue), None)

    @property
    def busy_lane(self) -> str | None:
        """The lane of the job running now, None when idle."""
        return self._running

    def shutdown(self, timeout_s: float = 10.0,
                 last: Callable[[InferenceEngine], object] | None = None) -> bool:
        """Refuse new jobs, drop those waiting (their futures are cancelled), let the running
        one end (cancel its token first), run `last` (freeing the model), and end the thread.
        Returns whether the thread ended within `timeout_s`."""
        with self._cond:
            if not self._closed:
                self._closed = True
                for queue in self._lanes.values():
                    for job in queue:
                        job.future.cancel()
                    queue.clear()
                if last is not None:
                    self._lanes.setdefault("", deque()).append(_Job(last))
                    self._turns.appendleft("")
                self._cond.notify()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("the inference thread did not stop in %.0f s", timeout_s)
            return False
        return True

    # -- the thread ------------------------------------------------------------------------

    def _get_engine(self) -> InferenceEngine:
        if self._engine is None:
            self._engine = self._engine_factory()
        return self._engine

    def _next(self) -> tuple[str, _Job[object]] | None:
        """The next job, taking the lanes in turn; None when closed and nothing is left."""
        with self._cond:
            while True:
                for _turn in range(len(self._turns)):
                    lane = self._turns[0]
                    self._turns.rotate(-1)  # this lane goes last for the next pick
                    queue = self._lanes.get(lane)
                    if queue:
                        self._running = lane
                        return lane, queue.popleft()
                if self._closed:
                    return None
                self._cond.wait()

    def _serve(self) -> None:
        while (picked := self._next()) is not None:
            lane, job = picked
            try:
                if job.future.set_running_or_notify_cancel():
                    try:
                        result = job.run(self._get_engine())
                    except BaseException as exc:  # the submitter gets it, the thread goes on
                        job.future.set_exception(exc)
                    else:
                        job.future.set_result(result)
            except Exception:  # a future whose waiter went away: nothing to tell
                log.exception("a job in lane %r could not report its end", lane)
            finally:
                with self._cond:
                    self._running = None
