"""A scripted engine for tests of the window's behaviour: no llama.cpp, answers in milliseconds.

It keeps the engine protocol's contract where the window can see it: a load reads the GGUF's
header (a missing or broken file fails as llama.cpp's would), a prompt longer than the context
raises `ContextOverflowError`, an answer streams piece by piece, stops at `max_tokens` or at a
cancel (also while it is held), and its stats carry the seed. A token is a word or a punctuation
mark, so tests can work out counts by hand. The answers come from `replies` (texts, or functions
of the messages), then "Answer N." for the Nth; `hold` keeps an answer going until released or
stopped, for tests of Stop and of what the window does meanwhile. A prompt longer than
`prompt_batch` tokens is reported as read a batch at a time (`on_prompt`); `hold_prompt` holds
it after its first batch.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from app.core.engine import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    ModelInfo,
    ModelLoadError,
    NoModelLoadedError,
)
from app.core.engine.base import LoadSpec, OnPrompt, PromptProgress, TemplateSource, answer_seed
from app.core.engine.gguf import GGUFError, read_header
from app.core.engine.states import StateCache

Reply = str | Callable[[Sequence[ChatMessage]], str]
_TOKEN = re.compile(r"\w+|[^\w\s]")
_PIECE = re.compile(r"\s*\S+")
MESSAGE_OVERHEAD = 4  # tokens of the template around each message, as a chat template adds


class ScriptedEngine:
    """`InferenceEngine` for tests; see the module. What it was asked is kept in `asked`,
    `params`, `loads` and `sessions`; `load_error` makes the next loads fail with it."""

    def __init__(self, replies: Iterable[Reply] = ()) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.asked: list[list[ChatMessage]] = []
        self.params: list[GenerationParams] = []
        self.loads: list[LoadSpec] = []
        self.sessions: list[str | None] = []
        self.load_error: str | None = None
        self.hold = threading.Event()  # while set, an answer waits after its first piece
        self.hold_prompt = threading.Event()  # while set, a long prompt waits after a batch
        self.prompt_batch = 64  # tokens "read" between prompt reports (llama.cpp: n_batch)
        self.holding = threading.Event()  # set while an answer is held
        self._model: ModelInfo | None = None

    def factory(self, _states: StateCache | None = None) -> ScriptedEngine:
        """For `build_window(paths, engine.factory)`: this engine, whatever the state cache."""
        return self

    @property
    def model(self) -> ModelInfo | None:
        return self._model

    def load(self, spec: LoadSpec) -> ModelInfo:
        self.loads.append(spec)
        self._model = None
        if self.load_error is not None:
            raise ModelLoadError(self.load_error)
        try:
            header = read_header(spec.path)
        except FileNotFoundError:
            raise ModelLoadError(f"Model file not found: {spec.path}") from None
        except (GGUFError, OSError) as exc:
            raise ModelLoadError(f"Cannot load {spec.path.name}: {exc}") from None
        self._model = ModelInfo(
            path=spec.path, name=header.name or spec.path.stem, n_ctx=spec.n_ctx,
            n_ctx_train=header.context_length or spec.n_ctx, n_threads=spec.n_threads or 1,
            n_params=header.n_params, size_bytes=spec.path.stat().st_size,
            chat_format=spec.chat_format or "chatml",
            template_source=(TemplateSource.GGUF if header.chat_template
                             else TemplateSource.FALLBACK),
            chat_template=header.chat_template)
        return self._model

    def unload(self) -> None:
        self._model = None

    def count_tokens(self, text: str) -> int:
        if self._model is None:
            raise NoModelLoadedError()
        return len(_TOKEN.findall(text))

    def use_session(self, session: str | None) -> None:
        self.sessions.append(session)

    def stream_chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
                    on_piece: Callable[[str], None], cancel: CancelToken | None = None,
                    on_prompt: OnPrompt | None = None) -> GenerationResult:
        model = self._model
        if model is None:
            raise NoModelLoadedError()
        self.asked.append(list(messages))
        self.params.append(params)
        prompt = sum(self.count_tokens(m.content) + MESSAGE_OVERHEAD for m in messages)
        if prompt >= model.n_ctx:
            raise ContextOverflowError(prompt, model.n_ctx)
        if on_prompt is not None and prompt > self.prompt_batch:  # read a batch at a time
            for done in range(0, prompt, self.prompt_batch):
                on_prompt(PromptProgress(done, prompt))
                if done == 0:
                    self._wait_while_held(cancel, self.hold_prompt)
                if cancel is not None and cancel.cancelled:
                    return GenerationResult("", GenerationStats(prompt, 0, 0.001, 0.0,
                                                                "cancelled"))
            on_prompt(PromptProgress(prompt, prompt))
        reply = self.replies.popleft() if self.replies else f"Answer {len(self.asked)}."
        text = reply if isinstance(reply, str) else reply(messages)
        room = model.n_ctx - prompt
        limit = min(params.max_tokens or room, room)
        said: list[str] = []
        reason = "stop"
        for n, piece in enumerate(_PIECE.findall(text)):
            if cancel is not None and cancel.cancelled:
                reason = "cancelled"
                break
            if len(said) >= limit:
                reason = "length"
                break
            said.append(piece)
            on_piece(piece)
            if n == 0:
                self._wait_while_held(cancel, self.hold)
        else:
            if cancel is not None and cancel.cancelled:
                reason = "cancelled"
        stats = GenerationStats(prompt, len(said), 0.001, 0.001 * len(said), reason,  # type: ignore[arg-type]
                                seed=answer_seed(params))
        return GenerationResult("".join(said), stats)

    def _wait_while_held(self, cancel: CancelToken | None, hold: threading.Event) -> None:
        if not hold.is_set():
            return
        self.holding.set()
        try:
            while hold.is_set():
                if cancel is not None and cancel.wait(0.01):
                    break
                if cancel is None:
                    threading.Event().wait(0.01)
        finally:
            self.holding.clear()

