"""The chat service as the local server uses it: which models it offers, how a request is
answered on the inference thread, and, when the user wants, the chat kept in the history.

The HTTP layer (`app/server`) only turns JSON into these calls and their results back into
JSON: it never builds an engine request or writes the store itself.

Models: a request names one the library lists (never a path: nothing in a request may name a
file on disk). In the window, a request for the window's model is answered by the window's own
engine (the chat it holds is kept aside and comes back, `use_session`); another model is loaded
into a second engine, the server's, on the same inference thread, replacing the server's last
one. Run alone (`lamplight serve`) the server's engine is the only one. The server's model is
freed after `server.idle_unload_min` minutes without a request.

Answering several at once (`server.parallel` above 1): chats, completions and token counts go to
a batched engine of the server's own (`make_batched`; in the window a second load of the model,
its weight pages shared with the window's through mmap), whatever model the window holds, so
the window's own chat never waits behind them. Only finding and loading the model runs on the
inference thread; the answer itself (`Answer.run`) goes to a thread of its own, and is counted
as in flight until it returns: a request for another model waits for those answers to end
before the engine is loaded again, and the idle unload skips while any runs. Embeddings, which
a batched engine does not make, keep the single path.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore, StoreError
from app.core.chat.titles import fallback_title
from app.core.chat.turns import default_answer_limit
from app.core.engine.base import (
    ChatMessage,
    GenerationParams,
    GenerationResult,
    InferenceEngine,
    OnPiece,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.embedding import is_embedding_model
from app.core.engine.gguf import GGUFError, read_header
from app.core.engine.tokens import count_tokens
from app.core.models.library import ModelEntry, ModelNotFoundError, list_models
from app.core.models.names import signature_of
from app.core.settings.file import SettingsFile
from app.core.settings.resolve import generation_params, load_options, load_spec

log = logging.getLogger(__name__)
API_SOURCE = "api"  # `Conversation.source` of a chat asked through the server
T = TypeVar("T")
_CANCEL_POLL_S = 0.1  # how often a model switch waiting for answers looks at its client


class RequestCancelledError(Exception):
    """The client went away before its request reached the engine."""


@dataclass(frozen=True)
class OfferedModel:
    """A model as `GET /v1/models` lists it."""

    id: str
    owned_by: str
    context_length: int
    created: int
    embedding: bool


class Answer(Generic[T]):
    """A request whose engine is ready (found and loaded on the inference thread): `run` gives
    its answer. `concurrent`: the engine answers several at once, so `run` may go to a thread
    of its own; the answer is in flight for `ServedModels` until `run` returns or `drop` says
    it never will, and the engine is not loaded again or unloaded under it meanwhile."""

    def __init__(self, work: Callable[[], T], release: Callable[[], None] | None = None
                 ) -> None:
        self._work = work
        self._release = release
        self.concurrent = release is not None

    def run(self) -> T:
        try:
            return self._work()
        finally:
            self.drop()

    def drop(self) -> None:
        """The answer will not run (or has run): no longer in flight. Safe to repeat."""
        release, self._release = self._release, None
        if release is not None:
            release()


class ServedModels:
    """The server's models and engines. `engine_for` runs on the inference thread only.

    `window_engine`: the runner's engine is the window's (True) or the server's own (False).
    `make_engine` builds the server's own engine when the window's is not it. `make_batched`,
    when given, builds the engine that answers several chats at once (see the module), once;
    `on_note` is told why it makes room for fewer than asked (memory is short), after a load.
    """

    def __init__(self, models_dir: Path, settings: SettingsFile, *, window_engine: bool,
                 make_engine: Callable[[], InferenceEngine],
                 extra: Sequence[ModelEntry] = (),
                 make_batched: Callable[[], InferenceEngine] | None = None,
                 on_note: Callable[[str], None] | None = None) -> None:
        self._models_dir = models_dir
        self._settings = settings
        self._window_engine = window_engine
        self._make_engine = make_engine
        self._make_batched = make_batched
        self._on_note = on_note
        self._extra = tuple(extra)  # `serve --model PATH`: a file outside the library
        self._own: InferenceEngine | None = None
        self._batched: InferenceEngine | None = None
        self._last_used = time.monotonic()
        self._lock = threading.Lock()
        self._answering = 0  # answers in flight off the inference thread (`hold`)
        self._quiet = threading.Condition(self._lock)  # notified when the last of them ends
        self._headers: dict[Path, tuple[tuple[int, int], tuple[int | None, bool]]] = {}

    @property
    def batched(self) -> bool:
        """Chats are answered several at once (`make_batched` was given)."""
        return self._make_batched is not None

    # -- any thread ------------------------------------------------------------------------

    def entries(self) -> list[ModelEntry]:
        """The installed models, `serve --model`'s first: a client that takes the first one
        listed gets the model the server was started with, already loaded."""
        chosen = {e.path for e in self._extra}
        listed = list_models(self._models_dir)
        paths = {e.path for e in listed}
        first = [e for e in listed if e.path in chosen]
        first += [e for e in self._extra if e.path not in paths]
        return first + [e for e in listed if e.path not in chosen]

    def find(self, name: str) -> ModelEntry:
        """The model called `name` (its id in `/v1/models`); `ModelNotFoundError` if none."""
        entries = self.entries()
        for entry in entries:
            if name == entry.name:
                return entry
        for entry in entries:  # without regard to case; or by the name the window shows
            if name.lower() in (entry.name.lower(), entry.display_name.lower()):
                return entry
        raise ModelNotFoundError(f"The model '{name}' does not exist: GET /v1/models lists "
                                 "those installed.")

    def offered(self) -> list[OfferedModel]:
        """Every installed model, as `/v1/models` lists it."""
        offered = []
        for entry in self.entries():
            signature = signature_of(entry.path)
            if signature is None:
                continue
            try:
                facts = self._facts(entry.path, signature)
            except (GGUFError, OSError):
                continue  # not loadable: not offered
            n_ctx = int(load_options(self._settings, entry.name)["n_ctx"])
            train_ctx, embedding = facts
            offered.append(OfferedModel(
                id=entry.name, owned_by="lamplight" if entry.builtin else "local",
                context_length=min(n_ctx, train_ctx) if train_ctx else n_ctx,
                created=signature[1] // 1_000_000_000, embedding=embedding))
        return offered

    def _facts(self, path: Path, signature: tuple[int, int]) -> tuple[int | None, bool]:
        """A file's training context and whether it embeds, read from its header once while
        the file stays the same (a client may list the models before every request)."""
        known = self._headers.get(path)
        if known is None or known[0] != signature:
            header = read_header(path)
            known = signature, (header.context_length, is_embedding_model(header))
            self._headers[path] = known
        return known[1]

    def _embeds(self, entry: ModelEntry) -> bool:
        """`entry` is an embedding model (it cannot chat, and a batched engine cannot load it);
        a file that cannot be read is left for the load to say why."""
        signature = signature_of(entry.path)
        try:
            return signature is not None and self._facts(entry.path, signature)[1]
        except (GGUFError, OSError):
            return False

    def idle_for(self) -> float:
        """Seconds since the server's own engine last answered."""
        with self._lock:
            return time.monotonic() - self._last_used

    @property
    def answering(self) -> int:
        """Answers in flight off the inference thread."""
        with self._lock:
            return self._answering

    def hold(self) -> Callable[[], None]:
        """One more answer in flight, until the call returned is made (once). Taken on the
        inference thread, right after `engine_for`, so that no load comes between."""
        with self._lock:
            self._answering += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._answering -= 1
                if not self._answering:
                    self._quiet.notify_all()

        return release

    # -- the inference thread --------------------------------------------------------------

    def engine_for(self, engine: InferenceEngine, entry: ModelEntry,
                   cancel: CancelToken | None = None, *, single: bool = False
                   ) -> InferenceEngine:
        """The engine with `entry` loaded: the batched one when there is one (not for
        `single`, nor for an embedding model), else the window's when it holds it, else the
        server's, loading it there if need be (`ModelLoadError`). `engine` is the runner's. A
        load of the batched engine first waits for its answers in flight to end
        (`RequestCancelledError` if `cancel` is set meanwhile)."""
        if self._make_batched is not None and not single and not self._embeds(entry):
            own = self._batched_engine()
            if own.model is None or own.model.path != entry.path:
                self._wait_for_answers(cancel)
                own.load(load_spec(self._settings, entry.path, entry.name))
                note = str(getattr(own, "note", ""))
                if note:
                    log.warning("%s", note)
                    if self._on_note is not None:
                        self._on_note(note)
            self.touch()
            return own
        if self._window_engine and engine.model is not None and engine.model.path == entry.path:
            return engine
        own = self._own_engine(engine)
        if own.model is None or own.model.path != entry.path:
            own.load(load_spec(self._settings, entry.path, entry.name))
        self.touch()
        return own

    def unload_if_idle(self, engine: InferenceEngine, idle_s: float) -> bool:
        """Free the server's own models if they have not answered for `idle_s`, and none is
        answering now; whether it did."""
        single = self._own if self._window_engine else engine
        loaded = [e for e in (self._batched, single) if e is not None and e.model is not None]
        if not loaded or self.answering or self.idle_for() < idle_s:
            return False  # answers start on this thread only: none can start before the unload
        for own in loaded:
            log.info("unloading %s: no request for %.0f minutes",
                     own.model.name if own.model else "", idle_s / 60)
            own.unload()
        self.touch()  # the next check is a whole idle time away
        return True

    def touch(self) -> None:
        """A request of the server's own engine ended now: idle time counts from here."""
        with self._lock:
            self._last_used = time.monotonic()

    def close(self, engine: InferenceEngine, wait_s: float = 5.0) -> None:
        """Free the server's own models (the window's stays; alone, the runner's engine is
        freed with its thread). Answers still in flight (told to stop) get `wait_s` to end;
        the batched engine ends those left, cancelled, as it unloads."""
        if self._batched is not None:
            with self._lock:
                self._quiet.wait_for(lambda: not self._answering, wait_s)
            self._batched.unload()
            self._batched = None
        if self._window_engine and self._own is not None:
            self._own.unload()
            self._own = None

    def _wait_for_answers(self, cancel: CancelToken | None) -> None:
        """Until no answer is in flight: the engine is about to be loaded again."""
        with self._lock:
            if self._answering:
                log.info("a request for another model waits for %d answers to end",
                         self._answering)
            while self._answering:
                if cancel is not None and cancel.cancelled:
                    raise RequestCancelledError
                self._quiet.wait(_CANCEL_POLL_S)

    def _batched_engine(self) -> InferenceEngine:
        if self._batched is None:
            assert self._make_batched is not None
            self._batched = self._make_batched()
        return self._batched

    def _own_engine(self, engine: InferenceEngine) -> InferenceEngine:
        if not self._window_engine:
            return engine
        if self._own is None:
            self._own = self._make_engine()
        return self._own


class ApiService:
    """Answers the server's requests through `ServedModels`, and saves them as chats when
    `server.save_chats` is on."""

    def __init__(self, served: ServedModels, settings: SettingsFile, data_dir: Path) -> None:
        self.served = served
        self.settings = settings
        self._data_dir = data_dir

    def params(self, entry: ModelEntry, **given: object) -> GenerationParams:
        """The model's sampling settings (the user's, over the model's recommended), with the
        request's own values (those not None) over them. `max_tokens` None gives the answer
        `default_answer_limit` when it runs (`_bounded`), not the user's window setting."""
        base = generation_params(self.settings, entry.name, base=entry.default_params)
        chosen = {k: v for k, v in given.items() if v is not None}
        chosen.setdefault("max_tokens", None)
        return dataclasses.replace(base, **chosen)  # type: ignore[arg-type]

    # A job runs on the inference thread: it finds and loads the model there and returns the
    # `Answer`, which runs there too, or on a thread of its own for an engine that answers
    # several at once.

    def chat_job(self, entry: ModelEntry, messages: Sequence[ChatMessage],
                 params: GenerationParams, on_piece: OnPiece, cancel: CancelToken
                 ) -> Callable[[InferenceEngine], Answer[GenerationResult]]:
        """What the inference thread runs for a chat completion."""
        def run(engine: InferenceEngine) -> Answer[GenerationResult]:
            model = self._ready(engine, entry, cancel)
            return self._answer(model, lambda: model.stream_chat(
                messages, self._bounded(model, params), on_piece, cancel))

        return run

    def completion_job(self, entry: ModelEntry, prompt: str, params: GenerationParams,
                       on_piece: OnPiece, cancel: CancelToken
                       ) -> Callable[[InferenceEngine], Answer[GenerationResult]]:
        """What the inference thread runs for a (legacy) text completion."""
        def run(engine: InferenceEngine) -> Answer[GenerationResult]:
            model = self._ready(engine, entry, cancel)
            return self._answer(model, lambda: model.complete(
                prompt, self._bounded(model, params), on_piece, cancel))

        return run

    def embedding_job(self, entry: ModelEntry, texts: Sequence[str], cancel: CancelToken
                      ) -> Callable[[InferenceEngine], Answer[tuple[list[list[float]], int]]]:
        """Embeddings: always the single path (a batched engine makes none)."""
        def run(engine: InferenceEngine) -> Answer[tuple[list[list[float]], int]]:
            model = self._ready(engine, entry, cancel, single=True)
            return Answer(lambda: model.embed(texts, cancel))

        return run

    def count_job(self, entry: ModelEntry, text: str, cancel: CancelToken
                  ) -> Callable[[InferenceEngine], Answer[int]]:
        def run(engine: InferenceEngine) -> Answer[int]:
            model = self._ready(engine, entry, cancel)
            return self._answer(model, lambda: count_tokens(model.count_tokens, text, cancel))

        return run

    def _ready(self, engine: InferenceEngine, entry: ModelEntry, cancel: CancelToken, *,
               single: bool = False) -> InferenceEngine:
        if cancel.cancelled:  # the client left while it waited: nothing to load or answer
            raise RequestCancelledError
        model = self.served.engine_for(engine, entry, cancel, single=single)
        model.use_session(None)  # a one-off: the window's chat is kept aside and comes back
        return model

    def _answer(self, model: InferenceEngine, work: Callable[[], T]) -> Answer[T]:
        """`work` as the request's answer: concurrent, and held in flight, when `model`
        answers several at once."""
        if model.model is not None and model.model.parallel > 1:
            return Answer(work, self.served.hold())
        return Answer(work)

    @staticmethod
    def _bounded(model: InferenceEngine, params: GenerationParams) -> GenerationParams:
        """A request without `max_tokens` ends where a chat's answer would
        (`default_answer_limit`: half the context, at most 8,192), not only when the context is
        full: the window's next answer waits for it."""
        if params.max_tokens is None and model.model is not None:
            return dataclasses.replace(params,
                                       max_tokens=default_answer_limit(model.model.n_ctx))
        return params

    # -- history ---------------------------------------------------------------------------

    @property
    def saving(self) -> bool:
        return bool(self.settings.get("server.save_chats"))

    def save(self, entry: ModelEntry, messages: Sequence[ChatMessage],
             result: GenerationResult) -> int | None:
        """Keep the exchange as a chat of the API group, when the user turned that on; its
        id, or None. A history that cannot be written is logged: the answer was given."""
        if not self.saving:
            return None
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [m for m in messages if m.role in ("user", "assistant") and m.content]
        if not any(m.role == "user" for m in turns):
            return None
        answer = Message(role="assistant", content=result.text, stats=result.stats,
                         model_name=entry.display_name, thinking=result.thinking)
        chat = Conversation.of(*(Message(role=m.role, content=m.content) for m in turns),
                               answer, system_prompt=system, model=entry.display_name,
                               model_path=str(entry.path), source=API_SOURCE)
        first = next(m.content for m in turns if m.role == "user")
        chat.title = fallback_title(first)
        try:
            store = ConversationStore.open_in(self._data_dir)
        except StoreError as exc:
            log.warning("an API chat is not saved: %s", exc)
            return None
        try:
            return store.create(chat)
        except StoreError as exc:
            log.warning("an API chat is not saved: %s", exc)
            return None
        finally:
            store.close()
