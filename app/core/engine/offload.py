"""How much of a model runs on the GPU, and the KV cache types llama.cpp takes: the engine's
load-time policy, which the settings only name ("auto", "all", N; "f16", "q8_0", "q4_0")."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from app.core.engine.devices import offload_device
from app.core.engine.fit import Shape, gpu_layers_that_fit
from app.core.engine.gguf import GGUFError, read_header

log = logging.getLogger(__name__)

KV_CACHE_TYPES: tuple[str, ...] = ("f16", "q8_0", "q4_0")


def gpu_layers(value: int | str, can_offload: bool, layers: int | None = None, *,
               fit: Callable[[], int] | None = None) -> int:
    """The `n_gpu_layers` to load with: "all" is -1 (llama-cpp-python: every layer), N is N.

    "auto" is 0 when the build cannot offload (`llama_cpp.llama_supports_gpu_offload()`), else
    what `fit` answers (called only then: `auto_gpu_layers` for the model being loaded), else -1.
    `layers`, the model's block count, is accepted for callers that know it; the fit reads it
    from the model itself.
    """
    if value == "all":
        return -1
    if value == "auto":
        if not can_offload:
            return 0
        return fit() if fit is not None else -1
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"not a GPU layers value: {value!r}")


def auto_gpu_layers(path: Path, n_ctx: int) -> int:
    """What "auto" GPU layers means for the model file at `path` with a context of `n_ctx`.

    0 when llama.cpp has no GPU device (a CPU-only build, or no GPU found); -1 (all) when the GPU
    does not report its memory, as before "auto" was sized; else the layers that fit the first
    GPU's free memory (`fit.gpu_layers_that_fit`). Imports llama_cpp and reads the GGUF header.
    """
    device = offload_device()
    if device is None:
        return 0
    if not device.memory_free:
        return -1
    try:
        size = path.stat().st_size
    except OSError:
        return -1  # the load itself says what is wrong with the file
    try:
        shape = Shape.from_header(read_header(path), size)
    except (GGUFError, OSError):
        shape = Shape.from_size(size)
    layers = gpu_layers_that_fit(shape, n_ctx, device.memory_free)
    log.info("auto GPU layers for %s: %d (%s, %.1f GiB free)", path.name, layers,
             device.description or device.name, device.memory_free / 2**30)
    return layers


def ggml_type(name: str) -> int:
    """The GGML type number of a KV cache type name, for `Llama(type_k=..., type_v=...)`.

    Imports llama_cpp, so call it where the model is loaded. Note that llama.cpp refuses a
    quantized V cache without flash attention.
    """
    if name not in KV_CACHE_TYPES:
        raise ValueError(f"not a KV cache type: {name!r}")
    import llama_cpp

    return int(getattr(llama_cpp, f"GGML_TYPE_{name.upper()}"))
