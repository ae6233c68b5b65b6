"""Summarize a document of any length: split it by tokens, summarize each part, combine.

A document that fits the context is summarized in one step. A longer one is split on paragraph
and sentence boundaries into parts that each fit with their instructions and their note; each
part gets a short note, and the notes are combined (in groups, level after level, as many as it
takes) until one step writes the summary. That final step streams, like any answer.

Everything runs on the thread that owns the engine. Progress is reported before each step, with
a time estimate from the speeds measured so far; a stop ends the current step at once (the
engine's abort callback also interrupts a part still being read), or the measuring and splitting
before the first step, and keeps the notes written until then.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.core.documents.language import detect_language
from app.core.engine.base import (
    ChatMessage,
    ContextOverflowError,
    EngineError,
    FinishReason,
    GenerationParams,
    GenerationStats,
    InferenceEngine,
    NoModelLoadedError,
    OnPiece,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.tokens import TEMPLATE_TOKENS, JobCancelledError, count_tokens

Length = Literal["short", "medium", "detailed"]
Form = Literal["bullets", "prose"]
Stage = Literal["preparing", "reading", "combining", "writing"]
LENGTHS: tuple[Length, ...] = ("short", "medium", "detailed")
FORMS: tuple[Form, ...] = ("bullets", "prose")

# Words asked for, and the token cap that backs the request up (small models overrun it).
_SUMMARY_WORDS = {"short": 80, "medium": 180, "detailed": 350}
_NOTE_WORDS = {"short": 50, "medium": 90, "detailed": 160}
_TOKENS_PER_WORD = 2.2  # generous: CJK text takes more tokens per "word" than English
# A margin for token counts of joined pieces being a little off.
_MARGIN_TOKENS = 24
MIN_PART_TOKENS = 128
MIN_NOTE_TOKENS = 24

SYSTEM_PROMPT = ("You summarize documents accurately and concisely. Use only what the text "
                 "says; never add facts of your own.")
_FORM_WORDS = {"bullets": "as a bulleted list", "prose": "as plain paragraphs"}
_PARAMS = GenerationParams(temperature=0.2, top_p=0.9, top_k=40, min_p=0.05, repeat_penalty=1.15)


class SummaryError(EngineError):
    """The document cannot be summarized with this model and context (a message for the user)."""


@dataclass(frozen=True)
class SummaryOptions:
    """How the summary should read. `language` None means the document's own."""

    length: Length = "medium"
    form: Form = "bullets"
    language: str | None = None
    question: str = ""  # when set, the notes and the answer address it


@dataclass(frozen=True)
class Chunk:
    """A part of the document: `text[start:end]`, about `tokens` tokens."""

    start: int
    end: int
    tokens: int


@dataclass(frozen=True)
class PartNote:
    """What one part of the document said, as its note."""

    index: int  # 1-based
    start: int
    end: int
    tokens: int
    note: str


@dataclass(frozen=True)
class SummaryProgress:
    """Where a summary is. `step` is 1-based among the `steps` of its stage."""

    stage: Stage
    step: int
    steps: int
    eta_s: float | None

    def describe(self) -> str:
        if self.stage == "preparing":
            return "Measuring the document"
        if self.stage == "reading":
            what = f"Reading part {self.step} of {self.steps}"
        elif self.stage == "combining":
            what = f"Combining notes, step {self.step} of {self.steps}"
        else:
            what = "Writing the summary"
        return f"{what} · {format_eta(self.eta_s)}"


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating the time left"
    if seconds < 10:
        return "a few seconds left"
    if seconds < 90:
        return f"about {round(seconds / 5) * 5:.0f} s left"
    minutes = seconds / 60
    if minutes < 90:
        return f"about {minutes:.0f} min left"
    return f"about {minutes / 60:.1f} h left"


@dataclass(frozen=True)
class SummaryResult:
    """The summary (or, when stopped, the notes so far) and what it covered."""

    text: str
    name: str
    parts: tuple[PartNote, ...]
    levels: int              # 0: the document fitted one step; 1: notes combined at once; ...
    document_tokens: int
    prompt_tokens: int       # every token evaluated, instructions and notes included
    completion_tokens: int   # every token generated, notes included
    elapsed_s: float
    finish_reason: FinishReason
    stats: GenerationStats   # of the whole job: time to the summary's first token, and so on

    @property
    def cancelled(self) -> bool:
        return self.finish_reason == "cancelled"

    def coverage(self) -> str:
        """One line on what was read: 'Summarized all of report.pdf: 12 parts, 24,310 tokens'."""
        parts = len(self.parts) or 1
        noun = "part" if parts == 1 else "parts"
        if self.cancelled:
            read = len(self.parts)
            return (f"Stopped after {read} {'part' if read == 1 else 'parts'} of {self.name} "
                    f"({self.document_tokens:,} tokens in all).")
        return f"Summarized all of {self.name}: {parts} {noun}, {self.document_tokens:,} tokens."

    def details(self) -> dict[str, Any]:
        """What a saved message keeps to show the summary part by part."""
        return {
            "name": self.name,
            "levels": self.levels,
            "document_tokens": self.document_tokens,
            "complete": not self.cancelled,
            "elapsed_s": round(self.elapsed_s, 1),
            "parts": [dataclasses.asdict(p) for p in self.parts],
        }


@dataclass(frozen=True)
class SavedSummary:
    """A summary's details as a saved (or imported) message holds them, read defensively: a
    file from elsewhere may hold anything."""

    name: str
    document_tokens: int
    complete: bool
    elapsed_s: float | None
    parts: tuple[PartNote, ...]

    @classmethod
    def from_details(cls, details: object) -> SavedSummary:
        data = details if isinstance(details, dict) else {}
        tokens, elapsed = data.get("document_tokens"), data.get("elapsed_s")
        return cls(
            name=str(data.get("name") or "the document"),
            document_tokens=tokens if isinstance(tokens, int) and tokens >= 0 else 0,
            complete=data.get("complete") is not False,
            elapsed_s=float(elapsed) if isinstance(elapsed, int | float) else None,
            parts=tuple(part_notes_from_details(data)))


def part_notes_from_details(details: object) -> list[PartNote]:
    """The part notes of a saved summary; anything malformed is skipped."""
    if not isinstance(details, dict) or not isinstance(details.get("parts"), list):
        return []
    notes = []
    for item in details["parts"]:
        try:
            notes.append(PartNote(int(item["index"]), int(item["start"]), int(item["end"]),
                                  int(item["tokens"]), str(item["note"])))
        except (KeyError, TypeError, ValueError):
            continue
    return notes


# -- splitting -----------------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# After ., !, ? (and closing quotes or brackets) followed by space; after CJK sentence marks at
# once, since Chinese and Japanese put no space between sentences.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|(?<=[。！？；…])[”’」』）]*\s*")
_LINE_BREAK = re.compile(r"\n")
_WORD_BREAK = re.compile(r"\s+")


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


_SPLITTERS = (_SENTENCE_END, _LINE_BREAK, _WORD_BREAK)


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


# -- the job -------------------------------------------------------------------------------

OnProgress = Callable[[SummaryProgress], None]


@dataclass(frozen=True)
class _Step:
    text: str
    finish: FinishReason


class LoopGuard:
    """Stops a step whose text has started going round in circles.

    Small models writing notes often fall into a loop ("Conveying Non-Source Forms, Conveying
    Non-Source Forms, ...") until the token cap. Once the end of the text is one stretch of
    `MIN_UNIT`..`MAX_UNIT` characters written `REPEATS` times in a row, the step is stopped and
    the copies after the first are cut: the note is shorter, truer, and costs less time. Units
    shorter than 12 characters are left alone: "| Yes | Yes | Yes |" is a table row.
    """

    MIN_UNIT, MAX_UNIT, REPEATS = 12, 200, 3
    _CHECK_EVERY = 16  # characters of new text between checks

    def __init__(self, cancel: CancelToken) -> None:
        self._cancel = cancel
        self._text: list[str] = []
        self._length = 0
        self._checked = 0
        self.cut: int | None = None  # where the repeats start, once found

    def add(self, piece: str) -> None:
        self._text.append(piece)
        self._length += len(piece)
        if self.cut is None and self._length - self._checked >= self._CHECK_EVERY:
            self._checked = self._length
            text = "".join(self._text)
            self._text = [text]
            unit = repeated_tail(text, self.MIN_UNIT, self.MAX_UNIT, self.REPEATS)
            if unit:
                self.cut = len(text) - (self.REPEATS - 1) * unit
                self._cancel.cancel()

    def trimmed(self, text: str) -> str:
        return text if self.cut is None else text[:self.cut].rstrip(" ,;")


def repeated_tail(text: str, shortest: int, longest: int, repeats: int) -> int | None:
    """The length of a stretch that ends `text` `repeats` times in a row, if one does."""
    for unit in range(shortest, min(longest, len(text) // repeats) + 1):
        tail = text[-unit:]
        # Words going round, not a rule or a table's "| --- " row.
        if (all(text[-(k + 1) * unit:-k * unit] == tail for k in range(1, repeats))
                and sum(c.isalpha() for c in tail) >= 3):
            return unit
    return None


@dataclass
class _Rates:
    """Speeds measured so far in this job, for the time estimate."""

    prompt_tokens: int = 0
    prompt_s: float = 0.0
    generated_tokens: int = 0
    generation_s: float = 0.0

    def add(self, stats: GenerationStats) -> None:
        self.prompt_tokens += stats.prompt_tokens
        self.prompt_s += stats.ttft_s
        self.generated_tokens += stats.completion_tokens
        self.generation_s += stats.generation_s

    def estimate(self, prompt_tokens: float, generated_tokens: float) -> float | None:
        if self.prompt_s <= 0 or self.prompt_tokens == 0:
            return None
        prompt_rate = self.prompt_tokens / self.prompt_s
        seconds = prompt_tokens / prompt_rate
        if self.generated_tokens and self.generation_s > 0:
            seconds += generated_tokens * self.generation_s / self.generated_tokens
        return seconds


@dataclass(frozen=True)
class _Plan:
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


class Summarizer:
    """Summarizes one document with the loaded model. Call `run` on the engine's thread."""

    def __init__(self, engine: InferenceEngine, options: SummaryOptions | None = None, *,
                 params: GenerationParams | None = None, on_progress: OnProgress | None = None,
                 on_piece: OnPiece | None = None, cancel: CancelToken | None = None) -> None:
        self._engine = engine
        self._options = options or SummaryOptions()
        # Summaries want focus, not creativity: the app's low temperature, the user's seed.
        seed = params.seed if params is not None else None
        self._params = dataclasses.replace(_PARAMS, seed=seed)
        self._on_progress = on_progress or (lambda _p: None)
        self._on_piece = on_piece or (lambda _t: None)
        self._cancel = cancel or CancelToken()
        self._rates = _Rates()
        self._steps = 0
        self._final_stats: GenerationStats | None = None
        self._t_start = 0.0

    # -- planning ---------------------------------------------------------------------------

    def _plan(self, text: str, name: str) -> _Plan:
        model = self._engine.model
        if model is None:
            raise NoModelLoadedError
        n_ctx = model.n_ctx
        options = self._options
        language = options.language or detect_language(text)
        note_ask = self._ask(language, _NOTE_WORDS[options.length])
        final_ask = self._ask(language, _SUMMARY_WORDS[options.length])
        overhead = self._engine.count_tokens(f"{SYSTEM_PROMPT} {final_ask} {name}") + 16
        room = n_ctx - TEMPLATE_TOKENS - _MARGIN_TOKENS - overhead
        summary_cap = min(_cap(_SUMMARY_WORDS[options.length]), room // 2)
        # Two notes must fit one combining step with room for its answer, or combining would
        # never end; a third of what is left leaves space for their labels.
        note_cap = min(_cap(_NOTE_WORDS[options.length]), (room - summary_cap) // 3)
        part_budget = room - note_cap
        if note_cap < MIN_NOTE_TOKENS or part_budget < MIN_PART_TOKENS:
            raise SummaryError(
                f"The context window ({n_ctx} tokens) is too small to summarize in; "
                "use a context of at least 512 tokens (1024 or more reads better).")
        document_tokens = count_tokens(self._engine.count_tokens, text, self._cancel)
        return _Plan(name, note_ask, final_ask, overhead, part_budget, note_cap, summary_cap,
                     document_tokens)

    def _ask(self, language: str, words: int) -> str:
        question = self._options.question.strip()
        if question:
            return (f"Using only the text above, answer this request in {language}, "
                    f"in at most {words} words: {question}")
        form = _FORM_WORDS[self._options.form]
        return f"Summarize the text above in {language}, {form}, in at most {words} words."

    @staticmethod
    def _prompt(label: str, body: str, ask: str) -> list[ChatMessage]:
        return [ChatMessage("system", SYSTEM_PROMPT),
                ChatMessage("user", f"{label}\n\n\"\"\"\n{body}\n\"\"\"\n\n{ask}")]

    # -- running ----------------------------------------------------------------------------

    def run(self, text: str, name: str = "the document") -> SummaryResult:
        self._t_start = time.perf_counter()
        if not text.strip():
            raise SummaryError(f"{name} has no text to summarize.")
        self._on_progress(SummaryProgress("preparing", 1, 1, None))
        try:
            plan = self._plan(text, name)
            if plan.document_tokens <= plan.final_budget:
                return self._one_step(plan, text)
            chunks = split_document(text, self._engine.count_tokens, plan.part_budget,
                                    self._cancel)
        except JobCancelledError:
            empty = _Plan(name, "", "", 0, 0, 0, 0, 0)
            return self._result(empty, _Step("", "cancelled"), (), 0)
        notes: list[PartNote] = []
        for i, chunk in enumerate(chunks, 1):
            left = len(chunks) - i + 1
            note = self._average_note(plan.note_cap)
            # What is left: these parts with their instructions and notes, then the notes read
            # again to combine them, and the summary.
            prompt_left = (sum(c.tokens for c in chunks[i - 1:]) + left * plan.overhead
                           + note * len(chunks))
            self._progress("reading", (i, len(chunks)), prompt_left=prompt_left,
                           generated_left=note * left + plan.summary_cap)
            label = f"Part {i} of {len(chunks)} of the document \"{name}\":"
            step = self._step(self._prompt(label, text[chunk.start:chunk.end], plan.note_ask),
                              plan.note_cap)
            if step.finish == "cancelled":
                return self._stopped(plan, notes)
            notes.append(PartNote(i, chunk.start, chunk.end, chunk.tokens, step.text.strip()))
        return self._combine(plan, notes)

    def _one_step(self, plan: _Plan, text: str) -> SummaryResult:
        """A document that fits one step: summarized at once, as its only part."""
        self._progress("writing", (1, 1), prompt_left=plan.document_tokens,
                       generated_left=plan.summary_cap)
        summary = self._step(self._prompt(f"Document \"{plan.name}\":", text, plan.final_ask),
                             plan.summary_cap, stream=True)
        part = PartNote(1, 0, len(text), plan.document_tokens, summary.text.strip())
        return self._result(plan, summary, (part,) if summary.text.strip() else (), 0)

    def _combine(self, plan: _Plan, notes: list[PartNote]) -> SummaryResult:
        """Combine the notes level by level until one step holds them all."""
        # Each text: the first and last part it covers, and the note.
        texts = [(n.index, n.index, n.note) for n in notes]
        level = 1
        while True:
            labelled = [(_label(first, last), note) for first, last, note in texts]
            sizes = [self._engine.count_tokens(f"{label}: {note}\n\n")
                     for label, note in labelled]
            if sum(sizes) <= plan.final_budget:
                self._progress("writing", (1, 1), prompt_left=sum(sizes) + plan.overhead,
                               generated_left=plan.summary_cap)
                header = f"Notes on the consecutive parts of the document \"{plan.name}\":"
                summary = self._step(self._prompt(header, _join(labelled), plan.final_ask),
                                     plan.summary_cap, stream=True)
                return self._result(plan, summary, tuple(notes), level)
            groups = _group(sizes, plan.part_budget)
            if len(groups) == len(texts):  # nothing would shrink: never loop for ever
                raise SummaryError("The notes on the parts are too long to combine in this "
                                   "context; try a larger context or a shorter summary.")
            combined: list[tuple[int, int, str]] = []
            for g, (a, b) in enumerate(groups, 1):
                if a == b:  # a lone note goes up a level as it is
                    combined.append(texts[a])
                    continue
                prompt_left = sum(sum(sizes[x:y + 1]) + plan.overhead for x, y in groups[g - 1:])
                self._progress("combining", (g, len(groups)), prompt_left=prompt_left,
                               generated_left=plan.note_cap * (len(groups) - g + 1)
                               + plan.summary_cap)
                header = f"Notes on consecutive parts of the document \"{plan.name}\":"
                step = self._step(self._prompt(header, _join(labelled[a:b + 1]), plan.note_ask),
                                  plan.note_cap)
                if step.finish == "cancelled":
                    return self._stopped(plan, notes)
                combined.append((texts[a][0], texts[b][1], step.text.strip()))
            texts = combined
            level += 1

    def _step(self, messages: Sequence[ChatMessage], max_tokens: int,
              stream: bool = False) -> _Step:
        if self._cancel.cancelled:
            return _Step("", "cancelled")
        params = dataclasses.replace(self._params, max_tokens=max_tokens)
        step_cancel = CancelToken(parent=self._cancel)
        guard = LoopGuard(step_cancel)

        def on_piece(text: str) -> None:
            guard.add(text)
            if stream:
                self._on_piece(text)

        t_step = time.perf_counter()
        try:
            result = self._engine.stream_chat(messages, params, on_piece, step_cancel)
        except ContextOverflowError as exc:
            # The allowance for what the chat template adds was too small for this model.
            raise SummaryError(
                f"A part of the document did not fit the context ({exc.prompt_tokens} of "
                f"{exc.n_ctx} tokens); try a larger context.") from exc
        self._rates.add(result.stats)
        self._steps += 1
        if stream:
            stats = result.stats
            self._final_stats = dataclasses.replace(
                stats, ttft_s=stats.ttft_s + (t_step - self._t_start))
        if guard.cut is not None and not self._cancel.cancelled:
            return _Step(guard.trimmed(result.text), "stop")  # a loop cut short, not a stop
        return _Step(result.text, result.stats.finish_reason)

    def _average_note(self, note_cap: int) -> float:
        """Tokens a note has taken so far on average (a guess before the first)."""
        if self._steps:
            return self._rates.generated_tokens / self._steps
        return note_cap * 0.75

    def _progress(self, stage: Stage, step: tuple[int, int], *, prompt_left: float,
                  generated_left: float) -> None:
        """Report where the job is; the time left comes from the speeds measured so far."""
        eta = self._rates.estimate(prompt_left, generated_left)
        self._on_progress(SummaryProgress(stage, step[0], step[1], eta))

    def _stopped(self, plan: _Plan, notes: list[PartNote]) -> SummaryResult:
        text = "\n\n".join(f"**Part {n.index}.** {n.note}" for n in notes)
        return self._result(plan, _Step(text, "cancelled"), tuple(notes), 0)

    def _result(self, plan: _Plan, step: _Step, parts: tuple[PartNote, ...],
                levels: int) -> SummaryResult:
        elapsed = time.perf_counter() - self._t_start
        rates = self._rates
        stats = self._final_stats or GenerationStats(
            prompt_tokens=rates.prompt_tokens, completion_tokens=0, ttft_s=elapsed,
            generation_s=0.0, finish_reason=step.finish)
        return SummaryResult(
            text=step.text.strip(), name=plan.name, parts=parts, levels=levels,
            document_tokens=plan.document_tokens, prompt_tokens=rates.prompt_tokens,
            completion_tokens=rates.generated_tokens, elapsed_s=elapsed,
            finish_reason=step.finish,
            stats=dataclasses.replace(stats, finish_reason=step.finish))


def _cap(words: int) -> int:
    return int(words * _TOKENS_PER_WORD)


def _label(first: int, last: int) -> str:
    return f"Part {first}" if first == last else f"Parts {first}–{last}"


def _join(texts: Sequence[tuple[str, str]]) -> str:
    return "\n\n".join(f"{label}: {body}" for label, body in texts)


def _group(sizes: list[int], budget: int) -> list[tuple[int, int]]:
    """Consecutive runs of notes (first, last index) whose sizes add up to at most `budget`.

    The budget holds at least two notes, so every run but perhaps the last has two or more and
    each level has fewer notes than the one before.
    """
    groups: list[tuple[int, int]] = []
    first, total = 0, 0
    for i, size in enumerate(sizes):
        if i > first and total + size > budget:
            groups.append((first, i - 1))
            first, total = i, 0
        total += size
    groups.append((first, len(sizes) - 1))
    return groups


def summary_request(options: SummaryOptions, language: str, documents: int = 1) -> str:
    """The question shown (and sent) when the user attaches documents and types nothing."""
    what = "the attached document" if documents == 1 else "the attached documents"
    words = _SUMMARY_WORDS[options.length]
    return f"Summarize {what} in {language}, {_FORM_WORDS[options.form]}, in about {words} words."


def options_to_json(options: SummaryOptions) -> dict[str, Any]:
    return dataclasses.asdict(options)


def options_from_json(data: object) -> SummaryOptions:
    """Options saved with a question; what is missing or unknown falls back to the default."""
    default = SummaryOptions()
    if not isinstance(data, dict):
        return default
    length, form = data.get("length"), data.get("form")
    language, question = data.get("language"), data.get("question")
    return SummaryOptions(
        length=length if length in LENGTHS else default.length,
        form=form if form in FORMS else default.form,
        language=language if isinstance(language, str) and language else None,
        question=question if isinstance(question, str) else "")
