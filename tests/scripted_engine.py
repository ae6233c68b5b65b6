"""A scripted engine for tests of the window's behaviour: no llama.cpp, answers in milliseconds.

It keeps the engine protocol's contract where the window can see it: a load reads the GGUF's
header (a missing or broken file fails as llama.cpp's would), a prompt longer than the context
raises `ContextOverflowError`, an answer streams piece by piece, stops at `max_tokens` or at a
cancel (also while it is held), and its stats carry the seed. A token is a word or a punctuation
mark, so tests can work out counts by hand. The answers come from `replies` (texts, or functions
of the messages), then "Answer N." for the Nth; `hold` keeps an answer going until released or
stopped, for tests of Stop and of what the window does meanwhile (after the pieces `hold_at`
numbers; `let_go` lets it on to the next of them). A prompt longer than `prompt_batch` tokens is
reported as read a batch at a time (`on_prompt`); `hold_prompt` holds it after its first batch.

A reply may think first, as reasoning models do: `<think>…</think>` before its answer, streamed
as the real engines stream it, and its result has the thinking apart, counted and timed, by the
engines' own `ThinkingWatch`. `chat_template` stands for the model file's template (one with
Qwen3's `enable_thinking` gives the model its Thinking switch); with the switch off a reply's
thinking is left out, as such a template makes the model answer at once. `warning` comes with
every answer, as a real engine's does when the model's template failed and it used another.

`complete` answers a plain prompt the same way (its words are its tokens), an answer ends before
the first of `params.stop`, and `embed` gives deterministic unit vectors (`EMBEDDING_DIMS`,
from a hash of each text) once `embedding` is set, as an embedding model; until then it refuses,
as a chat model does, and with `embedding` set chats and completions are refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
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
from app.core.engine.base import (
    LoadSpec,
    OnPrompt,
    PromptProgress,
    TemplateSource,
    UnsupportedRequestError,
    answer_seed,
)
from app.core.engine.gguf import GGUFError, read_header
from app.core.engine.states import StateCache
from app.core.engine.thinking import ThinkingWatch, split_thinking

Reply = str | Callable[[Sequence[ChatMessage]], str]
_TOKEN = re.compile(r"\w+|[^\w\s]")
# A piece is a word with the spaces before it; a thinking tag is one of its own, as it is one
# token for the models that write it.
_PIECE = re.compile(r"\s*</?think>|\s*(?:(?!</?think>)\S)+")
MESSAGE_OVERHEAD = 4  # tokens of the template around each message, as a chat template adds
EMBEDDING_DIMS = 8


class ScriptedEngine:
    """`InferenceEngine` for tests; see the module. What it was asked is kept in `asked`,
    `params`, `loads` and `sessions` (plain prompts in `prompts`, texts embedded in
    `embedded`); `load_error` makes the next loads fail with it."""

    def __init__(self, replies: Iterable[Reply] = ()) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.asked: list[list[ChatMessage]] = []
        self.params: list[GenerationParams] = []
        self.loads: list[LoadSpec] = []
        self.sessions: list[str | None] = []
        self.load_error: str | None = None
        self.hold = threading.Event()  # while set, an answer waits after its first piece
        self.hold_at: frozenset[int] = frozenset({0})  # the pieces a held answer waits after
        self.held = 0  # how many times an answer waited
        self._let_go = threading.Event()
        self.hold_prompt = threading.Event()  # while set, a long prompt waits after a batch
        self.prompt_batch = 64  # tokens "read" between prompt reports (llama.cpp: n_batch)
        self.holding = threading.Event()  # set while an answer is held
        self.prompts: list[str] = []
        self.embedded: list[str] = []
        self.embedding = False  # an embedding model: it embeds, and cannot chat
        self.chat_template: str | None = None  # in place of the file's, from the next load
        self.warning = ""  # what each answer says the engine did instead (a template failed)
        self._model: ModelInfo | None = None

    def factory(self, _states: StateCache | None = None) -> ScriptedEngine:
        """For `build_window(paths, engine.factory)`: this engine, whatever the state cache."""
        return self

    @property
    def model(self) -> ModelInfo | None:
        if self._model is not None and self._model.embedding != self.embedding:
            self._model = dataclasses.replace(self._model, embedding=self.embedding)
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
            template_source=(TemplateSource.GGUF if self.chat_template or header.chat_template
                             else TemplateSource.FALLBACK),
            chat_template=self.chat_template or header.chat_template, embedding=self.embedding)
        return self._model

    def unload(self) -> None:
        self._model = None

    def let_go(self) -> None:
        """Let the answer held now go on, to wait again at the next of `hold_at` while
        `hold` stays set."""
        self._let_go.set()

    def count_tokens(self, text: str) -> int:
        if self._model is None:
            raise NoModelLoadedError()
        return len(_TOKEN.findall(text))

    def use_session(self, session: str | None) -> None:
        self.sessions.append(session)

    def stream_chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
                    on_piece: Callable[[str], None], cancel: CancelToken | None = None,
                    on_prompt: OnPrompt | None = None) -> GenerationResult:
        model = self._chat_model()
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
        return self._answer(model, messages, prompt, params, on_piece, cancel=cancel)

    def complete(self, prompt: str, params: GenerationParams, on_piece: Callable[[str], None],
                 cancel: CancelToken | None = None) -> GenerationResult:
        """A plain prompt, answered as a chat of one question is (its replies are asked with
        that question), its words counted as its tokens."""
        model = self._chat_model()
        self.prompts.append(prompt)
        self.params.append(params)
        tokens = self.count_tokens(prompt)
        if tokens >= model.n_ctx:
            raise ContextOverflowError(tokens, model.n_ctx)
        return self._answer(model, [ChatMessage("user", prompt)], tokens, params, on_piece,
                            cancel=cancel)

    def embed(self, texts: Sequence[str], cancel: CancelToken | None = None
              ) -> tuple[list[list[float]], int]:
        """A unit vector of `EMBEDDING_DIMS` per text, the same for the same text; a stop
        returns those made so far."""
        model = self._model
        if model is None:
            raise NoModelLoadedError()
        if not self.embedding:
            raise UnsupportedRequestError(
                f"{model.name} cannot make embeddings: load an embedding model", param="model")
        vectors: list[list[float]] = []
        read = 0
        for text in texts:
            tokens = self.count_tokens(text)
            if tokens > model.n_ctx:
                raise ContextOverflowError(tokens, model.n_ctx)
        for text in texts:
            if cancel is not None and cancel.cancelled:
                break
            self.embedded.append(text)
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            raw = [b - 127.5 for b in digest[:EMBEDDING_DIMS]]
            norm = math.sqrt(sum(x * x for x in raw))
            vectors.append([x / norm for x in raw])
            read += self.count_tokens(text)
        return vectors, read

    def _chat_model(self) -> ModelInfo:
        model = self._model
        if model is None:
            raise NoModelLoadedError()
        if self.embedding:
            raise UnsupportedRequestError(f"{model.name} is an embedding model: it cannot chat",
                                          param="model")
        return model

    def _answer(self, model: ModelInfo, messages: Sequence[ChatMessage], prompt: int,
                params: GenerationParams, on_piece: Callable[[str], None], *,
                cancel: CancelToken | None) -> GenerationResult:
        """The next reply to `messages`, a `prompt` tokens long, streamed piece by piece."""
        answered = len(self.asked) + len(self.prompts)
        reply = self.replies.popleft() if self.replies else f"Answer {answered}."
        text = reply if isinstance(reply, str) else reply(messages)
        if not params.thinking and model.thinking_switch:  # it answers at once
            text = split_thinking(text).answer
        text = _before_stop(text, params.stop)
        room = model.n_ctx - prompt
        limit = min(params.max_tokens or room, room)
        said: list[str] = []
        reason = "stop"
        watch = ThinkingWatch(on_piece)
        for n, piece in enumerate(_PIECE.findall(text)):
            if cancel is not None and cancel.cancelled:
                reason = "cancelled"
                break
            if len(said) >= limit:
                reason = "length"
                break
            said.append(piece)
            watch.piece(piece)
            if n in self.hold_at:
                self._wait_while_held(cancel, self.hold)
        else:
            if cancel is not None and cancel.cancelled:
                reason = "cancelled"
        stats = GenerationStats(prompt, len(said), 0.001, 0.001 * len(said), reason,  # type: ignore[arg-type]
                                seed=answer_seed(params))
        result = watch.finish(GenerationResult("".join(said), stats))
        return dataclasses.replace(result, warning=self.warning) if self.warning else result

    def _wait_while_held(self, cancel: CancelToken | None, hold: threading.Event) -> None:
        if not hold.is_set():
            return
        self.held += 1
        self.holding.set()
        try:
            while hold.is_set() and not self._let_go.is_set():
                if cancel is not None and cancel.wait(0.01):
                    break
                if cancel is None:
                    threading.Event().wait(0.01)
        finally:
            self._let_go.clear()
            self.holding.clear()


def _before_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to the first of the `stop` strings in it, which is left out."""
    ends = [at for at in (text.find(s) for s in stop if s) if at >= 0]
    return text[:min(ends)] if ends else text
