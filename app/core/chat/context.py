"""What of a conversation fits the context window, and what to do when it does not.

Counting is the engine's (`engine.tokens`).

llama-cpp-python has no context shift: a prompt of `n_ctx` tokens or more fails outright. Before a
turn is answered, the history is measured; when it leaves too little room for the answer, the
conversation's overflow policy decides: drop the oldest turns (a question and its answer
together, so roles still alternate) but keep the system prompt and the question being asked, or
stop and say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.core.engine.base import ChatMessage, EngineError
from app.core.settings.schema import OverflowPolicy
from app.i18n import _


class HistoryTooLongError(EngineError):
    """The conversation does not fit the context and the policy says not to cut it, or even
    the question alone does not fit (`question_alone`). Its message is the window's advice;
    `tokens` (what the chat or the question takes) and `budget` (what the context leaves it)
    let another front-end give its own."""

    def __init__(self, message: str, tokens: int, budget: int, *,
                 question_alone: bool) -> None:
        super().__init__(message)
        self.tokens = tokens
        self.budget = budget
        self.question_alone = question_alone


def fit_history(messages: Sequence[ChatMessage], used: Callable[[Sequence[ChatMessage]], int],
                budget: int, policy: OverflowPolicy) -> list[ChatMessage]:
    """`messages` (system prompt first, if any, and the question last) cut to `budget` tokens as
    `used` counts them, by `policy`. Raises `HistoryTooLongError` when it cannot be done."""
    messages = list(messages)
    tokens = used(messages)
    if tokens <= budget:
        return messages
    if policy == "stop":
        raise HistoryTooLongError(_(
            "This chat is {tokens} tokens long and no longer leaves room for an answer in the "
            "context ({budget} tokens for the chat). Start a new chat, raise the context "
            "length, or choose to drop the oldest turns (click the context meter).").format(
                tokens=f"{tokens:,}", budget=f"{budget:,}"),
            tokens, budget, question_alone=False)
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
        raise HistoryTooLongError(_(
            "The message is {tokens} tokens long with the system prompt, but the context "
            "leaves it only {budget} (the rest is kept for the answer). Shorten it, attach it "
            "as a document, or raise the context length.").format(
                tokens=f"{tokens:,}", budget=f"{max(budget, 0):,}"),
            tokens, max(budget, 0), question_alone=True)
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


