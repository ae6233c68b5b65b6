"""What of a conversation fits the context window, and what to do when it does not.

Counting is done on the engine's thread with the model's own tokenizer, in slices for long texts
so that a stop is seen between them.

llama-cpp-python has no context shift: a prompt of `n_ctx` tokens or more fails outright. Before a
turn is answered, the history is measured; when it leaves too little room for the answer, the
conversation's overflow policy decides: drop the oldest turns (a question and its answer
together, so roles still alternate) but keep the system prompt and the question being asked, or
stop and say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from app.core.engine.base import (
    ChatMessage,
    EngineError,
    GenerationParams,
    InferenceEngine,
    NoModelLoadedError,
)
from app.core.engine.cancel import CancelToken

# What a chat template adds around the messages (role markers, a default system prompt some
# templates insert), and around each message.
TEMPLATE_TOKENS = 48
MESSAGE_TOKENS = 8

OverflowPolicy = Literal["drop-oldest", "stop"]
OVERFLOW_POLICIES: tuple[OverflowPolicy, ...] = ("drop-oldest", "stop")


class HistoryTooLongError(EngineError):
    """The conversation does not fit the context and the policy says not to cut it, or even
    the question alone does not fit."""


def fit_history(messages: Sequence[ChatMessage], used: Callable[[Sequence[ChatMessage]], int],
                budget: int, policy: OverflowPolicy) -> list[ChatMessage]:
    """`messages` (system prompt first, if any, and the question last) cut to `budget` tokens as
    `used` counts them, by `policy`. Raises `HistoryTooLongError` when it cannot be done."""
    messages = list(messages)
    tokens = used(messages)
    if tokens <= budget:
        return messages
    if policy == "stop":
        raise HistoryTooLongError(
            f"This chat is {tokens:,} tokens long and no longer leaves room for an answer in "
            f"the context ({budget:,} tokens for the chat). Start a new chat, raise the context "
            "length, or choose to drop the oldest turns (click the context meter).")
    head = messages[:1] if messages and messages[0].role == "system" else []
    turns = messages[len(head):]
    for start in _cut_points(turns, used, max(1, budget // 3)):
        if used(head + turns[start:]) <= budget:
            return head + turns[start:]
    while len(turns) > 1 and tokens > budget:
        # The oldest question goes with its answer; an answer left first goes alone.
        drop = 2 if len(turns) > 2 and turns[0].role == "user" else 1
        turns = turns[drop:]
        tokens = used(head + turns)
    if tokens > budget:
        raise HistoryTooLongError(
            f"The message is {tokens:,} tokens long with the system prompt, but the context "
            f"leaves it only {max(budget, 0):,} (the rest is kept for the answer). Shorten it, "
            "attach it as a document, or raise the context length.")
    return head + turns


def _cut_points(turns: Sequence[ChatMessage], used: Callable[[Sequence[ChatMessage]], int],
                step: int) -> list[int]:
    """Where a history may start when its oldest turns are dropped: questions at least `step`
    tokens apart, counted from the oldest.

    Cutting only there, a chat that keeps growing past the context cuts again only after it
    has grown by about `step` tokens, so the prompt's start (and with it the prefix that
    llama.cpp has evaluated) stays the same for several turns. Cutting as little as possible
    each time would change it, and have the whole history evaluated again, at every turn. The
    points depend only on the older turns, so new turns do not move them.
    """
    points: list[int] = []
    since = 0
    for i, message in enumerate(turns[:-1]):  # the question being asked is always kept
        if message.role == "user" and i > 0 and since >= step:
            points.append(i)
            since = 0
        since += used([message])
    return points


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
