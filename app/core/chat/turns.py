"""One turn of a chat, answered on the engine's thread: documents inline if they fit, else
leaner, else summarized part by part; a history too long is cut by the overflow policy."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.chat.context import fit_history
from app.core.documents.summarize import Summarizer
from app.core.documents.summary_options import SummaryOptions
from app.core.documents.summary_progress import OnProgress
from app.core.documents.summary_result import SummaryResult
from app.core.engine.base import (
    ChatMessage,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    InferenceEngine,
    NoModelLoadedError,
    OnPiece,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.tokens import JobCancelledError, answer_room, fits, history_budget, measure
from app.core.settings.schema import OverflowPolicy


@dataclass(frozen=True)
class TurnRequest:
    """A turn of a chat, with or without documents.

    `messages` has every document quoted inline; `fallback`, the same with the documents of
    earlier turns left out (named only), for when the first does not fit. `text` is the turn's
    own documents' text (`documents_text`), summarized part by part when even the fallback does
    not fit; "" when the turn brings no documents of its own.
    """

    messages: tuple[ChatMessage, ...]
    fallback: tuple[ChatMessage, ...]
    text: str
    name: str
    options: SummaryOptions
    params: GenerationParams
    overflow: OverflowPolicy = "drop-oldest"
    session: str | None = None  # the chat's key for its kept state (`engine.use_session`)


def answer_turn(engine: InferenceEngine, request: TurnRequest, *, on_piece: OnPiece,
                on_progress: OnProgress, cancel: CancelToken) -> GenerationResult | SummaryResult:
    """Answer a turn of a chat: with every document inline when that fits the context with
    room for the answer; else with only this turn's documents inline; else, for a turn with
    documents, a part-by-part summary of them (answering the question, if there is one); else
    the history cut by the chat's overflow policy (`context.fit_history`)."""
    model = engine.model
    if model is None:
        raise NoModelLoadedError
    engine.use_session(request.session)
    room = answer_room(request.params, model.n_ctx)
    try:
        for messages in (request.messages, request.fallback):
            if messages and fits(engine, messages, room, cancel):
                return engine.stream_chat(messages, request.params, on_piece, cancel)
        if request.text:
            summarizer = Summarizer(engine, request.options, params=request.params,
                                    on_progress=on_progress, on_piece=on_piece, cancel=cancel)
            return summarizer.run(request.text, request.name)
        cut = fit_history(request.fallback or request.messages, measure(engine, cancel),
                          history_budget(model.n_ctx, room), request.overflow)
    except JobCancelledError:  # stopped while the prompt was being measured
        return GenerationResult("", GenerationStats(0, 0, 0.0, 0.0, "cancelled"))
    return engine.stream_chat(cut, request.params, on_piece, cancel)
