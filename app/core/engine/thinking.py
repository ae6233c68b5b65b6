"""A reasoning model's thinking told apart from its answer, as the text streams.

Reasoning models write their thinking before the answer: between `<think>` and `</think>`
(Qwen3, QwQ, DeepSeek-R1 and its distills, Phi-4-reasoning; some write `<thinking>`), or in
gpt-oss's `analysis` channel before its `final` one. Where a chat template opens the tag itself
(DeepSeek-R1's ends the prompt with `<think>`), the model writes only the closing tag: the
engine then starts the stream with the opening one (`OPEN`), so that every stream an engine
gives is whole. A remote server that returns thinking in a field of its own
(`reasoning_content`, `reasoning`) has it wrapped in the tags the same way.

`ThinkingSplitter` takes the stream in pieces of any size, text or UTF-8 bytes cut anywhere
(a tag across pieces, a character across pieces), and gives back what each piece adds to the
thinking and to the answer: never a character lost or doubled, only the tags left out and the
blank lines a model puts between its thinking and its answer. `split_thinking` does the same
for a whole text, and also reads a text whose first tag is a closing one (a template that
opened the tag where the engine could not tell) as thinking up to it.

A `<think>` counts only at the start of the answer (nothing but spaces before it), a
`</think>` only while thinking: others are text the model writes about tags, left as they are.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from app.core.engine.base import GenerationResult

Channel = Literal["thinking", "answer"]

OPEN = "<think>"
CLOSE = "</think>"
# Markers and what they switch to: None drops the marker and keeps the channel.
_MARKERS: dict[str, Channel | None] = {
    OPEN: "thinking",
    CLOSE: "answer",
    "<thinking>": "thinking",
    "</thinking>": "answer",
    # gpt-oss (harmony): <|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>
    # final<|message|>…
    "<|channel|>analysis<|message|>": "thinking",
    "<|channel|>final<|message|>": "answer",
    "<|start|>assistant": None,
    "<|end|>": None,
    "<|return|>": None,
}
_LONGEST = max(map(len, _MARKERS))
_FIRST_CHARS = frozenset(m[0] for m in _MARKERS)


@dataclass(frozen=True)
class Split:
    """A text, or what a piece of a stream added, told apart."""

    thinking: str = ""
    answer: str = ""

    def __bool__(self) -> bool:
        return bool(self.thinking or self.answer)


class ThinkingSplitter:
    """Splits one answer's stream (see the module). `feed` each piece, then `end` once."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""  # the end of the text that could be the start of a marker
        self.channel: Channel = "answer"
        self.thought = False  # whether any thinking was opened
        self._answered = False  # whether the answer has had anything but spaces
        self._trim = False  # drop the spaces that open the channel just switched to

    def feed(self, piece: str | bytes) -> Split:
        """What `piece` adds; part of it may be held back until the next piece says whether
        it starts a marker."""
        text = self._decoder.decode(piece) if isinstance(piece, bytes) else piece
        return self._take(self._held + text, final=False)

    def end(self) -> Split:
        """What was held back: the stream is over, so nothing more can complete a marker."""
        text = self._held + self._decoder.decode(b"", final=True)
        return self._take(text, final=True)

    def _take(self, text: str, *, final: bool) -> Split:
        self._held = ""
        thinking: list[str] = []
        answer: list[str] = []
        start = 0
        i = 0
        while i < len(text):
            if text[i] not in _FIRST_CHARS:
                i += 1
                continue
            self._emit(text[start:i], thinking, answer)  # what comes before counts first
            start = i
            marker = self._marker_at(text, i)
            if marker is None:
                if not final and _could_start(text, i):
                    break  # wait for the next piece
                i += 1
                continue
            switch = _MARKERS[marker]
            if switch is not None:
                self.channel, self._trim = switch, True
                self.thought = self.thought or switch == "thinking"
            i = start = i + len(marker)
        self._emit(text[start:i], thinking, answer)
        self._held = text[i:]
        return Split("".join(thinking), "".join(answer))

    def _marker_at(self, text: str, i: int) -> str | None:
        for marker, to in _MARKERS.items():
            if text.startswith(marker, i):
                if to == "thinking" and self._answered:
                    return None  # past the start of the answer: text about tags
                if to == "answer" and self.channel == "answer":
                    return None  # a closing tag with nothing open: text too
                return marker
        return None

    def _emit(self, text: str, thinking: list[str], answer: list[str]) -> None:
        if self._trim:
            text = text.lstrip()
            self._trim = not text
        if not text:
            return
        if self.channel == "thinking":
            thinking.append(text)
        else:
            answer.append(text)
            self._answered = self._answered or bool(text.strip())


def _could_start(text: str, i: int) -> bool:
    """Whether `text[i:]`, the end of what came so far, is the start of a marker."""
    tail = text[i:]
    return len(tail) < _LONGEST and any(len(tail) < len(m) and m.startswith(tail)
                                        for m in _MARKERS)


def split_thinking(text: str) -> Split:
    """A whole answer told apart, as `ThinkingSplitter` streams it, and besides: a text whose
    first marker is a closing `</think>` is thinking up to it (its template opened the tag)."""
    match = _FIRST_TAG.search(text)
    if match is not None and match.group(0) == CLOSE:
        text = OPEN + text
    splitter = ThinkingSplitter()
    first, rest = splitter.feed(text), splitter.end()
    return Split((first.thinking + rest.thinking).rstrip(), first.answer + rest.answer)


_FIRST_TAG = re.compile(r"</?think>")


def wrap_thinking(thinking: str) -> str:
    """`thinking` as a stream gives it (a server's `reasoning_content`): between the tags."""
    return f"{OPEN}{thinking}{CLOSE}\n\n" if thinking else ""


class ThinkingWatch:
    """Follows one answer's stream for its engine: passes every piece on as it is, and counts
    the pieces written while thinking and the time it took, so that `finish` can give the
    answer with its thinking apart and counted. For the in-process engine a piece is a token;
    for a server that sends several tokens a piece the count is their share of its total.

    `opened`: the chat template ended the prompt inside `<think>`; the stream then starts
    with it, so that whoever reads the stream sees the thinking as such."""

    def __init__(self, on_piece: Callable[[str], None], *, opened: bool = False) -> None:
        self._on_piece = on_piece
        self._splitter = ThinkingSplitter()
        self.pieces = 0
        self.thinking_pieces = 0.0  # a piece that ends the thinking and starts the answer: a share
        self._started: float | None = None
        self._ended: float | None = None
        self._opened = opened
        if opened:
            self._splitter.feed(OPEN)
            on_piece(OPEN)

    def piece(self, text: str) -> None:
        was = self._splitter.channel
        split = self._splitter.feed(text)
        now = self._splitter.channel
        self.pieces += 1
        if split.thinking and split.answer:  # several tokens a piece: each part its share
            self.thinking_pieces += len(split.thinking) / (len(split.thinking)
                                                           + len(split.answer))
        elif split.thinking or (not split.answer and "thinking" in (was, now)):
            self.thinking_pieces += 1
        if split.thinking or now == "thinking":
            self._started = self._started or time.perf_counter()
        if split.answer and self._started is not None and self._ended is None:
            self._ended = time.perf_counter()
        self._on_piece(text)

    def finish(self, result: GenerationResult, *, thinking_tokens: int | None = None,
               ) -> GenerationResult:
        """`result`, whose text is the whole stream, with its thinking apart; the tokens
        counted as above unless the server said (`thinking_tokens`)."""
        text = result.text
        if self._opened and not text.lstrip().startswith(OPEN):
            text = OPEN + text  # the engine's text is what the model wrote
        split = split_thinking(text)
        if not split.thinking and not self._splitter.thought:
            return result
        stats = result.stats
        if thinking_tokens is None:
            share = self.thinking_pieces / self.pieces if self.pieces else 0.0
            thinking_tokens = round(stats.completion_tokens * share)
        thinking_s = ((self._ended or time.perf_counter()) - self._started
                      if self._started is not None else 0.0)
        stats = dataclasses.replace(
            stats, thinking_tokens=min(stats.completion_tokens, max(0, thinking_tokens)),
            thinking_s=thinking_s)
        return dataclasses.replace(result, text=split.answer, thinking=split.thinking,
                                   stats=stats)
