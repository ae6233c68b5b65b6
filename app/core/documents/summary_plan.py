"""The plan of one document's summary: how many tokens each step may read and write in this
context, and the instructions each step is given."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.documents.language import detect_language
from app.core.documents.summary_options import (
    FORM_WORDS,
    NOTE_WORDS,
    SUMMARY_WORDS,
    Length,
    SummaryOptions,
)
from app.core.engine.base import ChatMessage, EngineError, InferenceEngine, NoModelLoadedError
from app.core.engine.cancel import CancelToken
from app.core.engine.tokens import TEMPLATE_TOKENS, count_tokens
from app.i18n import _

# The token cap that backs a request for so many words up (small models overrun it).
_TOKENS_PER_WORD = 2.2  # generous: CJK text takes more tokens per "word" than English
# A margin for token counts of joined pieces being a little off.
_MARGIN_TOKENS = 24
MIN_PART_TOKENS = 128
MIN_NOTE_TOKENS = 24

SYSTEM_PROMPT = ("You summarize documents accurately and concisely. Use only what the text "
                 "says; never add facts of your own.")


class SummaryError(EngineError):
    """The document cannot be summarized with this model and context (a message for the user)."""


@dataclass(frozen=True)
class Plan:
    """The sizes and instructions of one document's summary."""

    name: str
    note_ask: str
    final_ask: str
    overhead: int         # tokens of instructions around each step's text
    part_budget: int      # tokens of document (or notes) per step
    note_cap: int
    summary_cap: int
    document_tokens: int

    @property
    def final_budget(self) -> int:
        """Tokens of text the last step can take: it writes the longer answer."""
        return self.part_budget + self.note_cap - self.summary_cap

    @classmethod
    def empty(cls, name: str) -> Plan:
        """The plan of a job stopped before it was made."""
        return cls(name, "", "", 0, 0, 0, 0, 0)


def plan_summary(engine: InferenceEngine, options: SummaryOptions, text: str, name: str,
                 cancel: CancelToken | None = None) -> Plan:
    """Size the steps of summarizing `text` with the model loaded in `engine`: raises
    `SummaryError` if its context is too small, `JobCancelledError` if `cancel` is set while
    the document is measured."""
    model = engine.model
    if model is None:
        raise NoModelLoadedError
    n_ctx = model.n_ctx
    language = options.language or detect_language(text)
    note_ask = _ask(options, language, NOTE_WORDS[options.length])
    final_ask = _ask(options, language, SUMMARY_WORDS[options.length])
    overhead = engine.count_tokens(f"{SYSTEM_PROMPT} {final_ask} {name}") + 16
    budgets = _budgets(n_ctx, overhead, options.length)
    if budgets is None:
        raise SummaryError(_(
            "The context window ({n_ctx} tokens) is too small to summarize in; use a context "
            "of at least 512 tokens (1024 or more reads better).").format(n_ctx=n_ctx))
    part_budget, note_cap, summary_cap = budgets
    document_tokens = count_tokens(engine.count_tokens, text, cancel)
    return Plan(name, note_ask, final_ask, overhead, part_budget, note_cap, summary_cap,
                document_tokens)


def _budgets(n_ctx: int, overhead: int, length: Length) -> tuple[int, int, int] | None:
    """Tokens of text per step, of a note and of the summary, in this context; None when it
    is too small to summarize in."""
    room = n_ctx - TEMPLATE_TOKENS - _MARGIN_TOKENS - overhead
    summary_cap = min(_cap(SUMMARY_WORDS[length]), room // 2)
    # Two notes must fit one combining step with room for its answer, or combining would
    # never end; a third of what is left leaves space for their labels.
    note_cap = min(_cap(NOTE_WORDS[length]), (room - summary_cap) // 3)
    part_budget = room - note_cap
    if note_cap < MIN_NOTE_TOKENS or part_budget < MIN_PART_TOKENS:
        return None
    return part_budget, note_cap, summary_cap


# What a step's instructions take, for a plan made before the model is asked (the meter).
OVERHEAD_GUESS = 120


def parts_needed(n_ctx: int, document_tokens: int, length: Length = "medium") -> int | None:
    """About how many parts a summary reads `document_tokens` of documents in, at this
    context (the instructions guessed, not counted); None when the context is too small."""
    budgets = _budgets(n_ctx, OVERHEAD_GUESS, length)
    if budgets is None:
        return None
    return max(1, -(-document_tokens // budgets[0]))


def prompt(label: str, body: str, ask: str) -> list[ChatMessage]:
    """One step's messages: the text to read, labelled, then what to write about it."""
    return [ChatMessage("system", SYSTEM_PROMPT),
            ChatMessage("user", f"{label}\n\n\"\"\"\n{body}\n\"\"\"\n\n{ask}")]


def _ask(options: SummaryOptions, language: str, words: int) -> str:
    question = options.question.strip()
    if question:
        return (f"Using only the text above, answer this request in {language}, "
                f"in at most {words} words: {question}")
    return (f"Summarize the text above in {language}, {FORM_WORDS[options.form]}, in at most "
            f"{words} words.")


def _cap(words: int) -> int:
    return int(words * _TOKENS_PER_WORD)
