"""Counting what messages take of a model's context, with its own tokenizer: long texts in
slices, so that a stop is seen between them; and the room an answer needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.core.engine.base import (
    ChatMessage,
    GenerationParams,
    InferenceEngine,
    NoModelLoadedError,
)
from app.core.engine.cancel import CancelToken

# What a chat template adds around the messages (role markers, a default system prompt some
# templates insert), and around each message.
TEMPLATE_TOKENS = 48
MESSAGE_TOKENS = 8


class JobCancelledError(Exception):
    """A stop came while a text was being measured (or split), before any answer began."""


# Tokenizing 2 million characters takes llama.cpp seconds in one uninterruptible call: a long
# text is counted a slice at a time, so a stop is seen between slices.
_COUNT_SLICE_CHARS = 200_000


def count_tokens(count: Callable[[str], int], text: str, cancel: CancelToken | None = None) -> int:
    """The tokens of `text`, counted in slices cut at line ends (within a token or two of a
    count in one go). Raises `JobCancelledError` when `cancel` is set meanwhile."""
    total, start = 0, 0
    while start < len(text):
        if cancel is not None and cancel.cancelled:
            raise JobCancelledError
        end = min(len(text), start + _COUNT_SLICE_CHARS)
        if end < len(text):
            newline = text.rfind("\n", start, end)
            end = newline + 1 if newline > start else end
        total += count(text[start:end])
        start = end
    return total


def history_budget(n_ctx: int, room: int) -> int:
    """Tokens the messages may take: the context less the answer's room and the template."""
    return n_ctx - room - TEMPLATE_TOKENS


def answer_room(params: GenerationParams, n_ctx: int) -> int:
    """Tokens kept free for an answer when deciding whether a prompt fits."""
    return params.max_tokens or min(1024, max(min(256, n_ctx // 2), n_ctx // 4))


# No tokenizer makes fewer tokens than one per this many characters of real text: a prompt this
# long is too long for the context without counting it (which takes seconds for a long book).
_MAX_CHARS_PER_TOKEN = 12


def measure(engine: InferenceEngine,
             cancel: CancelToken) -> Callable[[Sequence[ChatMessage]], int]:
    """A counter of the tokens messages take in the template, remembering each message's count
    (cutting a history counts the same messages again and again)."""
    counts: dict[str, int] = {}

    def used(messages: Sequence[ChatMessage]) -> int:
        total = 0
        for m in messages:
            if m.content not in counts:
                counts[m.content] = (count_tokens(engine.count_tokens, m.content, cancel)
                                     + MESSAGE_TOKENS)
            total += counts[m.content]
        return total

    return used


def fits(engine: InferenceEngine, messages: Sequence[ChatMessage], room: int,
         cancel: CancelToken) -> bool:
    """Whether `messages`, wrapped by the chat template, leave `room` tokens of the context."""
    model = engine.model
    if model is None:
        raise NoModelLoadedError
    budget = history_budget(model.n_ctx, room)
    if sum(len(m.content) for m in messages) > budget * _MAX_CHARS_PER_TOKEN:
        return False
    return measure(engine, cancel)(messages) <= budget
