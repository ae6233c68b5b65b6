"""A per-request stop signal, safe to set from any thread."""

from __future__ import annotations

import threading


class CancelToken:
    """Created with a request, before it is queued, so a Stop pressed early is never lost.

    The engine checks it between tokens and, while the prompt is being evaluated, from llama.cpp's
    abort callback.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to `timeout_s`, waking at once on cancel; True if cancelled."""
        return self._event.wait(timeout_s)
