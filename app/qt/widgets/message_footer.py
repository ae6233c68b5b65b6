"""The text around a message's body: the line under it (speed, tokens, a stop, an error, a
summary's parts), its stats tooltip, and the documents a question carried. Outside text in them
(a model's name, an error, a file name) is escaped and cut."""

from __future__ import annotations

import html
from typing import Any

from app.core.chat.conversation import Message
from app.core.chat.markdown import MAX_ATTACHMENT_LINES
from app.core.documents.summarize import SavedSummary
from app.core.engine import GenerationStats
from app.core.engine.connection import split_ref
from app.core.settings.connections import ConnectionConfigError, check_name
from app.qt.safe_text import elided

# Of a model's name in a message's header, and of an error under it: outside text, cut.
MAX_NAME_CHARS = 200
MAX_FOOTER_CHARS = 1_000
GO_ON = ' · <a href="continue">Continue</a>'  # under a stopped answer that can go on


def ran_on(message: Message) -> str | None:
    """The connection a remote model's answer came from (its `model_name` is
    "NAME@CONNECTION"); None for an answer written on this computer."""
    parts = split_ref(message.model_name or "")
    if parts is None:
        return None
    try:  # "@" in a local model's name is not a connection unless it could name one
        return check_name(parts[1])
    except ConnectionConfigError:
        return None


def token_counts(s: GenerationStats) -> str:
    """The tokens an answer took: "45 tokens", or a reasoning model's "120 thinking + 45 answer
    tokens"."""
    if s.thinking_tokens:
        return f"{s.thinking_tokens} thinking + {s.answer_tokens} answer tokens"
    return f"{s.completion_tokens} tokens"


def thinking_time(s: GenerationStats) -> str:
    """How long a reasoning model thought, as the stats' tooltips say it; "" for an answer
    without thinking."""
    return f"Thought for {s.thinking_s:.1f} s" if s.thinking_tokens else ""


def stats_tooltip(message: Message) -> str:
    s = message.stats
    if s is None or message.streaming:
        return ""
    where = ran_on(message)
    counts = (f"thinking: {s.thinking_tokens} tokens · answer: {s.answer_tokens} tokens"
              if s.thinking_tokens else f"answer: {s.completion_tokens} tokens")
    return (f"Model: {message.model_name or 'unknown'}\n" +
            (f"Ran on: {where}\n" if where else "") +
            f"Time to first token: {s.ttft_s:.2f} s\n"
            f"Speed: {s.tokens_per_s:.1f} tokens/s\n"
            f"Prompt: {s.prompt_tokens} tokens · {counts}" +
            (f"\n{thinking_time(s)}" if s.thinking_tokens else "") +
            (f"\nSeed: {s.seed}" if s.seed is not None else ""))


def footer_text(message: Message, can_go_on: bool = True) -> str:
    """The line under a message (rich text: a summary's parts are a link; a stopped answer
    that ends the chat, `can_go_on`, has *Continue*)."""
    go_on = GO_ON if can_go_on and message.goes_on_from_text else ""
    if message.error:
        return html.escape(f"⚠ {elided(message.error, MAX_FOOTER_CHARS)}") + go_on
    if message.streaming:  # while the body shows the progress, the footer need not
        return html.escape(elided(message.progress, MAX_FOOTER_CHARS)) if message.content \
            else ""
    if message.stats is None:
        return ""
    s = message.stats
    parts = [f"{s.tokens_per_s:.1f} tok/s", token_counts(s), f"first token {s.ttft_s:.2f} s"]
    where = ran_on(message)
    if where:
        parts.append(f"on {where}")
    if s.finish_reason == "cancelled":
        parts.insert(0, "stopped")
    elif s.finish_reason == "length":
        parts.insert(0, "cut at the length limit (Max tokens in the settings)")
    elif s.finish_reason == "loop":
        parts.insert(0, "stopped: it was repeating itself")
    if message.summarized and message.details is not None:
        return summary_footer(message.details, stopped=s.finish_reason == "cancelled",
                              can_go_on=can_go_on)
    return html.escape(" · ".join(parts)) + go_on


def summary_footer(details: dict[str, Any], stopped: bool, can_go_on: bool = True) -> str:
    """What a part-by-part summary read, how long it took, and the link to its parts."""
    summary = SavedSummary.from_details(details)
    count, tokens = len(summary.parts), summary.document_tokens
    plural = "s" if count != 1 else ""
    if stopped:
        words = [f"stopped after {count} part{plural} of a {tokens:,}-token document"]
    else:
        words = [f"summary of {count} part{plural}", f"{tokens:,} tokens read"]
    if summary.elapsed_s is not None:
        minutes, seconds = divmod(round(summary.elapsed_s), 60)
        words.append(f"{minutes} min {seconds} s" if minutes else f"{seconds} s")
    link = ' · <a href="parts">Parts…</a>' if count else ""
    if stopped and count and can_go_on:  # the notes are kept: the rest can be read
        link += GO_ON
    return html.escape(" · ".join(words)) + link


def attachments_html(message: Message) -> str:
    """The documents sent with a question, one line each (the text itself is not shown)."""
    lines = []
    for attachment in message.attachments[:MAX_ATTACHMENT_LINES]:
        size = f" · {attachment.tokens:,} tokens" if attachment.tokens else \
            f" · {len(attachment.text):,} characters"
        # Words, not a document emoji: many Linux desktops have no emoji font.
        name = html.escape(elided(attachment.name, MAX_NAME_CHARS))
        lines.append(f"<p>Attached: <b>{name}</b>{size}</p>")
    more = len(message.attachments) - MAX_ATTACHMENT_LINES
    if more > 0:
        lines.append(f"<p>and {more:,} more documents</p>")
    return "".join(lines)
