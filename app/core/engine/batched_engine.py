"""The engine protocol over `BatchedDecoder`: several answers at once from one model load.

`BatchedEngine` answers as `LlamaCppEngine` does — the same chat templates rendered within the
same bounds, the same fallback format, Gemma's system prompt, tools and their forced-call
grammar, JSON schemas, thinking, an answer continued — because it *is* one: the prompt is
rendered by llama-cpp-python's chat handler exactly as on the single path, and only the last
step, `Llama.create_completion`, is taken by a per-request stand-in that hands the prompt's
tokens to the decoder and streams back what it writes. The `Llama` object holds the weights
(with a context of a few hundred tokens that never decodes: the tokenizer and templates need
the object); the decoder makes its own context of N sequences on the same model.

Unlike the single path, `stream_chat`, `complete` and `count_tokens` may run on several
threads at once, up to `model.parallel` of them decoded together (more wait for a slot), as
`RemoteEngine` allows; `load` and `unload` come from the thread that owns the engine. The
decoder is stepped by a thread of its own (named "batched"), which every llama.cpp call on the
decoder's context is made from.

What the single path has and this one has not: saved states and prefix reuse (each request
reads its whole prompt), the thread tuner (the counts it loads with stay), the abort callback
(a Stop is seen between steps of at most `n_batch` tokens) and embeddings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from app.core.engine import native
from app.core.engine.base import (
    GPU_LAYERS_AUTO,
    EngineError,
    GenerationError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    InferenceEngine,
    LoadSpec,
    ModelInfo,
    ModelLoadError,
    NoModelLoadedError,
    OnPiece,
    OnPrompt,
    PromptProgress,
    Tool,
    UnsupportedRequestError,
    answer_seed,
)
from app.core.engine.batched import BatchedDecoder, SequenceRequest
from app.core.engine.cancel import CancelToken
from app.core.engine.fit import Shape, available_memory, sequences_that_fit
from app.core.engine.llama_cpp_backend import (
    LlamaCppEngine,
    cache_type_of,
    context_size,
    read_model_header,
    thread_counts,
)
from app.core.engine.offload import auto_gpu_layers
from app.core.engine.switch import EngineSwitch
from app.core.engine.tool_calls import ToolCallFilter
from app.i18n import _

log = logging.getLogger(__name__)

# The `Llama` object's own context: it renders and tokenizes, never decodes (one micro-batch of
# a few tokens: its logits buffer is n_vocab floats a token, 1 MB a token for Gemma 3).
_HOLDER_CTX = 256
_HOLDER_BATCH = 8
_END = object()  # a request's stream has ended
_DONE_WAIT_S = 0.5  # how often a waiting request looks whether the decoder still runs
MAX_PARALLEL = 64
AUTO_GPU_PARTS = 4  # a summary's parts read at once on a GPU when the setting is "auto"


class BatchedEngine(LlamaCppEngine):
    """`n_seq` answers at once; see the module. `load` may lower `n_seq` to what memory holds
    (`note` then says so, in the reader's language)."""

    def __init__(self, n_seq: int) -> None:
        if not 1 <= n_seq <= MAX_PARALLEL:
            raise ValueError(f"between 1 and {MAX_PARALLEL} sequences")
        super().__init__(states=None)
        self.n_seq = n_seq
        self.note = ""  # why fewer sequences than asked were made room for
        self._decoder: BatchedDecoder | None = None
        self._thread: threading.Thread | None = None
        self._stop = CancelToken()
        self._borrowed = False  # the model is another engine's (`sharing`): not freed here

    # -- loading (the owner's thread) ------------------------------------------------------

    def load(self, spec: LoadSpec) -> ModelInfo:
        self.unload()
        header = read_model_header(spec.path)
        n_ctx_seq = context_size(spec, header)
        n_gpu_layers = spec.n_gpu_layers
        if n_gpu_layers == GPU_LAYERS_AUTO:  # the GPU fits the weights and all N caches
            n_gpu_layers = auto_gpu_layers(spec.path, n_ctx_seq * self.n_seq)
        n_seq, self.note = self._sequences(spec, header, n_ctx_seq,
                                           on_gpu=n_gpu_layers != 0)
        n_threads, n_threads_batch, _load = thread_counts(spec)
        holder = dataclasses.replace(spec, n_ctx=_HOLDER_CTX, n_batch=_HOLDER_BATCH,
                                     n_gpu_layers=n_gpu_layers, n_threads=n_threads,
                                     n_threads_batch=n_threads_batch)
        info = super().load(holder)
        if info.embedding:
            name = info.name
            self.unload()
            raise UnsupportedRequestError(f"{name} is an embedding model: it cannot chat",
                                          param="model")
        try:
            return self._start(spec, info, n_seq, n_ctx_seq, (n_threads, n_threads_batch))
        except ModelLoadError:
            super().unload()
            raise

    @classmethod
    def sharing(cls, engine: LlamaCppEngine, n_seq: int) -> BatchedEngine:
        """A batched engine on the model `engine` has loaded, with no second load: only a
        context of `n_seq` sequences of `engine`'s context length each is made (fewer when
        memory is short), freed by `unload`, which leaves `engine`'s model to it. `engine`
        must not answer while this one is in use (its own context is not touched, but its
        `Llama` renders and tokenizes for both). Raises `ModelLoadError` when the context
        cannot be made, `NoModelLoadedError` when `engine` holds no model."""
        model, spec, llm = engine.model, engine.spec, engine._llm
        if model is None or spec is None or llm is None:
            raise NoModelLoadedError
        batched = cls(n_seq)
        n_seq, batched.note = batched._sequences(spec, read_model_header(spec.path), model.n_ctx,
                                                 on_gpu=model.gpu_offload)
        batched._llm, batched._borrowed = llm, True
        batched._opens = engine._opens
        try:
            batched._start(spec, model, n_seq, model.n_ctx,
                           (model.n_threads, model.n_threads_batch or model.n_threads))
        except ModelLoadError:
            batched._llm = None
            raise
        return batched

    def _start(self, spec: LoadSpec, info: ModelInfo, n_seq: int, n_ctx_seq: int,
               n_threads: tuple[int, int]) -> ModelInfo:
        """Make the decoder's context on the loaded model and start its thread."""
        decoder = BatchedDecoder.on_model(
            native.load_llama_cpp(), self._llm._model.model, n_seq=n_seq, n_ctx_seq=n_ctx_seq,
            n_batch=spec.n_batch, n_threads=n_threads, flash_attn=spec.flash_attn,
            cache_type=cache_type_of(spec))
        self._decoder = decoder
        self._stop = CancelToken()
        self._thread = threading.Thread(target=self._run, args=(decoder, self._stop),
                                        name="batched", daemon=True)
        self._thread.start()
        self._model = dataclasses.replace(info, n_ctx=decoder.n_ctx_seq, parallel=decoder.n_seq,
                                          threads_adapt=False)
        self.spec = spec
        log.info("batched engine: %s, %d answers at once, %d tokens each%s", info.name,
                 decoder.n_seq, decoder.n_ctx_seq, f" ({self.note})" if self.note else "")
        return self._model

    def _sequences(self, spec: LoadSpec, header: Any, n_ctx_seq: int, *, on_gpu: bool
                   ) -> tuple[int, str]:
        """How many sequences to make room for: `n_seq`, or fewer when their KV caches would
        not fit the free memory (on the CPU: a GPU's own fit is `auto_gpu_layers`'); and the
        line that says so."""
        if on_gpu or self.n_seq == 1:  # (GPU layers as resolved: "auto" may mean none)
            return self.n_seq, ""
        shape = Shape.from_header(header, spec.path.stat().st_size)
        fits = sequences_that_fit(shape, n_ctx_seq, self.n_seq, available_memory())
        if fits >= self.n_seq:
            return self.n_seq, ""
        return fits, _("Memory is short for {asked} answers at once with a context of {n_ctx} "
                       "tokens each: {n} at once instead.").format(
                           asked=self.n_seq, n_ctx=n_ctx_seq, n=fits)

    def unload(self) -> None:
        thread, decoder = self._thread, self._decoder
        self._thread = self._decoder = None
        if thread is not None:
            self._stop.cancel()
            thread.join()
        if decoder is not None:
            decoder.close()  # every request still there ends, cancelled
        if self._borrowed:  # the model and its `Llama` stay with the engine they came from
            self._llm = self._model = self.spec = None
            self._borrowed = False
            return
        super().unload()

    @staticmethod
    def _run(decoder: BatchedDecoder, stop: CancelToken) -> None:
        """The decoder's thread: steps while there is work, until `unload`."""
        while not stop.cancelled:
            try:
                decoder.run(stop)
            except GenerationError:  # every sequence of the step has ended with it
                log.exception("the batched decoder failed; the requests then running ended")
            except Exception:
                log.exception("the batched decoder stopped")
                raise

    # -- any thread ------------------------------------------------------------------------

    def use_session(self, session: str | None) -> None:
        """Every request reads its whole prompt: nothing is kept between them."""

    def embed(self, texts: Sequence[str], cancel: CancelToken | None = None
              ) -> tuple[list[list[float]], int]:
        raise UnsupportedRequestError(
            f"{self._model.name if self._model else 'This model'} answers several requests at "
            "once and makes no embeddings", param="model")

    def _chat_model(self) -> Any:
        """A stand-in for the loaded `Llama`, for one request: the chat handler renders the
        prompt with the real one and hands it to the stand-in's `create_completion`."""
        llm = super()._chat_model()
        decoder = self._decoder
        if decoder is None:
            raise NoModelLoadedError
        return _Request(llm, decoder)

    def _answer(self, llm: Any, params: GenerationParams, start: Any, on_piece: OnPiece,
                cancel: CancelToken | None, *, text_of: Callable[[dict[str, Any]], str | None],
                on_prompt: OnPrompt | None = None, tools: Sequence[Tool] = ()
                ) -> GenerationResult:
        """As the single path's: the stream that `start` opens, read on this thread."""
        from app.core.engine.template_guard import RenderCancelled  # loaded with the model

        grammar = self._grammar(params, tools)
        cancel = cancel or CancelToken()
        request: _Request = llm
        request.cancel = CancelToken(parent=cancel)
        request.on_prompt = on_prompt
        calls = ToolCallFilter(on_piece, [t.name for t in tools]) if tools else None
        emit = calls.feed if calls else on_piece
        sampling = {
            "max_tokens": params.max_tokens or 0,  # 0: until its context share is full
            "temperature": params.temperature, "top_p": params.top_p, "top_k": params.top_k,
            "min_p": params.min_p, "repeat_penalty": params.repeat_penalty,
            "presence_penalty": params.presence_penalty,
            "frequency_penalty": params.frequency_penalty,
            "stop": list(params.stop), "seed": answer_seed(params), "grammar": grammar,
        }
        stream: Iterator[dict[str, Any]] | None = None
        try:
            stream = start(sampling, cancel)
            for chunk in stream:
                text = text_of(chunk["choices"][0])
                if text:
                    emit(text)
                if cancel.cancelled:
                    break
        except RenderCancelled:
            pass
        except EngineError:
            raise
        except ValueError as exc:  # the template refused the messages
            raise UnsupportedRequestError(f"The model's chat template refused the messages: "
                                          f"{exc}", param="messages") from None
        except Exception as exc:
            raise GenerationError(_("The model could not answer: {reason}").format(
                reason=exc)) from exc
        finally:
            if stream is not None:
                stream.close()  # type: ignore[attr-defined]
            request.cancel.cancel()  # a request left early leaves the batch
        if not request.added:  # stopped before its prompt reached the decoder (while the
            # template rendered it): nothing to wait for
            return GenerationResult("", GenerationStats(0, 0, 0.0, 0.0, "cancelled"))
        result = request.wait()
        if cancel.cancelled and result.stats.finish_reason != "cancelled":
            result = dataclasses.replace(result, stats=dataclasses.replace(
                result.stats, finish_reason="cancelled"))
        return result if calls is None else _with_calls(result, calls)


def _with_calls(result: GenerationResult, calls: ToolCallFilter) -> GenerationResult:
    """The answer with the tool calls parsed out of its text (finish "tool_calls")."""
    text, made = calls.finish(parse=result.stats.finish_reason != "cancelled")
    stats = result.stats
    if made and stats.finish_reason == "stop":
        stats = dataclasses.replace(stats, finish_reason="tool_calls")
    return dataclasses.replace(result, text=text, stats=stats, tool_calls=made)


class _Request:
    """One request's stand-in for the `Llama` object: everything is the real one's but
    `create_completion`, which queues the prompt in the decoder and streams what comes back
    as llama-cpp-python's completion chunks."""

    def __init__(self, llm: Any, decoder: BatchedDecoder) -> None:
        self._llm = llm
        self._decoder = decoder
        self.cancel = CancelToken()
        self.on_prompt: OnPrompt | None = None
        self._result: GenerationResult | None = None
        self._items: queue.Queue[object] = queue.Queue()
        self.added = False  # the decoder has the request (its result will come)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)

    def create_completion(self, prompt: str | list[int], *, stream: bool = False,
                          max_tokens: int | None = 16, temperature: float = 0.8,
                          top_p: float = 0.95, top_k: int = 40, min_p: float = 0.05,
                          repeat_penalty: float = 1.0, presence_penalty: float = 0.0,
                          frequency_penalty: float = 0.0, stop: str | list[str] | None = None,
                          seed: int | None = None, grammar: Any = None, **_ignored: Any
                          ) -> Iterator[dict[str, Any]]:
        stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
        params = GenerationParams(
            max_tokens=max_tokens or None, temperature=temperature, top_p=top_p, top_k=top_k,
            min_p=min_p, repeat_penalty=repeat_penalty, presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty, stop=tuple(s for s in stops if s), seed=seed)
        on_prompt = self.on_prompt
        self._decoder.add(SequenceRequest(
            prompt=prompt, params=params, on_piece=self._items.put, cancel=self.cancel,
            on_done=self._done,
            grammar=(grammar._grammar, grammar._root) if grammar is not None else None,
            on_prompt=(lambda done, total: on_prompt(PromptProgress(done, total)))
            if on_prompt is not None else None))
        self.added = True
        return self._chunks()

    def _done(self, result: GenerationResult) -> None:
        self._result = result
        self._items.put(_END)

    def _chunks(self) -> Iterator[dict[str, Any]]:
        made, name = int(time.time()), f"cmpl-{uuid.uuid4()}"

        def chunk(text: str, finish: str | None) -> dict[str, Any]:
            return {"id": name, "object": "text_completion", "created": made, "model": "",
                    "choices": [{"text": text, "index": 0, "logprobs": None,
                                 "finish_reason": finish}]}

        while True:
            item = self._next()
            if item is _END:
                break
            yield chunk(str(item), None)
        finish = self._result.stats.finish_reason if self._result else "stop"
        yield chunk("", "length" if finish == "length" else "stop")

    def _next(self) -> object:
        """The next piece, or `_END`; `_END` too when the decoder's thread has gone."""
        while True:
            try:
                return self._items.get(timeout=_DONE_WAIT_S)
            except queue.Empty:
                if self._decoder.closed:
                    return _END

    def wait(self) -> GenerationResult:
        """The decoder's result, once it has ended (the stream may have been left early)."""
        while self._result is None:
            if self._next() is _END and self._result is None:
                raise GenerationError(_("The model could not answer: {reason}").format(
                    reason="the batched decoder stopped"))
        return self._result


@contextlib.contextmanager
def parts_engine(engine: InferenceEngine, n_seq: int,
                 on_note: Callable[[str], None] | None = None) -> Iterator[InferenceEngine]:
    """An engine that reads up to `n_seq` parts of a summary at once (`Summarizer` sends that
    many together to an engine whose `model.parallel` says it takes them): `at_once`'s, with
    `n_seq` 0 ("auto") 4 when the model runs on a GPU, else 1 (on a CPU, reading the parts is
    bound by its cores: measured on two, 4 at once took 0.91x the time of one after another
    (`bench_summarize.py`, SmolLM2), for four KV caches' memory)."""
    model = engine.model
    if n_seq == 0:
        n_seq = AUTO_GPU_PARTS if model is not None and model.gpu_offload else 1
    with at_once(engine, n_seq, on_note) as parts:
        yield parts


@contextlib.contextmanager
def at_once(engine: InferenceEngine, n_seq: int,
            on_note: Callable[[str], None] | None = None) -> Iterator[InferenceEngine]:
    """An engine that answers up to `n_seq` requests at once, from as many threads: `engine`
    itself when it already takes several (a batched engine, a server elsewhere: its
    `model.parallel`), when `n_seq` is 1, or when it is not llama.cpp in this process (then
    the requests, from their threads, must be answered one after another: check
    `model.parallel`); else a `BatchedEngine` sharing `engine`'s model (`BatchedEngine.sharing`:
    no second load, a context of `n_seq` sequences of the same length), freed when the block
    ends. Memory short of its KV caches lowers `n_seq` (`on_note` is told why, in the reader's
    language, and the log); a context that cannot be made leaves `engine`. The window's
    `EngineSwitch` counts as the engine it holds the model in. On the thread that owns
    `engine`, which answers nothing else meanwhile."""
    model = engine.model
    local = engine.active if isinstance(engine, EngineSwitch) else engine
    if (n_seq <= 1 or model is None or model.parallel > 1
            or not isinstance(local, LlamaCppEngine) or isinstance(local, BatchedEngine)):
        yield engine
        return
    try:
        batched = BatchedEngine.sharing(local, n_seq)
    except (EngineError, MemoryError) as exc:
        log.warning("answers are made one at a time: %s", exc)
        yield engine
        return
    if batched.note:
        log.warning("%s", batched.note)
        if on_note is not None:
            on_note(batched.note)
    try:
        yield batched
    finally:
        batched.unload()
