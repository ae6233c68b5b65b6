"""A per-request stop signal, safe to set from any thread."""

from __future__ import annotations

import threading


class CancelToken:
    """Created with a request, before it is queued, so a Stop pressed early is never lost.

    The engine checks it between tokens and, while the prompt is being evaluated, from llama.cpp's
    abort callback.
    """

    def __init__(self, parent: CancelToken | None = None) -> None:
        self._event = threading.Event()
        # A token for one step of a longer job: cancelled on its own, or with the job.
        self._parent = parent

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._parent is not None and self._parent.cancelled)

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to `timeout_s`, waking at once on this token's own cancel (a job's cancel
        is seen at the end of the sleep); True if cancelled, also through the job."""
        return self._event.wait(timeout_s) or self.cancelled
