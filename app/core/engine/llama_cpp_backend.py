"""The in-process backend: llama-cpp-python on CPU, CUDA or Metal.

`llama_cpp` is imported on first load, not at start-up: it costs time and pulls in numpy.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import dataclasses
import gc
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from app.core.engine import native
from app.core.engine.base import (
    GPU_LAYERS_AUTO,
    REASONING_EFFORTS,
    ChatMessage,
    ContextOverflowError,
    FinishReason,
    GenerationError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    LoadSpec,
    ModelInfo,
    ModelLoadError,
    NoModelLoadedError,
    OnPiece,
    OnPrompt,
    PromptProgress,
    TemplateSource,
    Tool,
    ToolCall,
    UnsupportedRequestError,
    answer_seed,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.embedding import is_embedding_model
from app.core.engine.gguf import GGUFError, GGUFHeader, read_header
from app.core.engine.native import NATIVE_LOG, StderrToLog
from app.core.engine.offload import auto_gpu_layers, ggml_type
from app.core.engine.states import Snapshot, StateCache, fingerprint
from app.core.engine.thinking import ThinkingWatch
from app.core.engine.threads import OtherLoad, ThreadTuner, default_threads
from app.core.engine.tool_calls import ToolCallFilter, forced_call_schema, tool_dicts
from app.i18n import _

log = logging.getLogger(__name__)

# The usual turn format of architectures whose base models ship without a template. Without one,
# llama-cpp-python silently uses llama-2's, and Gemma 3 then ends every answer at once.
_FORMAT_BY_ARCHITECTURE = {
    "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma",
    "qwen2": "chatml", "qwen3": "chatml", "smollm3": "chatml",
    "mistral": "mistral-instruct",
}
# Formats of llama-cpp-python that drop the system message (with a debug line only).
_NO_SYSTEM_ROLE = {"gemma"}
_CTX_PAD = 256
_UBATCH = 512  # llama-cpp-python's default micro-batch
_POOLING_OWN, _POOLING_MEAN = -1, 1  # LLAMA_POOLING_TYPE_UNSPECIFIED (the model's), _MEAN
# Where a model's chat template fails to render: a format that every instruct model reads well
# enough, used with a warning instead of failing the chat.
GENERIC_CHAT_FORMAT = "chatml"
_PROBE = "Hello?"
_OPENS_THINKING = re.compile(r"<think>\s*$")
_OVERFLOW = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")


def _return_freed_memory() -> None:
    """Give the freed heap back to the system (glibc only).

    Without this, switching between SmolLM2 and Gemma 3 ten times grew resident memory from 270
    to 418 MB although every `Llama` object was freed: glibc keeps freed blocks below its
    (dynamic, up to 32 MB) mmap threshold in its arenas. With it, memory returns to one model's.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # musl or another libc: nothing to trim
        pass


def read_model_header(path: Path) -> GGUFHeader:
    """The GGUF header of the model to load; `ModelLoadError` saying why it cannot be read."""
    try:
        return read_header(path)
    except FileNotFoundError:
        raise ModelLoadError(_("Cannot load {path}: no such file.").format(
            path=path)) from None
    except GGUFError as exc:
        raise ModelLoadError(_("Cannot load {name}: {reason}.").format(
            name=path.name, reason=exc)) from None
    except OSError as exc:
        raise ModelLoadError(_("Cannot load {name}: {reason}.").format(
            name=path, reason=exc.strerror or exc)) from None


def context_size(spec: LoadSpec, header: GGUFHeader) -> int:
    """The context to load with: the one asked for, at most the model's training length (past
    it a model degrades), rounded up to a multiple of 256. llama.cpp pads the context so, but
    llama-cpp-python sizes its token buffer by the number asked for: a prompt between the two
    would fail with a numpy error."""
    n_ctx = spec.n_ctx
    if header.context_length:
        n_ctx = min(n_ctx, header.context_length)
    return -(-max(n_ctx, 1) // _CTX_PAD) * _CTX_PAD


def _batching(header: GGUFHeader, n_ctx: int, n_batch: int) -> dict[str, Any]:
    """`Llama`'s arguments for the batches and embeddings: an embedding model
    (`is_embedding_model`) is loaded to embed, with the pooling it declares (llama.cpp reads
    it), the mean for an encoder that declares none, and batches of the whole context (an
    encoder reads a text in one micro-batch, and `Llama.embed` refuses a text longer than the
    batch)."""
    if not is_embedding_model(header):
        return {"n_batch": n_batch, "n_ubatch": _UBATCH, "embedding": False}
    declared = header.metadata.get(f"{header.architecture}.pooling_type")
    pooling = _POOLING_MEAN if declared in (None, 0) else _POOLING_OWN
    return {"n_batch": n_ctx, "n_ubatch": n_ctx, "embedding": True, "pooling_type": pooling}


def cache_type_of(spec: LoadSpec) -> int | None:
    """The GGML type of the KV cache; None leaves llama.cpp's default (f16)."""
    if spec.kv_cache_type == "f16":
        return None
    if not spec.flash_attn:  # llama.cpp needs it for a quantized V cache
        raise ModelLoadError(_("A {type} KV cache needs flash attention: turn it on in the "
                               "settings, or use an f16 cache.").format(type=spec.kv_cache_type))
    return ggml_type(spec.kv_cache_type)


class LlamaCppEngine:
    """`InferenceEngine` on llama-cpp-python. Owned by one thread; see the protocol.

    With `states`, the evaluated state of a chat left for another one (or for a title) is kept
    and restored when it comes back (`use_session`), in memory and on disk.
    """

    # How long a model's chat templates may take to compile at load, and to render a prompt;
    # None: `template_guard.RENDER_DEADLINE_S`. (template_guard loads with llama_cpp: it
    # imports Jinja.)
    template_deadline_s: float | None = None

    def __init__(self, states: StateCache | None = None) -> None:
        self._llm: Any = None
        self._model: ModelInfo | None = None
        self._cancel: CancelToken | None = None
        self._abort_callback: Any = None
        self._no_abort_callback: Any = None
        self.states = states
        self._fingerprint = ""
        self._session: str | None = None  # whose turns the next calls answer
        self._live: str | None = None  # whose history the KV cache holds
        self._dirty = False  # the cache changed since it was last kept or restored
        # Whether the template ends the prompt inside <think>, by its variables' values.
        self._opens: dict[tuple[tuple[str, Any], ...], bool] = {}
        self._tuners = (ThreadTuner(1), ThreadTuner(1))  # the loaded model's (`load`)
        self.spec: LoadSpec | None = None  # how the loaded model was loaded

    @property
    def model(self) -> ModelInfo | None:
        return self._model

    # -- loading ---------------------------------------------------------------------------

    def load(self, spec: LoadSpec) -> ModelInfo:
        self.unload()  # free the old model's memory before the new one takes its own
        path = spec.path
        header = read_model_header(path)
        llama_cpp = native.load_llama_cpp()
        n_threads, n_threads_batch, other_load = thread_counts(spec)
        n_ctx = context_size(spec, header)
        chat_format = spec.chat_format
        if chat_format is None and header.chat_template is None:
            chat_format = _FORMAT_BY_ARCHITECTURE.get(header.architecture)
        cache_type = cache_type_of(spec)
        batching = _batching(header, n_ctx, spec.n_batch)
        n_gpu_layers = spec.n_gpu_layers
        if n_gpu_layers == GPU_LAYERS_AUTO:
            n_gpu_layers = auto_gpu_layers(path, n_ctx)
        NATIVE_LOG.first_error = None
        try:
            # verbose=True keeps llama-cpp-python from redirecting fds 1 and 2 while it loads;
            # what it prints goes to our log instead.
            with (contextlib.redirect_stderr(StderrToLog()),
                  self._template_limits() as templates):
                llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads_batch,
                    **batching,
                    n_gpu_layers=n_gpu_layers,
                    seed=spec.seed if spec.seed >= 0 else llama_cpp.LLAMA_DEFAULT_SEED,
                    chat_format=chat_format,
                    flash_attn=spec.flash_attn,
                    type_k=cache_type,
                    type_v=cache_type,
                    use_mmap=spec.use_mmap,
                    use_mlock=spec.use_mlock,
                    verbose=True,
                )
        except Exception as exc:
            raise ModelLoadError(self.load_failure(path, exc)) from exc
        llm.verbose = False  # and quiet from here on: it prints per call otherwise
        _refuse_a_broken_template(llm, path, templates.failures)

        self._llm = llm
        self.spec = spec
        self._install_abort_callback(llama_cpp)
        self._tuners = _tuners(spec, n_threads, n_threads_batch, other_load)
        stat = path.stat()
        # What a kept state can only be restored under: the same file, context and cache
        # layout (without flash attention llama.cpp stores V transposed).
        self._fingerprint = fingerprint(str(path.resolve()), stat.st_size, stat.st_mtime_ns,
                                        llm.n_ctx(), spec.kv_cache_type, spec.flash_attn,
                                        llama_cpp.__version__)
        if self.states is not None:
            self.states.forget_memory(keep_print=self._fingerprint)
        if spec.chat_format:
            source = TemplateSource.NAMED
        elif header.chat_template:
            source = TemplateSource.GGUF
        elif chat_format:
            source = TemplateSource.GUESSED
        else:
            source = TemplateSource.FALLBACK
        self._model = ModelInfo(
            path=path,
            name=header.name or path.stem,
            n_ctx=llm.n_ctx(),
            n_ctx_train=int(llm._model.n_ctx_train()),
            n_threads=n_threads,
            n_threads_batch=n_threads_batch,
            threads_adapt=spec.n_threads is None or spec.n_threads_batch is None,
            n_params=int(llm._model.n_params()),
            size_bytes=path.stat().st_size,
            chat_format=str(llm.chat_format),
            template_source=source,
            chat_template=header.chat_template,
            gpu_offload=n_gpu_layers != 0 and bool(llama_cpp.llama_supports_gpu_offload()),
            metadata={k: str(v) for k, v in header.metadata.items()},
            embedding=batching["embedding"],
        )
        log.info("loaded %s: n_ctx=%d threads=%d template=%s embedding=%s", path,
                 self._model.n_ctx, n_threads, self._model.chat_format, self._model.embedding)
        return self._model

    def _template_limits(self, cancel: CancelToken | None = None) -> Any:
        """`template_guard.limits` for this engine's compiles and renders."""
        from app.core.engine import template_guard

        return template_guard.limits(
            cancel, self.template_deadline_s or template_guard.RENDER_DEADLINE_S)

    @staticmethod
    def load_failure(path: Path, exc: Exception) -> str:
        # Chat templates cannot fail the load here: `template_guard` notes those it cannot
        # compile instead, and `load` refuses the model only if it would use one of them.
        reason = NATIVE_LOG.first_error or str(exc) or type(exc).__name__
        return _("Cannot load {name}: llama.cpp could not read it ({reason}).").format(
            name=path.name, reason=reason)

    def unload(self) -> None:
        if self._llm is not None and self._live is not None and self._dirty:
            self._keep(self._live)
        if self.states is not None:
            self.states.flush()  # on disk before the process may end
        self._session = self._live = None
        self._dirty = False
        self._opens = {}
        llm, self._llm, self._model, self.spec = self._llm, None, None, None
        if llm is not None:
            llm.close()  # releases the weights and KV cache now, not whenever gc runs
            del llm
            gc.collect()
            _return_freed_memory()

    # -- chats' states ---------------------------------------------------------------------

    def use_session(self, session: str | None) -> None:
        """The next calls continue `session` (a chat; None: a one-off prompt such as a title).

        The history of the chat the cache holds is kept if it changed, and `session`'s own is
        restored if one was kept, so its next turn evaluates only its new tokens.
        """
        self._session = session
        if self._llm is None or session == self._live:
            return
        if self._live is not None and self._dirty:
            self._keep(self._live)
        snapshot = None
        if session is not None and self.states is not None:
            snapshot = self.states.find(session, self._fingerprint)
        if snapshot is not None and self._restore(snapshot):
            self._live, self._dirty = session, False

    def _keep(self, session: str) -> None:
        self._dirty = False
        if self.states is None or self._llm.n_tokens < self.states.min_tokens:
            return
        try:
            snapshot = self._snapshot()
        except Exception:  # a state not kept costs time, never the answer
            log.exception("cannot keep the state of %s", session)
            return
        if snapshot is not None:
            self.states.keep(session, self._fingerprint, snapshot)

    def _snapshot(self) -> Snapshot | None:
        llama_cpp, llm = native.load_llama_cpp(), self._llm
        ctx, n_tokens = llm.ctx, llm.n_tokens
        # Cells past the tokens (a prompt stopped mid-way) are not part of the history.
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(ctx), 0, n_tokens, -1)
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
        if not written:
            return None
        tokens = array.array("i", llm.input_ids[:n_tokens].tolist())
        return Snapshot(tokens, ctypes.string_at(buffer, written))

    def _restore(self, snapshot: Snapshot) -> bool:
        llama_cpp, llm = native.load_llama_cpp(), self._llm
        n_tokens = len(snapshot.tokens)
        if n_tokens >= llm.n_ctx():
            return False
        ctx = llm.ctx
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
        buffer = (ctypes.c_uint8 * len(snapshot.data)).from_buffer_copy(snapshot.data)
        if not llama_cpp.llama_state_seq_set_data(ctx, buffer, len(snapshot.data), 0):
            log.warning("llama.cpp refused a kept state; the chat is evaluated again")
            llm.reset()
            return False
        llm.input_ids[:n_tokens] = snapshot.tokens
        llm.n_tokens = n_tokens
        llm._requires_eval = True  # the logits of the last token are not restored
        return True

    # -- stopping --------------------------------------------------------------------------

    def _install_abort_callback(self, llama_cpp: Any) -> None:
        def should_abort(_data: Any) -> bool:
            cancel = self._cancel
            return cancel is not None and cancel.cancelled

        self._abort_callback = llama_cpp.ggml_abort_callback(should_abort)
        self._no_abort_callback = llama_cpp.ggml_abort_callback()  # a NULL function pointer

    def _set_abort_callback(self, on: bool) -> None:
        """Arm llama.cpp's abort check, or disarm it.

        llama.cpp calls it for every node of the compute graph. That is what stops a long
        prompt mid-way, but during decoding it would take the GIL hundreds of times per token,
        so it is armed only while the prompt is evaluated; between tokens the loop checks the
        token itself.
        """
        callback = self._abort_callback if on else self._no_abort_callback
        llama_cpp = native.load_llama_cpp()
        llama_cpp.llama_set_abort_callback(self._llm.ctx, callback, ctypes.c_void_p(0))

    # -- answering -------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        if self._llm is None:
            raise NoModelLoadedError
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream_chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
                    on_piece: OnPiece, cancel: CancelToken | None = None,
                    on_prompt: OnPrompt | None = None) -> GenerationResult:
        llm = self._chat_model()
        tools = self._tools_in_play(params)
        so_far: str | None = None
        if messages and messages[-1].role == "assistant":  # an answer to go on with
            so_far, messages = messages[-1].content, messages[:-1]
        dicts = self._as_dicts(messages)
        # Tools go to the template, which renders them. tool_choice only as a word: given as a
        # dict, llama-cpp-python forces the call itself and streams chunks of another shape.
        # A forced call is enforced by `_grammar` instead.
        extra: dict[str, Any] = {}
        if tools:
            choice = params.tool_choice
            extra = {"tools": tool_dicts(tools),
                     "tool_choice": choice if choice in ("auto", "required") else "required"}

        template_kwargs = self._template_kwargs(params)
        # A template that opens the thinking itself: the stream starts with the tag it wrote.
        watch = ThinkingWatch(on_piece, opened=so_far is None
                              and self._opens_thinking(llm, template_kwargs))
        warnings: list[str] = []

        def start(sampling: dict[str, Any], cancel: CancelToken) -> Iterator[dict[str, Any]]:
            if so_far is not None:
                self._go_on_from(llm, so_far)
            # The prompt is rendered from the chat template here, bound in time and by the Stop.
            with self._template_limits(cancel):
                try:
                    return self._start_chat(llm, dicts, {**extra, **sampling, **template_kwargs})
                except Exception as exc:
                    if not self._falls_back(exc) or tools:
                        raise
                    warnings.append(_template_failure(exc))
                    log.warning("%s", warnings[-1])
                    stream: Iterator[dict[str, Any]] = self._start_chat(
                        llm, dicts, {**sampling}, chat_format=GENERIC_CHAT_FORMAT)
                    return stream

        result = watch.finish(self._answer(llm, params, start, watch.piece, cancel,
                                           text_of=_chat_text, on_prompt=on_prompt,
                                           tools=tools))
        return dataclasses.replace(result, warning=warnings[0]) if warnings else result

    @staticmethod
    def _start_chat(llm: Any, messages: list[dict[str, Any]], arguments: dict[str, Any], *,
                    chat_format: str | None = None) -> Iterator[dict[str, Any]]:
        """Render the prompt and open the answer's stream: through the model's chat handler
        (its own template), or the one of `chat_format`. `Llama.create_chat_completion`
        passes on no template variables, so the handler is called as it would call it."""
        from llama_cpp import llama_chat_format

        handler: Any = (llama_chat_format.get_chat_completion_handler(chat_format)
                        if chat_format else llm.chat_handler
                        or llm._chat_handlers.get(llm.chat_format)
                        or llama_chat_format.get_chat_completion_handler(llm.chat_format))
        stream: Iterator[dict[str, Any]] = handler(llama=llm, messages=messages, stream=True,
                                                   **arguments)
        return stream

    def _falls_back(self, exc: Exception) -> bool:
        """Whether a failure to start the answer is the model's own template failing to render
        (its error, or a `raise_exception` refusing the messages), so that a generic format
        can stand in; a template stopped, too slow or too big is not."""
        from app.core.engine.template_guard import RenderCancelled

        model = self._model
        return (model is not None and model.template_source is TemplateSource.GGUF
                and not isinstance(exc, RenderCancelled | GenerationError | MemoryError))

    def _template_kwargs(self, params: GenerationParams) -> dict[str, Any]:
        """The variables of the model's template that the request sets: the Thinking switch
        and the reasoning effort, each only where the template reads it."""
        model = self._model
        if model is None or model.template_source is not TemplateSource.GGUF:
            return {}
        kwargs: dict[str, Any] = {}
        if model.thinking_switch:
            kwargs["enable_thinking"] = params.thinking
        if params.reasoning_effort in REASONING_EFFORTS and model.effort_choice:
            kwargs["reasoning_effort"] = params.reasoning_effort
        return kwargs

    def _opens_thinking(self, llm: Any, template_kwargs: dict[str, Any]) -> bool:
        """Whether the model's template ends the prompt inside `<think>` (DeepSeek-R1's does),
        so that the model writes only the closing tag: the template rendered once per set of
        variables, for a question of one word."""
        model = self._model
        if model is None or model.template_source is not TemplateSource.GGUF \
                or not model.reasons or model.chat_template is None:
            return False
        key = tuple(sorted(template_kwargs.items()))
        if key not in self._opens:
            self._opens[key] = self._render_opens(llm, model.chat_template, template_kwargs)
        return self._opens[key]

    def _render_opens(self, llm: Any, template: str, template_kwargs: dict[str, Any]) -> bool:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        try:
            with self._template_limits():
                eos = llm._model.token_get_text(llm.token_eos())
                bos = llm._model.token_get_text(llm.token_bos())
                prompt = Jinja2ChatFormatter(template, eos, bos)(
                    messages=[{"role": "user", "content": _PROBE}], **template_kwargs).prompt
        except Exception:  # a template that fails here fails the answer, which says so
            log.info("the chat template could not be rendered to see how it opens thinking",
                     exc_info=True)
            return False
        return _OPENS_THINKING.search(prompt.rpartition(_PROBE)[2]) is not None

    def complete(self, prompt: str, params: GenerationParams, on_piece: OnPiece,
                 cancel: CancelToken | None = None) -> GenerationResult:
        """Go on from `prompt` as plain text, as `stream_chat` answers (tools aside). The KV
        cache then holds `prompt`: call it as a one-off (`use_session(None)`) unless it goes on
        from a session's own text."""
        llm = self._chat_model()

        def start(sampling: dict[str, Any], _cancel: CancelToken) -> Iterator[dict[str, Any]]:
            stream: Iterator[dict[str, Any]] = llm.create_completion(
                prompt=prompt, stream=True, **sampling)
            return stream

        return self._answer(llm, params, start, on_piece, cancel, text_of=_completion_text)

    def embed(self, texts: Sequence[str], cancel: CancelToken | None = None
              ) -> tuple[list[list[float]], int]:
        """One unit vector per text, and the tokens read. Texts go to llama.cpp a batch at a
        time (as many as fit `n_batch`, the context for an embedding model); a stop, seen
        between batches and within one by the abort callback, returns the vectors made so far,
        fewer than the texts."""
        llm, model = self._llm, self._model
        if llm is None or model is None:
            raise NoModelLoadedError
        if not model.embedding:
            raise UnsupportedRequestError(
                f"{model.name} cannot make embeddings: load an embedding model", param="model")
        cancel = cancel or CancelToken()
        vectors: list[list[float]] = []
        read = 0
        for batch in _embedding_batches(llm, texts):
            if cancel.cancelled:
                break
            self._cancel = cancel
            self._set_abort_callback(True)
            try:
                found, n_tokens = llm.embed(batch, normalize=True, truncate=False,
                                            return_count=True)
            except RuntimeError as exc:  # an abort shows up as "llama_decode returned 2"
                if cancel.cancelled:
                    break
                raise GenerationError(f"The model could not make embeddings: {exc}") from exc
            finally:
                self._set_abort_callback(False)
                self._cancel = None
            vectors.extend(found)
            read += n_tokens
        return vectors, read

    def _answer(self, llm: Any, params: GenerationParams, start: _Start, on_piece: OnPiece,
                cancel: CancelToken | None, *, text_of: Callable[[dict[str, Any]], str | None],
                on_prompt: OnPrompt | None = None, tools: Sequence[Tool] = ()
                ) -> GenerationResult:
        """Run the stream that `start` opens with the sampling arguments, streaming the text
        that `text_of` finds in each chunk's choice, stoppable at any point by `cancel`. With
        `tools` the calls are held back from the pieces and parsed out of the answer."""
        from app.core.engine.template_guard import RenderCancelled  # loaded with the model

        grammar = self._grammar(params, tools)  # a schema it cannot enforce refuses the request
        cancel = cancel or CancelToken()
        self._live, self._dirty = self._session, self._session is not None
        tally = _Tally(t_start=time.perf_counter(), seed=answer_seed(params))
        calls = ToolCallFilter(on_piece, [t.name for t in tools]) if tools else None
        sampling = {
            "max_tokens": params.max_tokens or 0,  # 0: until the context is full
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "min_p": params.min_p,
            "repeat_penalty": params.repeat_penalty,
            "presence_penalty": params.presence_penalty,
            "frequency_penalty": params.frequency_penalty,
            "stop": list(params.stop),  # llama-cpp-python leaves them out of the text
            "seed": tally.seed,
            "grammar": grammar,
        }
        self._cancel = cancel
        self._set_abort_callback(True)
        self._watch_prompt_eval(llm, tally, on_prompt)
        stream: Iterator[dict[str, Any]] | None = None
        try:
            stream = start(sampling, cancel)
            self._consume(stream, text_of, tally, calls.feed if calls else on_piece, cancel)
        except RenderCancelled:
            tally.finish = "cancelled"
        except GenerationError:  # the template took too long or built too much: its message
            raise
        except ValueError as exc:
            match = _OVERFLOW.search(str(exc))
            if match:
                raise ContextOverflowError(int(match[1]), int(match[2])) from None
            if tally.prompt_tokens is None:  # the template refused the messages (roles that
                # do not alternate, a role it has no place for): the request's fault
                raise UnsupportedRequestError(f"The model's chat template refused the "
                                              f"messages: {exc}", param="messages") from None
            raise GenerationError(_could_not_answer(exc)) from exc
        except RuntimeError as exc:
            if not cancel.cancelled:  # an abort shows up as "llama_decode returned 2"
                raise GenerationError(_could_not_answer(exc)) from exc
            tally.finish = "cancelled"
        except Exception as exc:  # template errors (jinja2) and the like
            raise GenerationError(_could_not_answer(exc)) from exc
        finally:
            if stream is not None:
                stream.close()  # type: ignore[attr-defined]
            self._set_abort_callback(False)
            self._cancel = None
            vars(llm).pop("eval", None)
            vars(llm).pop("create_completion", None)
        tally.threads = self.threads_in_use
        if calls is None:
            return tally.result(llm.n_tokens)
        text, made = calls.finish(parse=tally.finish != "cancelled")
        return tally.result(llm.n_tokens, text, made)

    def _chat_model(self) -> Any:
        """The loaded `Llama`, if it can answer."""
        llm, model = self._llm, self._model
        if llm is None or model is None:
            raise NoModelLoadedError
        if model.embedding:
            raise UnsupportedRequestError(f"{model.name} is an embedding model: it cannot chat",
                                          param="model")
        return llm

    def _tools_in_play(self, params: GenerationParams) -> tuple[Tool, ...]:
        """The tools the model may call; refused if its chat template cannot show them."""
        model = self._model
        if not params.tools or params.tool_choice == "none" or model is None:
            return ()
        # A format the user named is not the GGUF's template, whatever that one reads.
        if not model.supports_tools or model.template_source is not TemplateSource.GGUF:
            raise UnsupportedRequestError(
                f"{model.name}'s chat template does not support tool calls", param="tools")
        return params.tools

    def _grammar(self, params: GenerationParams, tools: Sequence[Tool]) -> Any:
        """The grammar that holds sampling to a forced tool call or to the response's JSON
        schema; None when the answer is free."""
        if tools and params.tool_choice != "auto":
            return self._grammar_of(forced_call_schema(tools, params.tool_choice),
                                    "The tools' parameter schemas", "tools")
        if params.json_schema is not None:
            return self._grammar_of(params.json_schema, "The response format's JSON schema",
                                    "response_format")
        return None

    def _grammar_of(self, schema: str, what: str, param: str) -> Any:
        """llama.cpp's grammar for a JSON schema (text), checked by building its sampler once:
        one llama.cpp cannot parse would not fail the answer but crash it."""
        from llama_cpp.llama_grammar import LlamaGrammar

        llama_cpp = native.load_llama_cpp()
        try:
            grammar = LlamaGrammar.from_json_schema(schema, verbose=False)
        except Exception as exc:  # the converter's ValueError, KeyError, RecursionError...
            reason = str(exc) or type(exc).__name__
            raise UnsupportedRequestError(f"{what} cannot be enforced: {reason}",
                                          param=param) from None
        NATIVE_LOG.first_error = None
        sampler = llama_cpp.llama_sampler_init_grammar(
            self._llm._model.vocab,
            grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
        if not sampler:
            reason = NATIVE_LOG.first_error or "llama.cpp cannot parse its grammar"
            raise UnsupportedRequestError(f"{what} cannot be enforced: {reason}", param=param)
        llama_cpp.llama_sampler_free(sampler)
        return grammar

    def _as_dicts(self, messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
        """The messages as llama-cpp-python takes them. Where its format has no system role
        (Gemma), the system prompt opens the first question, as Gemma's own template does,
        instead of being dropped."""
        dicts = [_as_dict(m) for m in messages]
        if self._model is None or self._model.chat_format not in _NO_SYSTEM_ROLE:
            return dicts
        system = "\n\n".join(d["content"] for d in dicts if d["role"] == "system")
        rest = [d for d in dicts if d["role"] != "system"]
        if system:
            first_user = next((d for d in rest if d["role"] == "user"), None)
            if first_user is None:
                rest.insert(0, {"role": "user", "content": system})
            else:
                first_user["content"] = f"{system}\n\n{first_user['content']}"
        return rest

    @staticmethod
    def _go_on_from(llm: Any, text: str) -> None:
        """Make the next chat completion continue `text` as the assistant's own words: the
        chat handler renders the template up to the answer's start (any format, bound by
        `template_guard`) and hands the prompt to `create_completion`, where the answer so far
        is added after it, as if the model had written it."""
        complete = type(llm).create_completion.__get__(llm)
        so_far = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

        def continued(*args: Any, **kwargs: Any) -> Any:
            prompt = kwargs.get("prompt")
            if isinstance(prompt, list):
                kwargs["prompt"] = prompt + so_far
            elif isinstance(prompt, str):
                kwargs["prompt"] = prompt + text
            return complete(*args, **kwargs)

        llm.create_completion = continued  # an instance attribute, removed when it ends

    def _watch_prompt_eval(self, llm: Any, tally: _Tally, on_prompt: OnPrompt | None) -> None:
        """Note when the prompt has been evaluated: its exact token count, and the moment the
        abort callback can be disarmed; tell `on_prompt` how far a long one is.

        `Llama.generate` evaluates the prompt (the part not already in the KV cache) with its
        first `eval` call and each sampled token with one call more. The first piece of text
        comes later than that when a character spans several tokens (CJK, emoji), so counting
        at the first piece would miscount. `Llama.eval` reads its tokens `n_batch` at a time;
        handing it one batch at a time is the same work, with a progress report between.

        The prompt's last token is evaluated on its own, as it is when the rest is kept from
        before (`Llama.generate` then evaluates that one token again): its logits, from which
        the first token is sampled, differ slightly between the two ways, enough that the same
        seed gave another answer every time a prompt came again (8 seeds of 8 at temperature
        0.8, SmolLM2); evaluated alone each time, the answers were the same (8 of 8, also after
        another prompt that shares a prefix). It costs one decode of one token.
        """
        evaluate = type(llm).eval.__get__(llm)
        batch = max(1, int(llm.n_batch))

        generation, prompt = self._tuners

        def timed(tokens: Sequence[int], tuner: ThreadTuner) -> None:
            """Evaluate on the threads the tuner gives: the prompt's follow the free cores
            before each batch (a batch can take seconds); the answer's tuner is told how long
            each token took, after it."""
            if tuner is prompt and prompt.follow_load() is not None:
                self._set_threads(llm)
            t0 = time.perf_counter()
            evaluate(tokens)
            took = (time.perf_counter() - t0) / max(1, len(tokens))
            if tuner is generation and generation.add(took) is not None:
                self._set_threads(llm)

        def eval_and_note(tokens: Sequence[int]) -> None:
            if tally.prompt_tokens is not None:
                timed(tokens, generation)
                return
            tally.cached_tokens = llm.n_tokens  # the prefix kept from before
            total = len(tokens)
            report = on_prompt is not None and total > batch
            if on_prompt is not None and report:
                on_prompt(PromptProgress(0, total))
            for start in range(0, max(total, 1), batch):
                chunk = tokens[start:start + batch]
                if start + batch >= total and len(chunk) > 1:  # the last token alone
                    timed(chunk[:-1], prompt)
                    chunk = chunk[-1:]
                timed(chunk, prompt)
                if on_prompt is not None and report:
                    on_prompt(PromptProgress(min(start + batch, total), total))
            tally.prompt_tokens = llm.n_tokens
            self._set_abort_callback(False)

        llm.eval = eval_and_note  # an instance attribute, removed when the answer ends

    def _set_threads(self, llm: Any) -> None:
        """The tuners' counts, on the live context (llama.cpp takes them at the next decode)."""
        generation, prompt = self._tuners
        native.load_llama_cpp().llama_set_n_threads(llm.ctx, generation.current, prompt.current)
        log.debug("threads: %d for the answer, %d for the prompt", generation.current,
                  prompt.current)

    @property
    def threads_in_use(self) -> tuple[int, int]:
        """The threads llama.cpp uses now: for the answer, for the prompt."""
        return self._tuners[0].current, self._tuners[1].current

    def _consume(self, stream: Iterator[dict[str, Any]],
                 text_of: Callable[[dict[str, Any]], str | None], tally: _Tally,
                 on_piece: OnPiece, cancel: CancelToken) -> None:
        for chunk in stream:
            choice = chunk["choices"][0]
            text = text_of(choice)
            if text:
                if tally.t_first is None:
                    tally.t_first = time.perf_counter()
                tally.pieces.append(text)
                on_piece(text)
            if choice.get("finish_reason"):
                tally.finish = "length" if choice["finish_reason"] == "length" else "stop"
            if cancel.cancelled:
                tally.finish = "cancelled"
                return


# What `_answer` runs: open the stream, given the sampling arguments and the request's stop.
_Start = Callable[[dict[str, Any], CancelToken], Iterator[dict[str, Any]]]


def _embedding_batches(llm: Any, texts: Sequence[str]) -> list[list[str]]:
    """`texts` in runs that `Llama.embed` reads at once (at most `n_batch` tokens, counted as
    it counts them); `ContextOverflowError` for a text longer than that, before any is read."""
    limit = int(llm.n_batch)
    batches: list[list[str]] = []
    size = limit
    for text in texts:
        n_tokens = len(llm.tokenize(text.encode("utf-8")))
        if not n_tokens:  # llama.cpp would have no vector to give
            raise UnsupportedRequestError("An empty text cannot be embedded", param="input")
        if n_tokens > limit:
            raise ContextOverflowError(n_tokens, llm.n_ctx())
        if size + n_tokens > limit:
            batches.append([])
            size = 0
        batches[-1].append(text)
        size += n_tokens
    return batches


def _chat_text(choice: dict[str, Any]) -> str | None:
    text: str | None = choice["delta"].get("content")
    return text


def _completion_text(choice: dict[str, Any]) -> str | None:
    text: str | None = choice.get("text")
    return text


def _as_dict(message: ChatMessage) -> dict[str, Any]:
    """One message as llama-cpp-python (and the chat template) takes it. A call's arguments go
    as an object where they are one: templates (Qwen's, Hermes') write them with `tojson`, as
    transformers hands them."""
    found: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_call_id is not None:
        found["tool_call_id"] = message.tool_call_id
    if message.tool_calls:
        found["tool_calls"] = [
            {"id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": _arguments(call.arguments)}}
            for call in message.tool_calls]
    return found


def _arguments(text: str) -> Any:
    try:
        found = json.loads(text)
    except ValueError:
        return text
    return found if isinstance(found, dict) else text


def _refuse_a_broken_template(llm: Any, path: Path, failures: dict[str, str]) -> None:
    """Refuse the model (closing `llm`) if the chat template it would answer with could not be
    compiled (`failures`, from `template_guard`); note the others it carries but does not use."""
    failure = failures.get(_template_in_use(llm) or "")
    if failure is not None:
        llm.close()
        raise ModelLoadError(_("Cannot load {name}: its chat template cannot be used "
                               "({reason}).").format(name=path.name, reason=failure))
    for source, why in failures.items():
        log.warning("%s: a chat template it carries but does not use is ignored (%s, %d "
                    "characters)", path.name, why, len(source))


def _template_in_use(llm: Any) -> str | None:
    """The source of the GGUF chat template `llm` answers with; None when it uses a named
    format. llama-cpp-python names the file's templates after their keys, without
    `tokenizer.`, and the plain one `chat_template.default`."""
    name = str(llm.chat_format)
    if llm.chat_handler is not None or not name.startswith("chat_template."):
        return None
    key = "tokenizer.chat_template" if name == "chat_template.default" else f"tokenizer.{name}"
    source = llm.metadata.get(key)
    return source if isinstance(source, str) else None


@dataclasses.dataclass
class _Tally:
    """What one answer has produced so far, and when."""

    t_start: float
    seed: int | None = None
    t_first: float | None = None
    prompt_tokens: int | None = None
    cached_tokens: int = 0
    finish: FinishReason = "stop"
    pieces: list[str] = dataclasses.field(default_factory=list)
    threads: tuple[int, int] = (0, 0)  # in use at the end: for the answer, for the prompt

    def result(self, n_tokens_now: int, text: str | None = None,
               tool_calls: tuple[ToolCall, ...] = ()) -> GenerationResult:
        """The answer: its pieces' text unless `text` is given (the pieces less the tool
        calls that were parsed out of them, `tool_calls`)."""
        t_end = time.perf_counter()
        t_first = self.t_first if self.t_first is not None else t_end
        prompt = self.prompt_tokens if self.prompt_tokens is not None else n_tokens_now
        # Every generated token is evaluated before the next one is sampled, except the last
        # one when generation ended on length or a stop; an end-of-text token is never counted.
        unevaluated = 1 if self.pieces and self.finish != "stop" else 0
        stats = GenerationStats(
            prompt_tokens=prompt,
            completion_tokens=max(0, n_tokens_now - prompt) + unevaluated,
            ttft_s=t_first - self.t_start,
            generation_s=t_end - t_first,
            finish_reason="tool_calls" if tool_calls and self.finish == "stop" else self.finish,
            cached_tokens=min(self.cached_tokens, prompt),
            seed=self.seed,
            threads=self.threads[0],
            threads_batch=self.threads[1],
        )
        return GenerationResult("".join(self.pieces) if text is None else text, stats,
                                tool_calls)


def _could_not_answer(exc: Exception) -> str:
    return _("The model could not answer: {reason}").format(reason=exc)


def _template_failure(exc: Exception) -> str:
    """One line for a chat template that failed to render, and what was done instead."""
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return _("The model's chat template failed ({reason}); this answer used a generic chat "
             "format ({format}) instead.").format(reason=reason, format=GENERIC_CHAT_FORMAT)


def _tuners(spec: LoadSpec, n_threads: int, n_threads_batch: int, other_load: OtherLoad
            ) -> tuple[ThreadTuner, ThreadTuner]:
    """The answer's and the prompt's thread tuners: "auto" adapts between 1 and the count it
    starts with, never above the cores other programs leave free (one `OtherLoad` for both),
    the answer's also timing its tokens, the prompt's following the free cores alone; a number
    the user set stays (a tuner that can only keep it)."""
    return (ThreadTuner(n_threads, least=1 if spec.n_threads is None else n_threads,
                        other_load=other_load),
            ThreadTuner(n_threads_batch, probes=False,
                        least=1 if spec.n_threads_batch is None else n_threads_batch,
                        other_load=other_load))


def thread_counts(spec: LoadSpec) -> tuple[int, int, OtherLoad]:
    """The threads to load with, for the answer and for the prompt: the user's, else the
    machine's defaults (`threads.default_threads`); and the watch on other programs' load
    that the tuners read, counting from now, before the load, so that it has a reading by the
    first token."""
    defaults = default_threads()
    return (spec.n_threads or defaults.generation, spec.n_threads_batch or defaults.batch,
            OtherLoad())
