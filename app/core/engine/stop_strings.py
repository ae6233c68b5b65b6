"""A request's stop strings, found in a stream of text that comes in pieces."""

from __future__ import annotations

from collections.abc import Sequence


class StopScanner:
    """Finds a request's stop strings in a stream of pieces, across pieces.

    `feed` returns the text that is safe to show: text that could still be the start of a stop
    string is held back until the next piece says. When a stop string is complete, the text
    before it is returned, it and anything after it are dropped, and `stopped` is set.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._held = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        text = self._held + text
        self._held = ""
        if not self._stops:
            return text
        found = [at for at in (text.find(stop) for stop in self._stops) if at >= 0]
        if found:
            self.stopped = True
            return text[:min(found)]
        keep = self._partial_stop(text)
        self._held = text[len(text) - keep:] if keep else ""
        return text[:len(text) - keep]

    def flush(self) -> str:
        """The text held back, at the end of the answer."""
        held, self._held = self._held, ""
        return "" if self.stopped else held

    def _partial_stop(self, text: str) -> int:
        """The length of the longest end of `text` that begins a stop string."""
        longest = min(len(text), max(len(s) for s in self._stops) - 1)
        for size in range(longest, 0, -1):
            tail = text[-size:]
            if any(stop.startswith(tail) for stop in self._stops):
                return size
        return 0
