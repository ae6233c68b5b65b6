"""What of a conversation fits the context window, and what to do when it does not.

llama-cpp-python has no context shift: a prompt of `n_ctx` tokens or more fails outright. Before a
turn is answered, the history is measured; when it leaves too little room for the answer, the
conversation's overflow policy decides: drop the oldest turns (a question and its answer
together, so roles still alternate) but keep the system prompt and the question being asked, or
stop and say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from app.core.engine.base import ChatMessage, EngineError

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
            "length, or let the app drop the oldest turns (Settings, Model).")
    head = messages[:1] if messages and messages[0].role == "system" else []
    turns = messages[len(head):]
    while len(turns) > 1 and tokens > budget:
        # The oldest question goes with its answer; an answer left first goes alone.
        drop = 2 if len(turns) > 2 and turns[0].role == "user" else 1
        turns = turns[drop:]
        tokens = used(head + turns)
    if tokens > budget:
        raise HistoryTooLongError(
            f"The message is {tokens:,} tokens long with the system prompt; the context leaves "
            f"{budget:,} for it and an answer. Shorten it, attach it as a document, or raise "
            "the context length.")
    return head + turns
