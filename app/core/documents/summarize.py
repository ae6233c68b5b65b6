"""Summarize a document of any length: split it by tokens, summarize each part, combine.

A document that fits the context is summarized in one step. A longer one is split on paragraph
and sentence boundaries into parts that each fit with their instructions and their note
(`splitting`, sized by `summary_plan`); each part gets a short note, and the notes are combined
(in groups, level after level, as many as it takes) until one step writes the summary. That
final step streams, like any answer.

Everything runs on the thread that owns the engine. Progress is reported before each step, with
a time estimate from the speeds measured so far; a stop ends the current step at once (the
engine's abort callback also interrupts a part still being read), or the measuring and splitting
before the first step, and keeps the notes written until then.

An engine that takes several requests at once (`ModelInfo.parallel`: a server elsewhere with
continuous batching, such as `llama-server --parallel 4` or vLLM) is sent that many parts
together, from as many threads; the notes are still kept in order, and a stop keeps those of
the parts read one after another from the first.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from app.core.documents.splitting import Chunk, split_document
from app.core.documents.summary_options import (
    FORMS,
    LENGTHS,
    SummaryOptions,
    options_from_json,
    options_to_json,
    summary_request,
)
from app.core.documents.summary_plan import Plan, SummaryError, plan_summary, prompt
from app.core.documents.summary_progress import OnProgress, Rates, Stage, SummaryProgress
from app.core.documents.summary_result import PartNote, SavedSummary, SummaryResult
from app.core.engine.base import (
    ChatMessage,
    ContextOverflowError,
    FinishReason,
    GenerationParams,
    GenerationStats,
    InferenceEngine,
    OnPiece,
    PromptProgress,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.loop_guard import LoopGuard
from app.core.engine.thinking import split_thinking
from app.core.engine.tokens import JobCancelledError
from app.core.throttle import Throttle
from app.i18n import _

# Still importable from here for the modules that import them from here (the terminal's
# summarize command, the chat service, the inference worker, the chat view and the parts
# dialog); new code imports them from their own modules.
__all__ = [
    "FORMS",
    "LENGTHS",
    "PartNote",
    "SavedSummary",
    "Summarizer",
    "SummaryError",
    "SummaryOptions",
    "SummaryProgress",
    "SummaryResult",
    "options_from_json",
    "options_to_json",
    "summary_request",
]

STEP_UPDATE_S = 2.0  # how often the time left is estimated again within a step
_PARAMS = GenerationParams(temperature=0.2, top_p=0.9, top_k=40, min_p=0.05, repeat_penalty=1.15)


@dataclass(frozen=True)
class _Step:
    text: str
    finish: FinishReason


@dataclass
class _StepWork:
    """What the step under way has done so far, for the time left within it."""

    started: float
    read: int = 0  # tokens of its prompt read
    read_at: float | None = None  # when all of its prompt was read
    written: int = 0  # pieces written, about a token each

    def times(self, now: float) -> tuple[float, float]:
        """Seconds spent reading so far, and writing."""
        read_end = self.read_at or now
        return read_end - self.started, now - read_end


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
        self._rates = Rates()
        self._lock = threading.Lock()  # the rates and reports, when parts are read together
        self._together = False
        self._steps = 0
        self._final_stats: GenerationStats | None = None
        self._t_start = 0.0
        # The stage, step and work left last reported, for estimates within a step.
        self._at: tuple[Stage, tuple[int, int], float, float] | None = None

    def run(self, text: str, name: str = "the document",
            done: Sequence[PartNote] = ()) -> SummaryResult:
        """Summarize `text`. `done`: the notes of a run that was stopped (`resumable_notes`),
        kept as they are; the parts after them are read, then all the notes combined."""
        self._t_start = time.perf_counter()
        if not text.strip():
            raise SummaryError(_("{name} has no text to summarize.").format(name=name))
        self._on_progress(SummaryProgress("preparing", 1, 1, None))
        notes = list(resumable_notes(done, text))
        try:
            plan = plan_summary(self._engine, self._options, text, name, self._cancel)
            if not notes and plan.document_tokens <= plan.final_budget:
                return self._one_step(plan, text)
            start = notes[-1].end if notes else 0
            chunks = [dataclasses.replace(c, start=c.start + start, end=c.end + start)
                      for c in split_document(text[start:], self._engine.count_tokens,
                                              plan.part_budget, self._cancel)]
        except JobCancelledError:
            return self._result(Plan.empty(name), _Step("", "cancelled"), tuple(notes), 0)
        chunks = [Chunk(n.start, n.end, n.tokens) for n in notes] + chunks
        model = self._engine.model
        together = min(model.parallel if model is not None else 1, len(chunks) - len(notes))
        if together > 1:
            return self._read_together(plan, text, chunks, notes, together)
        for i, chunk in enumerate(chunks, 1):
            if i <= len(notes):
                continue  # read before the stop: its note is kept
            left = len(chunks) - i + 1
            note = self._average_note(plan.note_cap)
            # What is left: these parts with their instructions and notes, then the notes read
            # again to combine them, and the summary.
            prompt_left = (sum(c.tokens for c in chunks[i - 1:]) + left * plan.overhead
                           + note * len(chunks))
            self._progress("reading", (i, len(chunks)), prompt_left=prompt_left,
                           generated_left=note * left + plan.summary_cap)
            label = f"Part {i} of {len(chunks)} of the document \"{name}\":"
            step = self._step(prompt(label, text[chunk.start:chunk.end], plan.note_ask),
                              plan.note_cap)
            if step.finish == "cancelled":
                return self._stopped(plan, notes)
            notes.append(PartNote(i, chunk.start, chunk.end, chunk.tokens, step.text.strip()))
        return self._combine(plan, notes)

    def _read_together(self, plan: Plan, text: str, chunks: list[Chunk],
                       notes: list[PartNote], together: int) -> SummaryResult:
        """Read the parts after `notes`, `together` at a time, then combine (see the module).
        A part that fails stops the others, and its error is raised."""
        reading = CancelToken(parent=self._cancel)  # stops the others when one fails
        self._together = True
        label = "Part {} of {} of the document \"{}\":"

        def read(i: int, chunk: Chunk) -> _Step:
            messages = prompt(label.format(i, len(chunks), plan.name),
                              text[chunk.start:chunk.end], plan.note_ask)
            return self._step(messages, plan.note_cap, parent=reading)

        with ThreadPoolExecutor(together, thread_name_prefix="summary-part") as pool:
            steps: list[tuple[int, Chunk, Future[_Step]]] = [
                (i, chunk, pool.submit(read, i, chunk))
                for i, chunk in enumerate(chunks, 1) if i > len(notes)]
            try:
                for i, chunk, future in steps:
                    left = len(chunks) - i + 1
                    note = self._average_note(plan.note_cap)
                    prompt_left = (sum(c.tokens for c in chunks[i - 1:]) + left * plan.overhead
                                   + note * len(chunks))
                    self._progress("reading", (i, len(chunks)), prompt_left=prompt_left,
                                   generated_left=note * left + plan.summary_cap,
                                   together=min(together, left))
                    step = future.result()
                    if step.finish == "cancelled":
                        return self._stopped(plan, notes)
                    notes.append(PartNote(i, chunk.start, chunk.end, chunk.tokens,
                                          step.text.strip()))
            finally:
                reading.cancel()  # the parts not read yet, after a stop or a failure
        self._together = False
        return self._combine(plan, notes)

    def _one_step(self, plan: Plan, text: str) -> SummaryResult:
        """A document that fits one step: summarized at once, as its only part."""
        self._progress("writing", (1, 1), prompt_left=plan.document_tokens,
                       generated_left=plan.summary_cap)
        summary = self._step(prompt(f"Document \"{plan.name}\":", text, plan.final_ask),
                             plan.summary_cap, stream=True)
        part = PartNote(1, 0, len(text), plan.document_tokens, summary.text.strip())
        return self._result(plan, summary, (part,) if summary.text.strip() else (), 0)

    def _combine(self, plan: Plan, notes: list[PartNote]) -> SummaryResult:
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
                summary = self._step(prompt(header, _join(labelled), plan.final_ask),
                                     plan.summary_cap, stream=True)
                return self._result(plan, summary, tuple(notes), level)
            groups = _group(sizes, plan.part_budget)
            if len(groups) == len(texts):  # nothing would shrink: never loop for ever
                raise SummaryError(_("The notes on the parts are too long to combine in this "
                                     "context; try a larger context or a shorter summary."))
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
                step = self._step(prompt(header, _join(labelled[a:b + 1]), plan.note_ask),
                                  plan.note_cap)
                if step.finish == "cancelled":
                    return self._stopped(plan, notes)
                combined.append((texts[a][0], texts[b][1], step.text.strip()))
            texts = combined
            level += 1

    def _step(self, messages: Sequence[ChatMessage], max_tokens: int,
              stream: bool = False, parent: CancelToken | None = None) -> _Step:
        """One request: a note, or (`stream`) the summary. May run on several threads at once
        (`_read_together`): what it shares is taken under the lock."""
        parent = parent or self._cancel
        if parent.cancelled:
            return _Step("", "cancelled")
        params = dataclasses.replace(self._params, max_tokens=max_tokens)
        step_cancel = CancelToken(parent=parent)
        guard = LoopGuard(step_cancel)
        t_step = time.perf_counter()
        work = _StepWork(t_step)
        update = Throttle(lambda: self._progress_within(work), STEP_UPDATE_S,
                          first_at_once=False)

        def on_prompt(progress: PromptProgress) -> None:
            work.read = progress.done
            if progress.done >= progress.total:
                work.read_at = time.perf_counter()
            update()

        streamed: list[str] = []

        def on_piece(text: str) -> None:
            guard.add(text)
            streamed.append(text)
            if work.read_at is None:  # a prompt too short for reports: count from here
                work.started = work.read_at = time.perf_counter()
            work.written += 1  # a piece is about a token
            update()
            if stream:
                self._on_piece(text)

        try:
            result = self._engine.stream_chat(messages, params, on_piece, step_cancel,
                                              on_prompt=on_prompt)
        except ContextOverflowError as exc:
            # The allowance for what the chat template adds was too small for this model.
            raise SummaryError(_(
                "A part of the document did not fit the context ({tokens} of {n_ctx} tokens); "
                "try a larger context.").format(tokens=exc.prompt_tokens,
                                                n_ctx=exc.n_ctx)) from exc
        with self._lock:
            self._rates.add(result.stats)
            self._steps += 1
        if stream:
            stats = result.stats
            self._final_stats = dataclasses.replace(
                stats, ttft_s=stats.ttft_s + (t_step - self._t_start))
        if guard.cut is not None and not parent.cancelled:
            # A loop cut short, not a stop; the cut is a place in the stream, thinking included.
            return _Step(split_thinking(guard.trimmed("".join(streamed))).answer, "stop")
        return _Step(result.text, result.stats.finish_reason)

    def _average_note(self, note_cap: int) -> float:
        """Tokens a note has taken so far on average (a guess before the first)."""
        if self._steps:
            return self._rates.generated_tokens / self._steps
        return note_cap * 0.75

    def _progress(self, stage: Stage, step: tuple[int, int], *, prompt_left: float,
                  generated_left: float, together: int = 1) -> None:
        """Report where the job is; the time left comes from the speeds measured so far (one
        request's speeds: with `together` parts read at once, the reading goes about that
        many times as fast)."""
        with self._lock:
            self._at = (stage, step, prompt_left, generated_left)
            eta = self._rates.estimate(prompt_left, generated_left)
            if eta is not None and together > 1:
                eta /= together
            self._on_progress(SummaryProgress(stage, step[0], step[1], eta))

    def _progress_within(self, work: _StepWork) -> None:
        """The time left again while a step runs: what it has read and written so far counts
        as done, and its speeds as measured. (A one-part summary said "estimating the time
        left" for its whole run; within a long part the estimate stood still.)"""
        with self._lock:
            if self._at is None or self._together:
                return  # parts read together: reported as each one ends
            stage, step, prompt_left, generated_left = self._at
            read_s, written_s = work.times(time.perf_counter())
            rates = self._rates.with_step(work.read, read_s, work.written, written_s)
            eta = rates.estimate(max(0.0, prompt_left - work.read),
                                 max(0.0, generated_left - work.written))
            self._on_progress(SummaryProgress(stage, step[0], step[1], eta))

    def _stopped(self, plan: Plan, notes: list[PartNote]) -> SummaryResult:
        # What was read so far, shown as the answer: the reader's words around the notes.
        text = "\n\n".join(_("**Part {n}.** {note}").format(n=n.index, note=n.note)
                           for n in notes)
        return self._result(plan, _Step(text, "cancelled"), tuple(notes), 0)

    def _result(self, plan: Plan, step: _Step, parts: tuple[PartNote, ...],
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


def resumable_notes(notes: Sequence[PartNote], text: str) -> tuple[PartNote, ...]:
    """The notes of a stopped summary of `text` that a new run can keep: parts 1, 2, … in
    order, one after another inside the text. They come from the history (or an imported
    file), so anything else means none are kept and the document is read again."""
    end = 0
    for number, note in enumerate(notes, 1):
        if note.index != number or not end <= note.start < note.end <= len(text) \
                or not note.note.strip():
            return ()
        end = note.end
    return tuple(notes)
