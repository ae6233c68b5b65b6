"""One turn of a chat, answered on the engine's thread: documents inline if they fit, else
leaner, else summarized part by part; a history too long is cut by the overflow policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from app.core.chat.context import fit_history
from app.core.documents.summarize import Summarizer
from app.core.documents.summary_options import SummaryOptions
from app.core.documents.summary_progress import SummaryProgress
from app.core.documents.summary_result import PartNote, SummaryResult
from app.core.engine.base import (
    ChatMessage,
    GenerationError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    InferenceEngine,
    NoModelLoadedError,
    OnPiece,
    OnPrompt,
    PromptProgress,
)
from app.core.engine.batched_engine import at_once, parts_engine
from app.core.engine.cancel import CancelToken
from app.core.engine.loop_guard import LoopGuard
from app.core.engine.runner import QueueWait
from app.core.engine.thinking import split_thinking
from app.core.engine.tokens import JobCancelledError, answer_room, fits, history_budget, measure
from app.core.settings.schema import OverflowPolicy
from app.i18n import _


@dataclass(frozen=True)
class TurnRequest:
    """A turn of a chat, with or without documents.

    `messages` has every document quoted inline; `fallback`, the same with the documents of
    earlier turns left out (named only), for when the first does not fit. `text` is the turn's
    own documents' text (`documents_text`), summarized part by part when even the fallback does
    not fit, or always with `summary_only` (`lamplight summarize`); "" when the turn brings no
    documents of its own. `resume`: the notes of a summary that was stopped, which a continued
    one keeps (it reads only the parts after them). `continues`: the last of `messages` is
    a stopped answer the engine goes on from.
    """

    messages: tuple[ChatMessage, ...]
    fallback: tuple[ChatMessage, ...]
    text: str
    name: str
    options: SummaryOptions
    params: GenerationParams
    overflow: OverflowPolicy = "drop-oldest"
    session: str | None = None  # the chat's key for its kept state (`engine.use_session`)
    summary_only: bool = False
    resume: tuple[PartNote, ...] = ()
    # How many of a summary's parts are read at once; 0: as the engine decides
    # (`engine.batched_engine.parts_engine`).
    parallel: int = 1
    continues: bool = False  # `messages` ends with the answer so far, to go on from


# Where a turn is before its answer's text comes: waiting for another front-end's job, reading a
# long prompt, or a summary's steps.
TurnProgress = SummaryProgress | PromptProgress | QueueWait
OnTurnProgress = Callable[[TurnProgress], None]
TurnOutcome = GenerationResult | SummaryResult | Exception  # how one of `answer_turns` ended


def answer_turn(engine: InferenceEngine, request: TurnRequest, *, on_piece: OnPiece,
                on_progress: OnTurnProgress, cancel: CancelToken,
                on_note: Callable[[str], None] | None = None
                ) -> GenerationResult | SummaryResult:
    """Answer a turn of a chat: with every document inline when that fits the context with
    room for the answer; else with only this turn's documents inline; else, for a turn with
    documents (at once with `summary_only`), a part-by-part summary of them (answering the
    question, if there is one); else the history cut by the chat's overflow policy
    (`context.fit_history`). `on_note` is told when a summary reads fewer parts at once than
    asked (memory is short)."""
    model = engine.model
    if model is None:
        raise NoModelLoadedError
    engine.use_session(request.session)
    room = answer_room(request.params, model.n_ctx)
    summary = request.text and (request.summary_only or request.resume)
    inline = () if summary else (request.messages, request.fallback)
    try:
        if request.continues:
            if not fits(engine, request.messages, room, cancel):
                raise GenerationError(_("The chat and the answer so far fill the context: "
                                        "the answer cannot go on. Start a new chat, or raise "
                                        "the context length."))
            return _answer(engine, request.messages, request.params, on_piece, cancel,
                           on_prompt=on_progress)
        for messages in inline:
            if messages and fits(engine, messages, room, cancel):
                return _answer(engine, messages, request.params, on_piece, cancel,
                               on_prompt=on_progress)
        if request.text:
            with parts_engine(engine, request.parallel, on_note) as parts:
                summarizer = Summarizer(parts, request.options, params=request.params,
                                        on_progress=on_progress, on_piece=on_piece,
                                        cancel=cancel)
                return summarizer.run(request.text, request.name, done=request.resume)
        cut = fit_history(request.fallback or request.messages, measure(engine, cancel),
                          history_budget(model.n_ctx, room), request.overflow)
    except JobCancelledError:  # stopped while the prompt was being measured
        return GenerationResult("", GenerationStats(0, 0, 0.0, 0.0, "cancelled"))
    return _answer(engine, cut, request.params, on_piece, cancel, on_prompt=on_progress)


def answer_turns(engine: InferenceEngine, requests: Sequence[TurnRequest], *,
                 on_piece: Callable[[int, str], None],
                 on_progress: Callable[[int, TurnProgress], None], cancel: CancelToken,
                 on_done: Callable[[int, TurnOutcome], None] | None = None,
                 on_note: Callable[[str], None] | None = None) -> list[TurnOutcome]:
    """Answer several turns at once (the versions of an answer that Regenerate ×N asks for),
    each as `answer_turn` answers it; the callbacks and the results carry each request's index
    in `requests`. `on_done` is told as each one ends, with its result or the exception it
    raised (an `Exception` is returned in its place, never raised).

    On the thread that owns `engine`. A model loaded here answers them together through
    `at_once` (a second context on the same load; the chat's kept state is not touched); an
    engine that takes several requests (a server elsewhere: `model.parallel`) is asked from one
    thread per request, as many at a time; any other one after another, here. The callbacks
    come from those threads."""
    outcomes: list[TurnOutcome | None] = [None] * len(requests)

    def answer(shared: InferenceEngine, index: int) -> None:
        try:
            outcome: TurnOutcome = answer_turn(
                shared, requests[index], cancel=cancel,
                on_piece=lambda text: on_piece(index, text),
                on_progress=lambda progress: on_progress(index, progress))
        except Exception as exc:
            outcome = exc
        outcomes[index] = outcome
        if on_done is not None:
            on_done(index, outcome)

    with at_once(engine, len(requests), on_note) as shared:
        model = shared.model
        if model is None or model.parallel <= 1 or len(requests) <= 1:
            for index in range(len(requests)):
                answer(shared, index)
        else:  # as the Summarizer reads parts together: a pool of as many threads
            with ThreadPoolExecutor(min(model.parallel, len(requests)),
                                    thread_name_prefix="turn") as pool:
                list(pool.map(lambda index: answer(shared, index), range(len(requests))))
    ended = [outcome for outcome in outcomes if outcome is not None]
    assert len(ended) == len(requests)  # every thread has ended
    return ended


def default_answer_limit(n_ctx: int) -> int:
    """The longest answer when the user set no limit: half the context, at least 256 tokens
    and at most 8,192. A model that never stops (a base model in a chat) ends there instead of
    filling the context; a long answer still fits."""
    return min(8192, max(256, n_ctx // 2))


def _answer(engine: InferenceEngine, messages: Sequence[ChatMessage], params: GenerationParams,
            on_piece: OnPiece, cancel: CancelToken, *,
            on_prompt: OnPrompt | None = None) -> GenerationResult:
    """Stream an answer, at most `params.max_tokens` long (else `default_answer_limit`), and
    stopped when it goes round in circles: then its repeats are cut and its finish is
    "loop"."""
    model = engine.model
    if params.max_tokens is None and model is not None:
        params = dataclasses.replace(params, max_tokens=default_answer_limit(model.n_ctx))
    answer_cancel = CancelToken(parent=cancel)
    guard = LoopGuard(answer_cancel, LoopGuard.ANSWERS)

    streamed: list[str] = []

    def piece(text: str) -> None:
        guard.add(text)
        streamed.append(text)
        on_piece(text)

    result = engine.stream_chat(messages, params, piece, answer_cancel, on_prompt=on_prompt)
    if guard.cut is None or cancel.cancelled:
        return result
    # The cut is a place in the stream, thinking and its tags included: split what is kept.
    kept = split_thinking(guard.trimmed("".join(streamed)))
    stats = dataclasses.replace(result.stats, finish_reason="loop")
    return dataclasses.replace(result, text=kept.answer, thinking=kept.thinking, stats=stats)
