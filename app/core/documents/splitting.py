"""A document split by tokens into parts that each fit a step of a summary: cut at paragraph
ends where possible, else at sentence ends, line ends, spaces, and as a last resort anywhere."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.core.engine.cancel import CancelToken
from app.core.engine.tokens import JobCancelledError


@dataclass(frozen=True)
class Chunk:
    """A part of the document: `text[start:end]`, about `tokens` tokens."""

    start: int
    end: int
    tokens: int


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# After ., !, ? (and closing quotes or brackets) followed by space; after CJK sentence marks at
# once, since Chinese and Japanese put no space between sentences.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|(?<=[。！？；…])[”’」』）]*\s*")
_LINE_BREAK = re.compile(r"\n")
_WORD_BREAK = re.compile(r"\s+")
_SPLITTERS = (_SENTENCE_END, _LINE_BREAK, _WORD_BREAK)


def split_document(text: str, count_tokens: Callable[[str], int], budget: int,
                   cancel: CancelToken | None = None) -> list[Chunk]:
    """Parts of at most about `budget` tokens, cut at paragraph ends where possible, else at
    sentence ends, line ends, spaces, and as a last resort anywhere. Raises
    `JobCancelledError` when `cancel` is set meanwhile (checked between paragraphs)."""
    if budget < 1:
        raise ValueError("budget must be positive")
    pieces: list[Chunk] = []
    for start, end in _spans(text, 0, len(text), _PARAGRAPH_BREAK):
        if cancel is not None and cancel.cancelled:
            raise JobCancelledError
        pieces.extend(_fit(text, (start, end), count_tokens, budget))
    return _pack(pieces, budget)


def _fit(text: str, span: tuple[int, int], count_tokens: Callable[[str], int], budget: int,
         level: int = 0) -> list[Chunk]:
    """`text[start:end]` as pieces of at most `budget` tokens each."""
    start, end = span
    tokens = count_tokens(text[start:end])
    if tokens <= budget:
        return [Chunk(start, end, tokens)]
    if level < len(_SPLITTERS):
        spans = _spans(text, start, end, _SPLITTERS[level])
        if len(spans) > 1:
            out: list[Chunk] = []
            for s, e in spans:
                out.extend(_fit(text, (s, e), count_tokens, budget, level + 1))
            return out
        return _fit(text, span, count_tokens, budget, level + 1)
    # No break left (a long run of CJK text without punctuation, say): cut by characters in
    # proportion, then check each cut.
    pieces = -(-tokens // budget)
    step = max(1, (end - start) // pieces)
    out = []
    for s in range(start, end, step):
        e = min(end, s + step)
        n = count_tokens(text[s:e])
        out.extend([Chunk(s, e, n)] if n <= budget or e - s == 1 else
                   _fit(text, (s, e), count_tokens, budget, level))
    return out


def _spans(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """The stretches of `text[start:end]` between matches of `separator`, each keeping the
    separator that ends it (so the parts put together give back the text), empty ones dropped."""
    spans = []
    position = start
    for match in separator.finditer(text, start, end):
        if match.end() > position and match.start() > position:
            spans.append((position, match.end()))
            position = match.end()
    if position < end:
        spans.append((position, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _pack(pieces: list[Chunk], budget: int) -> list[Chunk]:
    """Consecutive pieces joined greedily into parts of at most `budget` tokens."""
    parts: list[Chunk] = []
    for piece in pieces:
        if parts and parts[-1].tokens + piece.tokens <= budget:
            last = parts[-1]
            parts[-1] = Chunk(last.start, piece.end, last.tokens + piece.tokens)
        else:
            parts.append(piece)
    return parts
