"""Titles for conversations: a quick one from the first message, a better one from the model.

The sidebar shows `fallback_title` the moment a chat starts. When the first answer is complete,
the model may be asked for a title (`title_request` with `TITLE_PARAMS`); `clean_title` turns its
reply into a title or says there is none worth showing, and the fallback stays. Both must work
with tiny models, which often echo the prompt, chat instead of answering, or wrap the title in
quotes and markdown.
"""

from __future__ import annotations

import re

from app.core.engine.base import ChatMessage, GenerationParams
from app.core.text import char_width, text_width
from app.i18n import N_, _

NEW_CHAT_TITLE = N_("New chat")  # in the reader's language when a chat is given it
ELLIPSIS = "…"
MAX_TITLE_CHARS = 60
MAX_TITLE_WORDS = 12  # beyond this a reply is a sentence, not a title
REQUEST_INPUT_CHARS = 600  # each of question and answer: a title needs the gist, not the whole

# Low temperature and a fixed seed: the same exchange gets the same title, and a title is short.
# Thinking off where the model has the switch: a title is a few words, not a problem to solve.
TITLE_PARAMS = GenerationParams(max_tokens=20, temperature=0.2, seed=1, thinking=False)

_TITLE_SYSTEM = "You are a helpful assistant that writes short titles."
_TITLE_EXAMPLES = (
    ("How long should I boil an egg?", "Boil it for 7 minutes for a firm yolk.", "Boiling Eggs"),
    ("Can you explain how vaccines work?", "Vaccines train the immune system to recognize a germ.",
     "How Vaccines Work"),
)

_FENCED_BLOCK = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
_FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.M)
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LINE_MARKER = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d+[.)][ \t]+)+", re.M)
_INLINE_MARKER = re.compile(r"\*\*|__|~~|[*`]")
# Up to the first colon or "is" of a lead-in that names the title: "Title:", "Here's a short
# title for your text:", "The topic of this question is".
_LEAD_IN = re.compile(r"^[^:\"“«]*?\b(?:title|topic of th(?:is|e))\b[^:\"“«]*?(?:[:：]|\bis\b)\s*",
                      re.I)
_QUOTES = "\"'“”‘’«»„「」『』`"
_TRAILING = ".,;:!?…。，、；：！？-–—"
# Replies that are the model talking rather than a title, or the prompt echoed back.
_NOT_A_TITLE = re.compile(
    r"^(?:i |i['’]m\b|i['’]d\b|sure\b|here\b|certainly\b|of course\b|sorry\b|as an ai\b|"
    r"this (?:is|text)\b|user\s*:|assistant\s*:|conversation\s*:|text\s*:|write a\b)",
    re.I,
)


# Words that are no title on their own: what is left when a lead-in ate the real line.
_NOT_ALONE = {"the", "a", "an", "title", "this", "it", "text", "topic", "and", "of"}
_SENTENCE_BREAK = re.compile(r"[.!?。！？]\s+\S")


def _cut_chars(text: str, width: int) -> str:
    """The longest start of `text` no wider than `width`, for text without spaces (CJK, URLs):
    at a punctuation mark or a change of script when one is in its last half, so that a
    Chinese title keeps whole phrases ("LLaMA是一种…", not "LLaMA是一种自监督学习技")."""
    used = 0
    for i, char in enumerate(text):
        used += char_width(char)
        if used > width:
            return text[:_phrase_end(text, i)]
    return text


_PHRASE_MARKS = frozenset("，、。；：！？）」』,.;:!?)/-_")


def _phrase_end(text: str, cut: int) -> int:
    """Where to cut `text` at or before `cut`, in its second half: after a punctuation mark,
    else where a run of Latin letters and digits meets other writing; else at `cut`."""
    for i in range(cut, cut // 2, -1):
        if text[i - 1] in _PHRASE_MARKS:
            return i
    for i in range(cut, cut // 2, -1):
        if i < len(text) and _latin(text[i - 1]) != _latin(text[i]):
            return i
    return cut


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _shorten(words: list[str], max_width: int, ellipsis: str) -> str:
    """Whole words up to `max_width` (ellipsis included); a first word too long is cut inside."""
    budget = max_width - text_width(ellipsis)
    kept: list[str] = []
    used = 0
    for word in words:
        extra = text_width(word) + (1 if kept else 0)
        if used + extra > budget:
            break
        kept.append(word)
        used += extra
    text = " ".join(kept) if kept else _cut_chars(words[0], budget) if words else ""
    return text.rstrip(_TRAILING + " ") + ellipsis


def _plain(text: str) -> str:
    """Markdown markers out, the words in; whitespace collapsed."""
    without_code = _FENCED_BLOCK.sub(" ", text)
    # A message that is only code is still better titled by its code than as "New chat".
    text = without_code if without_code.strip() else _FENCE_LINE.sub(" ", text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _LINE_MARKER.sub("", text)
    text = _INLINE_MARKER.sub("", text)
    return " ".join(text.split())


def fallback_title(text: str, max_words: int = 6, max_chars: int = 48) -> str:
    """The first words of the user's first message, as a title until a better one comes.

    Whitespace is collapsed and markdown dropped. A longer text is cut at a word boundary and
    ends in "…"; text without spaces (Chinese, Japanese, a URL) is cut by characters, counting a
    wide character as two. Empty text gives "New chat", in the reader's language.
    """
    words = _plain(text).split()
    if not words:
        return _(NEW_CHAT_TITLE)
    title = " ".join(words[:max_words])
    if len(words) <= max_words and text_width(title) <= max_chars:
        return title
    return _shorten(words[:max_words], max_chars, ELLIPSIS)


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a space when one is near the end."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def title_request(question: str, answer: str) -> list[ChatMessage]:
    """The messages that ask the model to title an exchange of one question and one answer.

    Two worked examples come as earlier turns of the chat: tried on SmolLM2 135M, examples made
    the difference between a title and a chatty sentence far more than any wording of the
    instruction did. Both texts are clipped: a title needs their gist, and a short prompt is
    answered fast.
    """
    messages = [ChatMessage("system", _TITLE_SYSTEM)]
    for example_question, example_answer, example_title in _TITLE_EXAMPLES:
        messages += [ChatMessage("user", _title_instruction(example_question, example_answer)),
                     ChatMessage("assistant", example_title)]
    messages.append(ChatMessage("user", _title_instruction(_clip(question, REQUEST_INPUT_CHARS),
                                                           _clip(answer, REQUEST_INPUT_CHARS))))
    return messages


def _title_instruction(question: str, answer: str) -> str:
    # The instruction before the text, the text in quotes: the layout small models followed best.
    return ("Write a title of 3 to 6 words for this text. Reply with only the title.\n\n"
            f'Text: "{question}\n\n{answer}"')


def clean_title(raw: str) -> str | None:
    """The title in a model's reply, or None when the reply holds none worth showing.

    Takes the first non-empty line; drops markdown, a "Title:" prefix, quotes and trailing
    punctuation; caps the length at a word boundary. A reply that reads as the model talking
    ("Sure, here is…", "I can't…") or the prompt echoed back is not a title.
    """
    lines = [_plain_line(ln) for ln in raw.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return None
    title = lines[0]
    lead_in = _LEAD_IN.match(title)
    if lead_in:
        # "Title: X", 'Here is a title: "X"', or the lead-in alone with X on the next line.
        rest = title[lead_in.end():].strip(_QUOTES + " ")
        title = rest if rest else lines[1] if len(lines) > 1 else ""
    title = title.strip(_QUOTES + " ").rstrip(_TRAILING + _QUOTES + " ").lstrip(_QUOTES + " ")
    if len(title.split()) > MAX_TITLE_WORDS:
        return None  # a sentence: the model answered or explained instead
    if text_width(title) > MAX_TITLE_CHARS:
        title = _shorten(title.split(" "), MAX_TITLE_CHARS, ELLIPSIS)  # cut: say so
    if len(title) < 2 or _NOT_A_TITLE.match(title) or title.lower() in _NOT_ALONE:
        return None
    if _SENTENCE_BREAK.search(title):
        return None  # "What a nice title. Here is another:": the model chatting
    return title


def _plain_line(line: str) -> str:
    return " ".join(_INLINE_MARKER.sub("", _LINE_MARKER.sub("", line)).split())
