"""Many answers at once: N sequences decoded together in one llama.cpp context.

llama.cpp decodes a batch of tokens from several sequences in one `llama_decode`: the weights
are read once per step for all of them, so on a CPU bound by memory bandwidth the total speed
grows with the sequences (measured with `llama-batched-bench` on 2 cores: 1.4x at 4, 1.9x at
8), and far more on a GPU. `BatchedDecoder` does that over llama-cpp-python's low-level API:
one model load, one context whose KV cache holds N sequences (each its own share of the
context, `llama_n_ctx_seq`), one `llama_batch` a step, one sampler chain per sequence.

Continuous batching: a request `add`ed while others run joins at the next step (its prompt read
`n_batch` tokens at a time, beside the others' next tokens, which always go first so that a long
prompt never stalls them), and a sequence that ends (its end token, a stop string, its token
limit, its context share, or its `CancelToken`) leaves the batch at once: its KV cells are
removed (`llama_memory_seq_rm`) and its slot is free for the next request.

One thread owns the decoder: it calls `step` (or `run`, `run_until_idle`) and `close`, and every
callback is called on it. Other threads only `add` requests and cancel their tokens.

Not here (yet): chat templates (a request is a prompt, text or tokens: the caller renders it),
tool calls, the thread tuner of the single path (the counts it loads with stay), the abort
callback (a step is one batch of at most `n_batch` tokens, and aborting it would stop every
sequence in it; a cancel is seen between steps), and saved states.
"""

from __future__ import annotations

import codecs
import ctypes
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.engine import native
from app.core.engine.base import (
    GPU_LAYERS_AUTO,
    ContextOverflowError,
    FinishReason,
    GenerationError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    LoadSpec,
    ModelLoadError,
    NoModelLoadedError,
    OnPiece,
    UnsupportedRequestError,
    answer_seed,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.embedding import is_embedding_model
from app.core.engine.llama_cpp_backend import (
    LlamaCppEngine,
    cache_type_of,
    context_size,
    read_model_header,
    thread_counts,
)
from app.core.engine.native import NATIVE_LOG
from app.core.engine.offload import auto_gpu_layers
from app.core.engine.stop_strings import StopScanner
from app.i18n import _

log = logging.getLogger(__name__)

# As the single path samples (`Llama._init_sampler`): the repeat penalties look at the last 64
# tokens, and the typical-p sampler is in the chain, at 1.0 (a no-op).
_PENALTY_LAST_N = 64
_TYPICAL_P = 1.0
_UBATCH = 512
_ALL_LAYERS = 0x7FFFFFFF  # n_gpu_layers -1: every layer (llama.cpp takes a count past them)


def _no_piece(_text: str) -> None:
    pass


@dataclass(frozen=True)
class SequenceRequest:
    """One answer to decode: `prompt` is plain text (tokenized as `Llama.create_completion`
    tokenizes a prompt: the model's BOS added, special tokens parsed) or its tokens. `on_piece`
    gets each new piece of text, `on_token` each token and `on_done` the result, all on the
    decoder's thread."""

    prompt: str | Sequence[int]
    params: GenerationParams = field(default_factory=GenerationParams)
    on_piece: OnPiece = _no_piece
    cancel: CancelToken = field(default_factory=CancelToken)
    on_done: Callable[[GenerationResult], None] | None = None
    on_token: Callable[[int], None] | None = None  # each token of the answer (not its end)
    # A GBNF grammar and its root rule that the answer must keep to (a forced tool call, a
    # JSON schema converted by the caller); over `params.json_schema` when both are given.
    grammar: tuple[str, str] | None = None
    # How far the prompt has been read: tokens done, of all (after each step that read some).
    on_prompt: Callable[[int, int], None] | None = None


class SlotTable:
    """The decoder's N sequence slots (llama.cpp's `seq_id`s): the lowest free one is taken
    first, so a slot given back is the next one used."""

    def __init__(self, n_slots: int) -> None:
        if n_slots < 1:
            raise ValueError("at least one slot")
        self.n_slots = n_slots
        self._free = list(range(n_slots))  # a heap

    @property
    def free(self) -> int:
        return len(self._free)

    def take(self) -> int | None:
        """A free slot, or None when every slot is in use."""
        return heapq.heappop(self._free) if self._free else None

    def give_back(self, slot: int) -> None:
        if not 0 <= slot < self.n_slots or slot in self._free:
            raise ValueError(f"slot {slot} is not in use")
        heapq.heappush(self._free, slot)


@dataclass(eq=False)
class _Sequence:
    """One request, waiting or being decoded."""

    id: int
    request: SequenceRequest
    prompt: list[int]
    seed: int
    sampler: Any  # llama_sampler_p: its chain, freed when the sequence ends
    t_start: float
    slot: int = -1
    read: int = 0  # prompt tokens in the KV cache
    n_past: int = 0  # the position of the next token to decode
    next_token: int | None = None  # sampled, to decode in the next step
    logits_at: int = -1  # the index in this step's batch whose logits it samples from
    completion: int = 0
    t_first: float | None = None
    pieces: list[str] = field(default_factory=list)
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace"))
    stops: StopScanner = field(default_factory=lambda: StopScanner(()))


class BatchedDecoder:
    """N sequences in one llama.cpp context; see the module. Made by `load`, ended by `close`.

    `add` (any thread) queues a request and returns its id; `step` (the owner's thread) decodes
    one batch and returns whether work is left; `run` steps until its token is cancelled,
    waiting for requests when idle; `run_until_idle` steps until every request has ended and
    returns their results by id.
    """

    def __init__(self, llama_cpp: Any, model: Any, ctx: Any, n_threads: tuple[int, int],
                 n_batch: int, *, owns_model: bool = True) -> None:
        self._llama_cpp = llama_cpp
        self._model = model
        self._owns_model = owns_model  # False: a model another holds (`on_model`)
        self._ctx = ctx
        self._vocab = llama_cpp.llama_model_get_vocab(model)
        self._memory = llama_cpp.llama_get_memory(ctx)
        self.n_seq = int(llama_cpp.llama_n_seq_max(ctx))
        self.n_ctx_seq = int(llama_cpp.llama_n_ctx_seq(ctx))
        self.n_batch = n_batch
        self.n_threads, self.n_threads_batch = n_threads
        self._n_vocab = int(llama_cpp.llama_vocab_n_tokens(self._vocab))
        self._batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        self._slots = SlotTable(self.n_seq)
        self._running: dict[int, _Sequence] = {}  # in the order they joined
        self._waiting: deque[_Sequence] = deque()
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._ended: dict[int, GenerationResult] = {}
        self._piece_buffer = ctypes.create_string_buffer(64)
        self._reading: list[_Sequence] = []  # those whose prompt the step reads
        self._closed = False

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, spec: LoadSpec, n_seq: int) -> BatchedDecoder:
        """Load `spec`'s model for `n_seq` sequences, each with a context of `spec.n_ctx`
        tokens (at most the model's training length, rounded up to 256): the KV cache holds
        `n_seq` times that, each sequence in a part of its own (not unified: sequences that
        share no prefix attend to their own cells only, which llama.cpp advises for speed).
        Raises `ModelLoadError`."""
        if n_seq < 1:
            raise ValueError("at least one sequence")
        if spec.remote is not None:
            raise ValueError("a model elsewhere is not loaded here")
        header = read_model_header(spec.path)
        if is_embedding_model(header):  # (as the single path says it, for the HTTP API)
            raise UnsupportedRequestError(f"{header.name or spec.path.stem} is an embedding "
                                          f"model: it cannot chat", param="model")
        llama_cpp = native.load_llama_cpp()
        n_threads, n_threads_batch, _load = thread_counts(spec)
        n_ctx_seq = context_size(spec, header)
        cache_type = cache_type_of(spec)

        model_params = llama_cpp.llama_model_default_params()
        n_gpu_layers = spec.n_gpu_layers
        if n_gpu_layers == GPU_LAYERS_AUTO:
            n_gpu_layers = auto_gpu_layers(spec.path, n_ctx_seq * n_seq)
        model_params.n_gpu_layers = n_gpu_layers if n_gpu_layers >= 0 else _ALL_LAYERS
        model_params.use_mmap = spec.use_mmap
        model_params.use_mlock = spec.use_mlock
        NATIVE_LOG.first_error = None
        model = llama_cpp.llama_model_load_from_file(str(spec.path).encode("utf-8"),
                                                     model_params)
        if not model:
            raise ModelLoadError(LlamaCppEngine.load_failure(
                spec.path, RuntimeError("llama_model_load_from_file failed")))

        try:
            decoder = cls.on_model(llama_cpp, model, n_seq=n_seq, n_ctx_seq=n_ctx_seq,
                                   n_batch=spec.n_batch, n_threads=(n_threads, n_threads_batch),
                                   flash_attn=spec.flash_attn, cache_type=cache_type)
        except ModelLoadError:
            llama_cpp.llama_model_free(model)
            raise
        decoder._owns_model = True
        log.info("batched: %s, %d sequences of %d tokens, batch %d, threads %d/%d",
                 spec.path.name, decoder.n_seq, decoder.n_ctx_seq, decoder.n_batch, n_threads,
                 n_threads_batch)
        return decoder

    @classmethod
    def on_model(cls, llama_cpp: Any, model: Any, *, n_seq: int, n_ctx_seq: int, n_batch: int,
                 n_threads: tuple[int, int], flash_attn: bool = False,
                 cache_type: int | None = None) -> BatchedDecoder:
        """A decoder of `n_seq` sequences of `n_ctx_seq` tokens each on a model already loaded
        (a `llama_model` pointer another object holds and frees: `close` frees only the
        context). Raises `ModelLoadError` when llama.cpp cannot make the context."""
        n_batch = max(n_batch, n_seq)  # room for every sequence's next token
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx_seq * n_seq
        params.n_batch = n_batch
        params.n_ubatch = min(n_batch, _UBATCH)
        params.n_seq_max = n_seq
        params.n_threads, params.n_threads_batch = n_threads
        params.kv_unified = False
        # Flash attention where the model and backend support it unless the user turned it
        # on (then always), as llama-server decides: without it a step's attention over N
        # caches cost a quarter of the speed at 4 sequences on two cores (SmolLM2: 108 vs 137
        # tok/s, the latter llama-server's own). The single path keeps the setting's off: its
        # saved states hold the cache's layout.
        params.flash_attn_type = (llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attn
                                  else llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO)
        if cache_type is not None:
            params.type_k = params.type_v = cache_type
        NATIVE_LOG.first_error = None
        ctx = llama_cpp.llama_init_from_model(model, params)
        if not ctx:
            reason = NATIVE_LOG.first_error or "llama_init_from_model failed"
            raise ModelLoadError(_("Cannot make room for {n} answers at once: llama.cpp could "
                                   "not create the context ({reason}).").format(
                                       n=n_seq, reason=reason))
        return cls(llama_cpp, model, ctx, n_threads, n_batch, owns_model=False)

    def close(self) -> None:
        """End every request (cancelled) and free the context and the model. On the owner's
        thread, once it no longer steps."""
        if self._closed:
            return
        for seq in list(self._running.values()):
            self._end(seq, "cancelled")
        with self._lock:
            waiting, self._waiting = list(self._waiting), deque()
        for seq in waiting:
            self._end(seq, "cancelled")
        self._closed = True
        llama_cpp = self._llama_cpp
        llama_cpp.llama_batch_free(self._batch)
        llama_cpp.llama_free(self._ctx)
        if self._owns_model:
            llama_cpp.llama_model_free(self._model)

    def __enter__(self) -> BatchedDecoder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- requests (any thread) -------------------------------------------------------------

    def add(self, request: SequenceRequest) -> int:
        """Queue `request`; it joins the batch at the next step with a free slot. Returns its
        id. Raises `ContextOverflowError` for a prompt that leaves no room in a sequence's
        context, `UnsupportedRequestError` for an empty one or a JSON schema that cannot be
        enforced."""
        if self._closed:
            raise NoModelLoadedError
        prompt = (self.tokenize(request.prompt) if isinstance(request.prompt, str)
                  else list(request.prompt))
        if not prompt:
            raise UnsupportedRequestError("An empty prompt cannot be answered", param="prompt")
        if len(prompt) >= self.n_ctx_seq:
            raise ContextOverflowError(len(prompt), self.n_ctx_seq)
        seed = answer_seed(request.params)
        sampler = self._sampler_chain(request.params, seed, request.grammar)
        with self._lock:
            seq = _Sequence(id=next(self._ids), request=request, prompt=prompt, seed=seed,
                            sampler=sampler, t_start=time.perf_counter(),
                            stops=StopScanner(request.params.stop))
            self._waiting.append(seq)
            self._lock.notify_all()
        return seq.id

    def tokenize(self, text: str) -> list[int]:
        """`text`'s tokens as a prompt: the model's BOS added, special tokens parsed.
        (Tokenizing reads the vocabulary only: llama-server does it on its HTTP threads.)"""
        data = text.encode("utf-8")
        size = len(data) + 2
        while True:
            tokens = (ctypes.c_int32 * size)()
            count = int(self._llama_cpp.llama_tokenize(self._vocab, data, len(data), tokens,
                                                       size, True, True))
            if count >= 0:
                return list(tokens[:count])
            size = -count

    def slot_of(self, seq_id: int) -> int | None:
        """The slot (llama.cpp's seq_id) of a running request; None when it waits or ended."""
        seq = self._running.get(seq_id)
        return seq.slot if seq is not None else None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        """Whether any request runs or waits."""
        with self._lock:
            return bool(self._running or self._waiting)

    # -- decoding (the owner's thread) -----------------------------------------------------

    def run(self, until: CancelToken, idle_wait_s: float = 0.05) -> None:
        """Step until `until` is cancelled, waiting for requests while there are none."""
        while not until.cancelled:
            if not self.step():
                with self._lock:
                    if not self._waiting:
                        self._lock.wait(idle_wait_s)

    def run_until_idle(self) -> dict[int, GenerationResult]:
        """Step until every request has ended; the results of those that ended since the
        last call, by id."""
        while self.step():
            pass
        ended, self._ended = self._ended, {}
        return ended

    def step(self) -> bool:
        """Decode one batch: every running sequence's next token, then as much of the
        waiting prompts as fits. Returns whether any request runs or waits. Raises
        `GenerationError` when llama.cpp fails (every running sequence ends with it)."""
        self._admit()
        for seq in list(self._running.values()):
            if seq.request.cancel.cancelled:
                self._end(seq, "cancelled")
        if not self._running:
            return self.busy
        n_tokens = self._fill_batch()
        if n_tokens:
            self._decode()
            for seq in self._reading:
                if seq.request.on_prompt is not None and self._running.get(seq.id) is seq:
                    self._call(seq, self._prompt_read, seq)
            for seq in list(self._running.values()):
                if seq.logits_at >= 0:
                    self._sample(seq)
        return self.busy

    def _admit(self) -> None:
        """Give waiting requests the free slots, in the order they came."""
        with self._lock:
            while self._waiting and self._slots.free:
                seq = self._waiting.popleft()
                if seq.request.cancel.cancelled:
                    self._end(seq, "cancelled")
                    continue
                slot = self._slots.take()
                assert slot is not None
                seq.slot = slot
                self._running[seq.id] = seq
            # Cancelled while waiting for a slot: they end now, not when a slot frees.
            for seq in [s for s in self._waiting if s.request.cancel.cancelled]:
                self._waiting.remove(seq)
                self._end(seq, "cancelled")

    def _fill_batch(self) -> int:
        """Fill the batch: sampled tokens first (one per generating sequence, never held back
        by a long prompt), then prompt chunks up to `n_batch` tokens. Returns its size."""
        batch, n = self._batch, 0
        self._reading = []
        for seq in self._running.values():
            seq.logits_at = -1
            if seq.next_token is not None:
                self._put(n, seq.next_token, seq, logits=True)
                seq.logits_at, seq.next_token = n, None
                n += 1
        for seq in self._running.values():
            room = self.n_batch - n
            if room <= 0:
                break
            chunk = seq.prompt[seq.read:seq.read + room]
            for token in chunk:
                self._put(n, token, seq, logits=False)
                n += 1
            seq.read += len(chunk)
            if chunk:
                self._reading.append(seq)
            if chunk and seq.read == len(seq.prompt):  # sample from its last token's logits
                batch.logits[n - 1] = 1
                seq.logits_at = n - 1
        batch.n_tokens = n
        return n

    @staticmethod
    def _prompt_read(seq: _Sequence) -> None:
        if seq.request.on_prompt is not None:
            seq.request.on_prompt(seq.read, len(seq.prompt))

    def _put(self, index: int, token: int, seq: _Sequence, *, logits: bool) -> None:
        batch = self._batch
        batch.token[index] = token
        batch.pos[index] = seq.n_past
        batch.n_seq_id[index] = 1
        batch.seq_id[index][0] = seq.slot
        batch.logits[index] = 1 if logits else 0
        seq.n_past += 1

    def _decode(self) -> None:
        code = int(self._llama_cpp.llama_decode(self._ctx, self._batch))
        if code == 0:
            return
        # 1: no room in the KV cache (cannot happen while each sequence keeps to its share);
        # 2: aborted; < 0: an error. Every sequence in the batch ends: its cells are removed.
        reason = _("The model could not answer: {reason}").format(
            reason=f"llama_decode returned {code}")
        for seq in list(self._running.values()):
            self._end(seq, "cancelled", warning=reason)
        raise GenerationError(reason)

    def _sample(self, seq: _Sequence) -> None:
        llama_cpp = self._llama_cpp
        # Samples through the chain and accepts the token (the penalties remember it).
        token = int(llama_cpp.llama_sampler_sample(seq.sampler, self._ctx, seq.logits_at))
        if seq.t_first is None:
            seq.t_first = time.perf_counter()
        if llama_cpp.llama_vocab_is_eog(self._vocab, token):
            self._end(seq, "stop")
            return
        seq.completion += 1
        if seq.request.on_token is not None and not self._call(seq, seq.request.on_token, token):
            return
        text = seq.decoder.decode(self._piece(token))  # a character split across tokens waits
        if text and not self._emit(seq, seq.stops.feed(text)):
            return
        limit = seq.request.params.max_tokens
        if seq.stops.stopped:
            self._end(seq, "stop")
        elif (limit and seq.completion >= limit) or seq.n_past >= self.n_ctx_seq:
            self._end(seq, "length")  # (at its context share: no cell left to decode it in)
        else:
            seq.next_token = token

    def _piece(self, token: int) -> bytes:
        """The token's bytes, as the single path detokenizes an answer (special tokens as no
        text, no space stripped)."""
        buffer = self._piece_buffer
        size = int(self._llama_cpp.llama_token_to_piece(self._vocab, token, buffer,
                                                        len(buffer), 0, False))
        if size < 0:
            self._piece_buffer = buffer = ctypes.create_string_buffer(-size)
            size = int(self._llama_cpp.llama_token_to_piece(self._vocab, token, buffer,
                                                            len(buffer), 0, False))
        return buffer.raw[:max(size, 0)]

    def _emit(self, seq: _Sequence, text: str) -> bool:
        """Hand `text` to the request; False when its callback failed (the request is then
        ended as cancelled, the others go on)."""
        if not text:
            return True
        seq.pieces.append(text)
        return self._call(seq, seq.request.on_piece, text)

    def _call(self, seq: _Sequence, callback: Callable[[Any], None], value: object) -> bool:
        """Call one of the request's callbacks; if it fails, the request ends as cancelled
        (the others go on) and False is returned."""
        try:
            callback(value)
        except Exception:
            log.exception("a batched request's callback failed; it is stopped")
            self._end(seq, "cancelled")
            return False
        return True

    def _end(self, seq: _Sequence, finish: FinishReason, warning: str = "") -> None:
        """End `seq`: the text held back goes out (unless it was stopped), its KV cells are
        removed, its slot and sampler freed, its result handed over."""
        if finish != "cancelled" and self._running.get(seq.id) is seq:
            tail = seq.stops.feed(seq.decoder.decode(b"", final=True)) + seq.stops.flush()
            if tail:
                seq.pieces.append(tail)
                try:
                    seq.request.on_piece(tail)
                except Exception:
                    log.exception("a batched request's on_piece failed")
        if self._running.pop(seq.id, None) is not None:
            self._llama_cpp.llama_memory_seq_rm(self._memory, seq.slot, -1, -1)
            self._slots.give_back(seq.slot)
        if seq.sampler is not None:
            self._llama_cpp.llama_sampler_free(seq.sampler)
            seq.sampler = None
        t_end = time.perf_counter()
        t_first = seq.t_first if seq.t_first is not None else t_end
        stats = GenerationStats(
            prompt_tokens=len(seq.prompt) if seq.read == len(seq.prompt) else seq.read,
            completion_tokens=seq.completion,
            ttft_s=t_first - seq.t_start,
            generation_s=t_end - t_first,
            finish_reason=finish,
            seed=seq.seed,
            threads=self.n_threads,
            threads_batch=self.n_threads_batch,
        )
        result = GenerationResult("".join(seq.pieces), stats, warning=warning)
        self._ended[seq.id] = result
        if seq.request.on_done is not None:
            try:
                seq.request.on_done(result)
            except Exception:
                log.exception("a batched request's on_done failed")

    # -- sampling --------------------------------------------------------------------------

    def _sampler_chain(self, params: GenerationParams, seed: int,
                       grammar: tuple[str, str] | None = None) -> Any:
        """The sampler chain of the single path (`Llama._init_sampler`): repeat penalties, the
        JSON schema's grammar, then greedy at temperature 0, else top-k, typical-p, top-p,
        min-p, temperature and a seeded draw."""
        llama_cpp = self._llama_cpp
        chain = llama_cpp.llama_sampler_chain_init(
            llama_cpp.llama_sampler_chain_default_params())
        add = llama_cpp.llama_sampler_chain_add
        add(chain, llama_cpp.llama_sampler_init_penalties(
            self._n_vocab, _PENALTY_LAST_N, params.repeat_penalty, params.frequency_penalty,
            params.presence_penalty))
        if grammar is not None or params.json_schema is not None:
            sampler = (self._llama_cpp.llama_sampler_init_grammar(
                self._vocab, grammar[0].encode("utf-8"), grammar[1].encode("utf-8"))
                if grammar is not None else self._grammar_sampler(params.json_schema or ""))
            if not sampler:
                llama_cpp.llama_sampler_free(chain)
                raise UnsupportedRequestError(
                    "The response format's JSON schema cannot be enforced",
                    param="response_format")
            add(chain, sampler)
        if params.temperature < 0:
            add(chain, llama_cpp.llama_sampler_init_dist(seed))
        elif params.temperature == 0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
        else:
            add(chain, llama_cpp.llama_sampler_init_top_k(params.top_k))
            add(chain, llama_cpp.llama_sampler_init_typical(_TYPICAL_P, 1))
            add(chain, llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
            add(chain, llama_cpp.llama_sampler_init_min_p(params.min_p, 1))
            add(chain, llama_cpp.llama_sampler_init_temp(params.temperature))
            add(chain, llama_cpp.llama_sampler_init_dist(seed))
        return chain

    def _grammar_sampler(self, schema: str) -> Any:
        """llama.cpp's grammar sampler for a JSON schema; None when it cannot be made."""
        from llama_cpp.llama_grammar import LlamaGrammar

        try:
            grammar = LlamaGrammar.from_json_schema(schema, verbose=False)
        except Exception:  # the converter's ValueError, KeyError, RecursionError...
            return None
        sampler = self._llama_cpp.llama_sampler_init_grammar(
            self._vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
        return sampler or None
