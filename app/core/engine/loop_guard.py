"""Stops an answer whose text has started going round in circles."""

from __future__ import annotations

from app.core.engine.cancel import CancelToken

_SENTENCE_ENDS = frozenset(".!?\n。！？")


class LoopGuard:
    """Stops generation once its text goes round in circles.

    Small models often fall into a loop ("Conveying Non-Source Forms, Conveying Non-Source
    Forms, ...") until the token cap; base models do it in chats. Once the end of the text is
    one stretch of `MIN_UNIT`..`max_unit` characters written `repeats` times in a row, the
    cancel token is set and the copies after the first are cut: the answer is shorter, truer,
    and costs less time. Units shorter than 12 characters are left alone ("| Yes | Yes | Yes |"
    is a table row), and so are stretches with fewer than three letters (a rule, a table's
    "| --- " row). A summary's notes stop at 3 copies; a chat answer, where repetition can be
    meant (a line of code three times), at 4.

    What is kept is the text up to the end of the first round ("The cat sat on the mat." of
    "The cat sat on the mat. The cat sat on the mat. The cat sat"). Only the last
    `max_unit * (repeats + 1)` characters are kept, so a check costs the same at any length of
    answer.
    """

    MIN_UNIT = 12
    # Copies in a row that make a loop, and the longest round looked for: a note's loops are
    # phrases; a base model in a chat goes round whole paragraphs (760 characters seen).
    NOTES, ANSWERS = (3, 200), (4, 1000)
    _CHECK_EVERY = 16  # characters of new text between checks

    def __init__(self, cancel: CancelToken, kind: tuple[int, int] = NOTES) -> None:
        self._cancel = cancel
        self.repeats, self.max_unit = kind
        self._tail = ""
        self._length = 0
        self._checked = 0
        self.cut: int | None = None  # where the repeats start, once found

    def add(self, piece: str) -> None:
        self._length += len(piece)
        self._tail = (self._tail + piece)[-self.max_unit * (self.repeats + 1):]
        if self.cut is None and self._length - self._checked >= self._CHECK_EVERY:
            self._checked = self._length
            tail = self._tail
            unit = repeated_tail(tail, self.MIN_UNIT, self.max_unit, self.repeats)
            if unit:
                self.cut = self._length - len(tail) + first_round_end(tail, unit, self.repeats)
                self._cancel.cancel()

    def trimmed(self, text: str) -> str:
        return text if self.cut is None else text[:self.cut].rstrip(" ,;\n")


def repeated_tail(text: str, shortest: int, longest: int, repeats: int) -> int | None:
    """The length of a stretch that ends `text` `repeats` times in a row, if one does."""
    last = text[-1:]
    for unit in range(shortest, min(longest, len(text) // repeats) + 1):
        if text[-1 - unit] != last:  # most lengths fail here, before any slice is made
            continue
        tail = text[-unit:]
        # Words going round, not a rule or a table's "| --- " row.
        if (all(text[-(k + 1) * unit:-k * unit] == tail for k in range(1, repeats))
                and sum(c.isalpha() for c in tail) >= 3):
            return unit
    return None


def first_round_end(text: str, unit: int, repeats: int) -> int:
    """Where to cut `text`, which ends in `repeats` rounds of `unit` characters: after the
    first round of the run (the run found back to where it began), at the end of a sentence or
    line if one comes within the next round. Which round is "first" is a matter of where one
    looks ("at. The cat s" or "The cat sat on the mat."): a sentence end reads as one."""
    start = len(text) - repeats * unit
    while start > 0 and text[start - 1] == text[start - 1 + unit]:
        start -= 1
    end = start + unit
    if text[start:end].rstrip()[-1:] not in _SENTENCE_ENDS:
        for i in range(end, min(end + unit, len(text))):
            if text[i] in _SENTENCE_ENDS:
                return i + 1
    return end
