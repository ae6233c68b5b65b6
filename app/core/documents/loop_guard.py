"""Stops a step of a summary whose text has started going round in circles."""

from __future__ import annotations

from app.core.engine.cancel import CancelToken


class LoopGuard:
    """Stops a step whose text has started going round in circles.

    Small models writing notes often fall into a loop ("Conveying Non-Source Forms, Conveying
    Non-Source Forms, ...") until the token cap. Once the end of the text is one stretch of
    `MIN_UNIT`..`MAX_UNIT` characters written `REPEATS` times in a row, the step is stopped and
    the copies after the first are cut: the note is shorter, truer, and costs less time. Units
    shorter than 12 characters are left alone: "| Yes | Yes | Yes |" is a table row.
    """

    MIN_UNIT, MAX_UNIT, REPEATS = 12, 200, 3
    _CHECK_EVERY = 16  # characters of new text between checks

    def __init__(self, cancel: CancelToken) -> None:
        self._cancel = cancel
        self._text: list[str] = []
        self._length = 0
        self._checked = 0
        self.cut: int | None = None  # where the repeats start, once found

    def add(self, piece: str) -> None:
        self._text.append(piece)
        self._length += len(piece)
        if self.cut is None and self._length - self._checked >= self._CHECK_EVERY:
            self._checked = self._length
            text = "".join(self._text)
            self._text = [text]
            unit = repeated_tail(text, self.MIN_UNIT, self.MAX_UNIT, self.REPEATS)
            if unit:
                self.cut = len(text) - (self.REPEATS - 1) * unit
                self._cancel.cancel()

    def trimmed(self, text: str) -> str:
        return text if self.cut is None else text[:self.cut].rstrip(" ,;")


def repeated_tail(text: str, shortest: int, longest: int, repeats: int) -> int | None:
    """The length of a stretch that ends `text` `repeats` times in a row, if one does."""
    for unit in range(shortest, min(longest, len(text) // repeats) + 1):
        tail = text[-unit:]
        # Words going round, not a rule or a table's "| --- " row.
        if (all(text[-(k + 1) * unit:-k * unit] == tail for k in range(1, repeats))
                and sum(c.isalpha() for c in tail) >= 3):
            return unit
    return None
