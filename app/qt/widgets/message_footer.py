"""The text around a message's body: the line under it (speed, tokens, a stop, an error, a
summary's parts), its stats tooltip, and the documents a question carried. Outside text in them
(a model's name, an error, a file name) is escaped and cut."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QCoreApplication

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


def _go_on() -> str:
    """The link under a stopped answer that can go on."""
    return ' · <a href="continue">{}</a>'.format(
        html.escape(QCoreApplication.translate("MessageFooter", "Continue")))


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


def count_tokens(n: int, grouped: bool = False) -> str:
    """"1 token", "45 tokens" ("12,345 tokens" when `grouped`)."""
    if n == 1:
        return QCoreApplication.translate("MessageFooter", "1 token")
    return QCoreApplication.translate("MessageFooter", "{n} tokens").format(
        n=f"{n:,}" if grouped else n)


def token_counts(s: GenerationStats) -> str:
    """The tokens an answer took: "45 tokens", or a reasoning model's "120 thinking + 45 answer
    tokens"."""
    if s.thinking_tokens:
        return QCoreApplication.translate(
            "MessageFooter", "{thinking} thinking + {answer} answer tokens").format(
                thinking=s.thinking_tokens, answer=s.answer_tokens)
    return count_tokens(s.completion_tokens)


def duration_text(seconds: float) -> str:
    """"12 s", "2 min 5 s", "3 min": how long something took, to the second."""
    minutes, whole = divmod(round(seconds), 60)
    if not minutes:
        return QCoreApplication.translate("MessageFooter", "{seconds} s").format(seconds=whole)
    if whole:
        return QCoreApplication.translate("MessageFooter", "{minutes} min {seconds} s").format(
            minutes=minutes, seconds=whole)
    return QCoreApplication.translate("MessageFooter", "{minutes} min").format(minutes=minutes)


def thinking_time(s: GenerationStats) -> str:
    """How long a reasoning model thought, as the stats' tooltips say it; "" for an answer
    without thinking."""
    if not s.thinking_tokens:
        return ""
    return QCoreApplication.translate("MessageFooter", "Thought for {seconds} s").format(
        seconds=f"{s.thinking_s:.1f}")


def stats_tooltip(message: Message) -> str:
    s = message.stats
    if s is None or message.streaming:
        return ""
    where = ran_on(message)
    if s.thinking_tokens:
        counts = QCoreApplication.translate(
            "MessageFooter", "thinking: {thinking} · answer: {answer}").format(
                thinking=count_tokens(s.thinking_tokens), answer=count_tokens(s.answer_tokens))
    else:
        counts = QCoreApplication.translate("MessageFooter", "answer: {answer}").format(
            answer=count_tokens(s.completion_tokens))
    lines = [QCoreApplication.translate("MessageFooter", "Model: {name}").format(
        name=message.model_name or QCoreApplication.translate("MessageFooter", "unknown"))]
    if where:
        lines.append(QCoreApplication.translate("MessageFooter", "Ran on: {connection}").format(
            connection=where))
    lines.append(QCoreApplication.translate(
        "MessageFooter", "Time to first token: {seconds} s").format(seconds=f"{s.ttft_s:.2f}"))
    lines.append(QCoreApplication.translate("MessageFooter", "Speed: {speed} tokens/s").format(
        speed=f"{s.tokens_per_s:.1f}"))
    lines.append(QCoreApplication.translate("MessageFooter", "Prompt: {prompt} · {counts}").format(
        prompt=count_tokens(s.prompt_tokens), counts=counts))
    if s.thinking_tokens:
        lines.append(thinking_time(s))
    if s.seed is not None:
        lines.append(QCoreApplication.translate("MessageFooter", "Seed: {seed}").format(
            seed=s.seed))
    return "\n".join(lines)


def footer_text(message: Message, can_go_on: bool = True) -> str:
    """The line under a message (rich text: a summary's parts are a link; a stopped answer
    that ends the chat, `can_go_on`, has *Continue*)."""
    go_on = _go_on() if can_go_on and message.goes_on_from_text else ""
    if message.error:
        return html.escape(f"⚠ {elided(message.error, MAX_FOOTER_CHARS)}") + go_on
    if message.streaming:  # while the body shows the progress, the footer need not
        return html.escape(elided(message.progress, MAX_FOOTER_CHARS)) if message.content \
            else ""
    if message.stats is None:
        return ""
    s = message.stats
    parts = [QCoreApplication.translate("MessageFooter", "{speed} tok/s").format(
                 speed=f"{s.tokens_per_s:.1f}"),
             token_counts(s),
             QCoreApplication.translate("MessageFooter", "first token {seconds} s").format(
                 seconds=f"{s.ttft_s:.2f}")]
    where = ran_on(message)
    if where:
        parts.append(QCoreApplication.translate("MessageFooter", "on {connection}").format(
            connection=where))
    if s.finish_reason == "cancelled":
        parts.insert(0, QCoreApplication.translate("MessageFooter", "stopped"))
    elif s.finish_reason == "length":
        parts.insert(0, QCoreApplication.translate(
            "MessageFooter", "cut at the length limit (Max tokens in the settings)"))
    elif s.finish_reason == "loop":
        parts.insert(0, QCoreApplication.translate(
            "MessageFooter", "stopped: it was repeating itself"))
    if message.summarized and message.details is not None:
        return summary_footer(message.details, stopped=s.finish_reason == "cancelled",
                              can_go_on=can_go_on)
    return html.escape(" · ".join(parts)) + go_on


def summary_footer(details: dict[str, Any], stopped: bool, can_go_on: bool = True) -> str:
    """What a part-by-part summary read, how long it took, and the link to its parts."""
    summary = SavedSummary.from_details(details)
    count, tokens = len(summary.parts), f"{summary.document_tokens:,}"
    if stopped:
        words = [QCoreApplication.translate(
            "MessageFooter", "stopped after 1 part of a {tokens}-token document").format(
                tokens=tokens) if count == 1 else QCoreApplication.translate(
            "MessageFooter", "stopped after {count} parts of a {tokens}-token document").format(
                count=count, tokens=tokens)]
    else:
        words = [QCoreApplication.translate("MessageFooter", "summary of 1 part")
                 if count == 1 else
                 QCoreApplication.translate("MessageFooter", "summary of {count} parts").format(
                     count=count),
                 QCoreApplication.translate("MessageFooter", "{tokens} tokens read").format(
                     tokens=tokens)]
    if summary.elapsed_s is not None:
        words.append(duration_text(summary.elapsed_s))
    link = ' · <a href="parts">{}</a>'.format(
        html.escape(QCoreApplication.translate("MessageFooter", "Parts…"))) if count else ""
    if stopped and count and can_go_on:  # the notes are kept: the rest can be read
        link += _go_on()
    return html.escape(" · ".join(words)) + link


def attachments_html(message: Message) -> str:
    """The documents sent with a question, one line each (the text itself is not shown)."""
    lines = []
    for attachment in message.attachments[:MAX_ATTACHMENT_LINES]:
        if attachment.tokens:
            size = count_tokens(attachment.tokens, grouped=True)
        else:
            characters = len(attachment.text)
            size = QCoreApplication.translate("MessageFooter", "1 character") \
                if characters == 1 else QCoreApplication.translate(
                    "MessageFooter", "{n} characters").format(n=f"{characters:,}")
        # Words, not a document emoji: many Linux desktops have no emoji font.
        name = f"<b>{html.escape(elided(attachment.name, MAX_NAME_CHARS))}</b>"
        line = html.escape(QCoreApplication.translate(
            "MessageFooter", "Attached: {name} · {size}")).format(name=name,
                                                                  size=html.escape(size))
        lines.append(f"<p>{line}</p>")
    more = len(message.attachments) - MAX_ATTACHMENT_LINES
    if more > 0:
        text = QCoreApplication.translate("MessageFooter", "and 1 more document") \
            if more == 1 else QCoreApplication.translate(
                "MessageFooter", "and {n} more documents").format(n=f"{more:,}")
        lines.append(f"<p>{html.escape(text)}</p>")
    return "".join(lines)
