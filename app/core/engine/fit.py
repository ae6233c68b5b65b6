"""Will this model fit? Memory for weights + KV cache + compute buffers against what is free.

Weights are the file's size (llama.cpp maps the file). The KV cache is two f16 tensors per layer
of `n_ctx × kv_heads × head_dim`, from the GGUF header. The compute buffers were calibrated on
these machines: SmolLM2 135M and Gemma 3 270M measured 48–53 and 90–97 MB above weights and KV
at 2k–8k context; the formula below gives 61 and 105 MB, a little on the safe side. Sliding-window
layers (Gemma 3) are counted at full context, which over-estimates them: also the safe side.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import psutil

from app.core.engine.gguf import GGUFHeader
from app.files import format_bytes
from app.i18n import N_, _

KV_BYTES = 2  # f16 cache, llama.cpp's default
N_BATCH = 512
FITS_BELOW = 0.8  # of free memory; between this and all of it the system starts paging
# Of a GPU's free memory, "auto" GPU layers plan with this share less a fixed reserve: the backend
# takes workspace of its own (cuBLAS, CUDA graphs, Metal's command buffers) beyond the compute
# buffers counted here, and an out-of-memory on the GPU fails the load outright.
GPU_SHARE = 0.9
GPU_RESERVE = 512 * 2**20


class Verdict(enum.Enum):
    FITS = "fits"
    TIGHT = "tight"
    TOO_BIG = "too big"

    @property
    def words(self) -> str:
        """The verdict in the reader's language ("fits", "放得下")."""
        return _(_VERDICT_WORDS[self])


# TRANSLATORS: whether a model fits this machine's free memory.
_VERDICT_WORDS = {Verdict.FITS: N_("fits"), Verdict.TIGHT: N_("tight"),
                  Verdict.TOO_BIG: N_("too big")}


@dataclass(frozen=True)
class Shape:
    """What the estimate needs from a model; from a GGUF header, or from a catalog entry."""

    file_size: int
    n_layers: int | None
    n_heads_kv: int | None
    key_length: int | None
    value_length: int | None
    n_embd: int | None
    n_vocab: int | None
    context_length: int | None

    @classmethod
    def from_size(cls, file_size: int, context_length: int | None = None) -> Shape:
        """A file not downloaded yet: only its size (and maybe its trained context) is known."""
        return cls(file_size, None, None, None, None, None, None, context_length)

    @classmethod
    def from_header(cls, header: GGUFHeader, file_size: int) -> Shape:
        return cls(file_size, header.n_layers, header.n_heads_kv, header.key_length,
                   header.value_length, header.n_embd,
                   header.array_lengths.get("tokenizer.ggml.tokens"), header.context_length)


@dataclass(frozen=True)
class Estimate:
    weights: int
    kv_cache: int
    buffers: int
    n_ctx: int
    available: int
    verdict: Verdict
    exact: bool  # False when the header lacked what the KV cache needs (a rough guess then)
    n_seq: int = 1  # answers at once, each with a KV cache of `n_ctx` tokens

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.buffers

    def describe(self) -> str:
        """One line for the CLI and for a badge's tooltip."""
        text = (_("{verdict}: needs about {total} (weights {weights}, context of {n_ctx} "
                  "tokens {kv_cache}, buffers {buffers}); {free} of memory is free")
                if self.exact else
                _("{verdict}: needs roughly {total} (weights {weights}, context of {n_ctx} "
                  "tokens {kv_cache}, buffers {buffers}); {free} of memory is free"))
        if self.n_seq > 1:
            text = (_("{verdict}: needs about {total} (weights {weights}, {n_seq} contexts of "
                      "{n_ctx} tokens {kv_cache}, buffers {buffers}); {free} of memory is free")
                    if self.exact else
                    _("{verdict}: needs roughly {total} (weights {weights}, {n_seq} contexts of "
                      "{n_ctx} tokens {kv_cache}, buffers {buffers}); {free} of memory is free"))
        return text.format(verdict=self.verdict.words, total=format_bytes(self.total),
                           n_seq=self.n_seq,
                           weights=format_bytes(self.weights), n_ctx=self.n_ctx,
                           kv_cache=format_bytes(self.kv_cache),
                           buffers=format_bytes(self.buffers),
                           free=format_bytes(self.available))


def available_memory() -> int:
    return int(psutil.virtual_memory().available)


def estimate(shape: Shape, n_ctx: int, available: int | None = None, n_seq: int = 1
             ) -> Estimate:
    """Memory to run `shape` with a context of `n_ctx` tokens (capped at its training length),
    `n_seq` times over when that many answers are decoded at once (`engine.batched`: each
    sequence has a KV cache of its own; the weights are shared)."""
    if shape.context_length:
        n_ctx = min(n_ctx, shape.context_length)
    exact = bool(shape.n_layers and shape.n_heads_kv and shape.key_length and shape.value_length)
    if exact:
        per_token = (shape.n_layers or 0) * (shape.n_heads_kv or 0) * (
            (shape.key_length or 0) + (shape.value_length or 0)) * KV_BYTES
    else:
        # No shape known (a file not downloaded yet): 1–8B models with grouped-query attention
        # at Q4_K_M take 1.2e-5 (Qwen2.5 7B) to 4e-5 (Llama 3.2 1B) of their file size per token
        # of f16 KV cache; the upper end keeps the guess on the safe side.
        per_token = shape.file_size * 4 // 100_000
    kv = per_token * n_ctx * max(1, n_seq)
    buffers = 32_000_000 + (shape.n_vocab or 150_000) * 200 + (shape.n_embd or 4096) * N_BATCH * 64
    free = available_memory() if available is None else available
    total = shape.file_size + kv + buffers
    if total <= FITS_BELOW * free:
        verdict = Verdict.FITS
    elif total <= free:
        verdict = Verdict.TIGHT
    else:
        verdict = Verdict.TOO_BIG
    return Estimate(shape.file_size, kv, buffers, n_ctx, free, verdict, exact, max(1, n_seq))


def sequences_that_fit(shape: Shape, n_ctx: int, wanted: int, available: int) -> int:
    """The most sequences, up to `wanted`, whose KV caches of `n_ctx` tokens each fit
    `available` memory with the weights (`Verdict.FITS`); at least one, which the single
    path would try as well."""
    for n_seq in range(max(1, wanted), 1, -1):
        if estimate(shape, n_ctx, available, n_seq).verdict is Verdict.FITS:
            return n_seq
    return 1


def gpu_layers_that_fit(shape: Shape, n_ctx: int, gpu_free: int) -> int:
    """How many layers to offload to a GPU with `gpu_free` bytes free, as `n_gpu_layers`.

    -1 (all, the output layer too) when the whole estimate fits with the margin above; else the
    number of repeating layers that fit beside the compute buffers, 0 if none does (or if the
    model's layer count is unknown). Each layer is charged an equal share of the file and of the
    KV cache: that counts the embeddings, which stay on the CPU, on the GPU's side: the safe
    side, as is the f16 KV cache when a quantized one is chosen.
    """
    if n_ctx <= 0 and shape.context_length:  # llama.cpp: 0 is the training length
        n_ctx = shape.context_length
    est = estimate(shape, n_ctx, available=gpu_free)
    budget = int(gpu_free * GPU_SHARE) - GPU_RESERVE
    if est.total <= budget:
        return -1
    if not shape.n_layers:
        return 0
    per_layer = -(-(est.weights + est.kv_cache) // shape.n_layers)  # rounded up
    return max(0, min(shape.n_layers, (budget - est.buffers) // per_layer))
