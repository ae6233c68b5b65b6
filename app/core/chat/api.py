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
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

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


class ServedModels:
    """The server's models and engine. `engine_for` runs on the inference thread only.

    `window_engine`: the runner's engine is the window's (True) or the server's own (False).
    `make_engine` builds the server's own engine when the window's is not it.
    """

    def __init__(self, models_dir: Path, settings: SettingsFile, *, window_engine: bool,
                 make_engine: Callable[[], InferenceEngine],
                 extra: Sequence[ModelEntry] = ()) -> None:
        self._models_dir = models_dir
        self._settings = settings
        self._window_engine = window_engine
        self._make_engine = make_engine
        self._extra = tuple(extra)  # `serve --model PATH`: a file outside the library
        self._own: InferenceEngine | None = None
        self._last_used = time.monotonic()
        self._lock = threading.Lock()
        self._headers: dict[Path, tuple[tuple[int, int], tuple[int | None, bool]]] = {}

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

    def idle_for(self) -> float:
        """Seconds since the server's own engine last answered."""
        with self._lock:
            return time.monotonic() - self._last_used

    # -- the inference thread --------------------------------------------------------------

    def engine_for(self, engine: InferenceEngine, entry: ModelEntry) -> InferenceEngine:
        """The engine with `entry` loaded: the window's when it holds it, else the server's,
        loading it there if need be (`ModelLoadError`). `engine` is the runner's."""
        if self._window_engine and engine.model is not None and engine.model.path == entry.path:
            return engine
        own = self._own_engine(engine)
        if own.model is None or own.model.path != entry.path:
            own.load(load_spec(self._settings, entry.path, entry.name))
        self.touch()
        return own

    def unload_if_idle(self, engine: InferenceEngine, idle_s: float) -> bool:
        """Free the server's own model if it has not answered for `idle_s`; whether it did."""
        own = self._own if self._window_engine else engine
        if own is None or own.model is None or self.idle_for() < idle_s:
            return False
        log.info("unloading %s: no request for %.0f minutes", own.model.name, idle_s / 60)
        own.unload()
        self.touch()  # the next check is a whole idle time away
        return True

    def touch(self) -> None:
        """A request of the server's own engine ended now: idle time counts from here."""
        with self._lock:
            self._last_used = time.monotonic()

    def close(self, engine: InferenceEngine) -> None:
        """Free the server's own model (the window's stays)."""
        if self._window_engine and self._own is not None:
            self._own.unload()
            self._own = None

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

    def chat_job(self, entry: ModelEntry, messages: Sequence[ChatMessage],
                 params: GenerationParams, on_piece: OnPiece, cancel: CancelToken
                 ) -> Callable[[InferenceEngine], GenerationResult]:
        """What the inference thread runs for a chat completion."""
        def run(engine: InferenceEngine) -> GenerationResult:
            model = self._ready(engine, entry, cancel)
            return model.stream_chat(messages, self._bounded(model, params), on_piece, cancel)

        return run

    def completion_job(self, entry: ModelEntry, prompt: str, params: GenerationParams,
                       on_piece: OnPiece, cancel: CancelToken
                       ) -> Callable[[InferenceEngine], GenerationResult]:
        """What the inference thread runs for a (legacy) text completion."""
        def run(engine: InferenceEngine) -> GenerationResult:
            model = self._ready(engine, entry, cancel)
            return model.complete(prompt, self._bounded(model, params), on_piece, cancel)

        return run

    def embedding_job(self, entry: ModelEntry, texts: Sequence[str], cancel: CancelToken
                      ) -> Callable[[InferenceEngine], tuple[list[list[float]], int]]:
        def run(engine: InferenceEngine) -> tuple[list[list[float]], int]:
            return self._ready(engine, entry, cancel).embed(texts, cancel)

        return run

    def count_job(self, entry: ModelEntry, text: str, cancel: CancelToken
                  ) -> Callable[[InferenceEngine], int]:
        def run(engine: InferenceEngine) -> int:
            model = self._ready(engine, entry, cancel)
            return count_tokens(model.count_tokens, text, cancel)

        return run

    def _ready(self, engine: InferenceEngine, entry: ModelEntry,
               cancel: CancelToken) -> InferenceEngine:
        if cancel.cancelled:  # the client left while it waited: nothing to load or answer
            raise RequestCancelledError
        model = self.served.engine_for(engine, entry)
        model.use_session(None)  # a one-off: the window's chat is kept aside and comes back
        return model

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
