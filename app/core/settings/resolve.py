"""Settings as the values the engine is asked for: sampling parameters for an answer, and the
options a model is loaded with."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from app.core.engine.base import GPU_LAYERS_AUTO, GenerationParams, LoadSpec
from app.core.engine.hardware import physical_cores
from app.core.engine.offload import gpu_layers
from app.core.engine.remote import remote_spec
from app.core.models.library import ModelEntry
from app.core.settings.file import SettingsFile
from app.core.settings.schema import SETTINGS, Value


def generation_params(settings: SettingsFile, model: str | None = None,
                      base: GenerationParams | None = None) -> GenerationParams:
    """The sampling settings to answer with, before a conversation's own (`Conversation.params`,
    applied by the caller on top).

    Each field, from weakest to strongest: the declared default, `base` (the model's recommended
    sampling, `ModelEntry.default_params`), the user's global value if they set one, the user's
    override for `model`. What the user chose beats what the app guessed for the model; a
    per-model override is how they make one model differ from their global choice.
    """
    start = base if base is not None else GenerationParams()
    chosen: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.group == "Sampling" and (
                settings.is_set(setting.key) or
                (model is not None and settings.is_set(setting.key, model))):
            chosen[setting.name] = settings.get(setting.key, model)
    return dataclasses.replace(start, **chosen)


class LoadOptions(TypedDict):
    """The load-time settings, named as `LoadSpec` fields (and, but for `kv_cache_type`, as
    `llama_cpp.Llama` arguments). `kv_cache_type` is a name in `KV_CACHE_TYPES`: `ggml_type`
    gives the `type_k`/`type_v` value."""

    n_ctx: int
    n_threads: int | None
    n_threads_batch: int | None
    n_batch: int
    n_gpu_layers: int
    flash_attn: bool
    kv_cache_type: str
    use_mmap: bool
    use_mlock: bool


def _int(value: Value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def _bool(value: Value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def load_options(settings: SettingsFile, model: str | None = None, *, can_offload: bool = False,
                 layers: int | None = None, fit: Callable[[], int] | None = None) -> LoadOptions:
    """The model and hardware settings as concrete values for loading `model`.

    "auto" threads become None (`LoadSpec`: one per physical core); GPU layers go through
    `gpu_layers` with `can_offload`, `layers` and `fit`.
    """
    def get(key: str) -> Value:
        return settings.get(key, model)

    threads = get("hardware.n_threads")
    batch_threads = get("hardware.n_threads_batch")
    gpu = get("hardware.n_gpu_layers")
    return LoadOptions(
        n_ctx=_int(get("model.n_ctx")),
        n_threads=None if threads == "auto" else _int(threads),
        n_threads_batch=None if batch_threads == "auto" else _int(batch_threads),
        n_batch=_int(get("hardware.n_batch")),
        n_gpu_layers=gpu_layers(gpu if isinstance(gpu, str) else _int(gpu), can_offload, layers,
                                fit=fit),
        flash_attn=_bool(get("model.flash_attn")),
        kv_cache_type=str(get("model.kv_cache_type")),
        use_mmap=_bool(get("hardware.use_mmap")),
        use_mlock=_bool(get("hardware.use_mlock")),
    )


def load_spec(settings: SettingsFile, path: Path, model: str | None = None, *,
              n_ctx: int | None = None) -> LoadSpec:
    """How to load the model file at `path` (known to the settings as `model`): the settings'
    load options, `n_ctx` over theirs when given (a `--ctx` flag, a test's small context).

    "Auto" GPU layers are `GPU_LAYERS_AUTO`: the engine's load asks `auto_gpu_layers` for the
    layers that fit the GPU's free memory at that context (none on a CPU-only build).
    """
    options = load_options(settings, model, can_offload=True, fit=lambda: GPU_LAYERS_AUTO)
    if n_ctx is not None:
        options["n_ctx"] = n_ctx
    return LoadSpec(path, **options)


def entry_spec(settings: SettingsFile, entry: ModelEntry, *, n_ctx: int | None = None
               ) -> LoadSpec:
    """How to load `entry`: a file with the settings' load options (`load_spec`), a model of a
    connection with the context the connection assumes (the server's own decides)."""
    if entry.remote is not None:
        return remote_spec(entry.remote)
    return load_spec(settings, entry.path, entry.name, n_ctx=n_ctx)


def summary_parallel(settings: SettingsFile) -> int:
    """How many of a summary's parts are read at once: the number set, or 0 for "auto", which
    the engine decides (`engine.batched_engine.parts_engine`: 4 on a GPU, else 1)."""
    value = settings.get("hardware.summary_parallel")
    return 0 if value == "auto" else max(1, _int(value))


def parallel_count(settings: SettingsFile, key: str) -> int:
    """Requests the server answers at once (`key` "server.parallel"): the number set, or for
    "auto" 4, 8 on more than 8 cores (on two cores llama.cpp's total speed at 4 sequences is
    1.3-1.4x one sequence's, at 8 near 2x, but each answer then comes at a quarter of the
    speed); the engine lowers it to what memory holds when it loads."""
    value = settings.get(key)
    if value == "auto":
        cores = physical_cores()
        return 4 if cores <= 8 else 8
    return max(1, _int(value))


def state_limits(settings: SettingsFile) -> tuple[int, int]:
    """Bytes of memory and of disk for chats' kept states (`engine.states.StateCache`)."""
    ram, disk = settings.get("hardware.state_ram_mb"), settings.get("hardware.state_disk_mb")
    return _int(ram) << 20, _int(disk) << 20
