"""The devices llama.cpp can run on: the CPU and, in a CUDA, Metal or Vulkan build, the GPUs;
and the machine as the settings panel describes it (`read_hardware`).

Read from ggml's backend registry (`ggml-backend.h`) with ctypes, on the very ggml libraries
llama-cpp-python loads: it wraps none of these functions. Importing llama_cpp registers the
backends built in; a build with `GGML_BACKEND_DL` registers none until they are loaded, which
is done here from llama-cpp-python's library folder. Nothing here raises: if the registry
cannot be read, the answer is the CPU alone (what every build has).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import platform
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psutil

from app.core.engine.hardware import physical_cores, total_ram_bytes
from app.i18n import _

log = logging.getLogger(__name__)

DeviceKind = Literal["cpu", "gpu", "igpu", "accel"]

# enum ggml_backend_dev_type, in the order of this llama.cpp's ggml-backend.h. The fifth value,
# META (a device wrapping several others for tensor parallelism), is not a device of its own.
_KINDS: dict[int, DeviceKind] = {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel"}

_size_p = ctypes.POINTER(ctypes.c_size_t)
# name: (restype, argtypes), declared here rather than on the shared CDLL objects so that
# llama-cpp-python's own declarations are never touched.
_SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "ggml_backend_dev_count": (ctypes.c_size_t, ()),
    "ggml_backend_dev_get": (ctypes.c_void_p, (ctypes.c_size_t,)),
    "ggml_backend_dev_name": (ctypes.c_char_p, (ctypes.c_void_p,)),
    "ggml_backend_dev_description": (ctypes.c_char_p, (ctypes.c_void_p,)),
    "ggml_backend_dev_type": (ctypes.c_int, (ctypes.c_void_p,)),
    "ggml_backend_dev_memory": (None, (ctypes.c_void_p, _size_p, _size_p)),
    "ggml_backend_dev_backend_reg": (ctypes.c_void_p, (ctypes.c_void_p,)),
    "ggml_backend_reg_name": (ctypes.c_char_p, (ctypes.c_void_p,)),
}
_LOAD_ALL = "ggml_backend_load_all_from_path"
# The first read loads llama.cpp and binds the registry: once, whichever threads ask at once
# (the window reads it on a worker thread while the inference thread may be loading a model).
_registry_lock = threading.Lock()


@dataclass(frozen=True)
class Device:
    """One ggml backend device. Memory is in bytes; 0 where the backend does not say."""

    name: str          # "CPU", "CUDA0", "Metal", "Vulkan0"
    description: str   # "AMD EPYC", "NVIDIA H100 80GB HBM3"
    kind: DeviceKind   # igpu: an integrated GPU sharing the system's memory
    backend: str       # the registry's name: "CPU", "CUDA", "Metal", "Vulkan", "BLAS"
    memory_free: int
    memory_total: int

    @property
    def offloads(self) -> bool:
        """Whether llama.cpp can put model layers on it."""
        return self.kind in ("gpu", "igpu")


def devices() -> list[Device]:
    """Every device of this llama.cpp build, as ggml lists them (the CPU among them), with the
    memory free now. Imports llama_cpp. Never raises: the CPU alone if the registry is unread."""
    with _registry_lock:
        ggml = _ggml()
    if ggml is None:
        return [_cpu_fallback()]
    try:
        found = []
        for index in range(ggml["ggml_backend_dev_count"]()):
            device = _read_device(ggml, ggml["ggml_backend_dev_get"](index))
            if device is not None:
                found.append(device)
    except (ctypes.ArgumentError, OSError, ValueError) as exc:  # pragma: no cover - defensive
        log.warning("cannot list llama.cpp's devices: %s", exc)
        return [_cpu_fallback()]
    return found or [_cpu_fallback()]


def offload_device(found: Sequence[Device] | None = None) -> Device | None:
    """The device "auto" GPU layers are sized for: the first GPU, else the first integrated
    one (llama.cpp uses an iGPU only when there is no GPU), else None."""
    found = devices() if found is None else found
    gpus = [d for d in found if d.kind == "gpu"] or [d for d in found if d.kind == "igpu"]
    return gpus[0] if gpus else None


def gpu_backend(found: Sequence[Device] | None = None) -> str | None:
    """"CUDA", "Metal", "Vulkan", ...: the backend of the GPU llama.cpp offloads to; None when
    this build (or this machine) runs on the CPU only."""
    device = offload_device(found)
    return device.backend if device else None


def describe_backend(found: Sequence[Device] | None = None) -> str:
    """One line for the settings panel: "CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free", or
    "llama.cpp backend: CPU only"."""
    found = devices() if found is None else found
    backend = gpu_backend(found)
    if backend is None:
        return _("llama.cpp backend: CPU only")
    gpus = [d for d in found if d.offloads and d.backend == backend]
    return f"{backend}: " + "; ".join(_describe_device(d) for d in gpus)


def supports_gpu_offload() -> bool:
    """Whether this llama.cpp build can put layers on a GPU (or an RPC server). Imports
    llama_cpp."""
    from app.core.engine import native

    return bool(native.load_llama_cpp().llama_supports_gpu_offload())


@dataclass(frozen=True)
class Hardware:
    """This machine as the settings panel shows it: cores, memory and what llama.cpp runs on."""

    cores: int
    ram_bytes: int
    can_offload: bool    # `supports_gpu_offload()`
    gpu_backend: str | None
    backend: str         # "CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free", "...: CPU only"

    def describe(self) -> str:
        """"8 CPU cores · 31.3 GiB RAM · CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free"."""
        return _("{cores} CPU cores · {ram} GiB RAM · {backend}").format(
            cores=self.cores, ram=f"{self.ram_bytes / 2**30:.1f}", backend=self.backend)


def read_hardware() -> Hardware:
    """This machine and what llama.cpp runs on, the GPUs' free memory as it is now. Imports
    llama_cpp and asks every device for its memory: keep it off a GUI thread."""
    found = devices()
    try:
        can_offload = supports_gpu_offload()
    except Exception as exc:  # llama.cpp does not load: what it runs on is the CPU, if anything
        log.warning("cannot ask llama.cpp about GPU offload: %s", exc)
        can_offload = False
    gpu = gpu_backend(found)
    backend = describe_backend(found)
    if can_offload and gpu is None:  # offload to no local GPU: an RPC server
        backend = _("llama.cpp backend: GPU offload available")
    return Hardware(physical_cores(), total_ram_bytes(), can_offload, gpu, backend)


def _describe_device(device: Device) -> str:
    text = device.description or device.name
    if device.memory_total:
        text = _("{device}, {free} GiB free").format(device=text,
                                                     free=f"{device.memory_free / 2**30:.1f}")
    return text


def _read_device(ggml: dict[str, Any], handle: int | None) -> Device | None:
    if not handle:
        return None
    kind = _KINDS.get(ggml["ggml_backend_dev_type"](handle))
    if kind is None:
        return None
    free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
    ggml["ggml_backend_dev_memory"](handle, ctypes.byref(free), ctypes.byref(total))
    reg = ggml["ggml_backend_dev_backend_reg"](handle)
    return Device(
        name=_text(ggml["ggml_backend_dev_name"](handle)),
        description=_text(ggml["ggml_backend_dev_description"](handle)),
        kind=kind,
        backend=_text(ggml["ggml_backend_reg_name"](reg)) if reg else "",
        memory_free=int(free.value),
        memory_total=int(total.value),
    )


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", errors="replace").strip() if value else ""


def _cpu_fallback() -> Device:
    memory = psutil.virtual_memory()
    return Device("CPU", platform.processor() or "CPU", "cpu", "CPU",
                  int(memory.available), int(memory.total))


@functools.cache
def _ggml() -> dict[str, Any] | None:
    """The registry functions, bound once; None (and a log line) when they cannot be had."""
    try:
        from app.core.engine import native

        # Its import registers the backends built into the library.
        llama_cpp = native.load_llama_cpp()
        libraries = [llama_cpp.llama_cpp._lib]
        try:
            ggml = _bind_all(libraries)
        except AttributeError:
            libraries += _ggml_libraries(llama_cpp)
            ggml = _bind_all(libraries)
        if ggml["ggml_backend_dev_count"]() == 0:
            # GGML_BACKEND_DL: the backends are separate libraries that nothing has loaded yet.
            # llama.cpp's own fallback looks next to the executable (python), not in lib/.
            folder = str(_library_folder(llama_cpp)).encode()
            _bind(libraries, _LOAD_ALL, None, (ctypes.c_char_p,))(folder)
    except Exception as exc:
        log.warning("cannot read llama.cpp's devices, assuming the CPU only: %s", exc)
        return None
    return ggml


def _library_folder(llama_cpp: Any) -> Path:
    # llama-cpp-python's own choice, which honours LLAMA_CPP_LIB_PATH.
    folder = getattr(llama_cpp.llama_cpp, "_base_path", None)
    return Path(folder) if folder else Path(llama_cpp.__file__).parent / "lib"


def _ggml_libraries(llama_cpp: Any) -> list[ctypes.CDLL]:
    """ggml-base and ggml loaded by name from llama-cpp-python's folder: for Windows, where a
    symbol is not looked up in a library's dependencies. (Elsewhere libllama's handle finds
    them; loading them by file name there could map second copies with registries of their
    own, since wheels copy `libggml.so.0` to `libggml.so` rather than linking it.)"""
    from llama_cpp._ctypes_extensions import load_shared_library

    folder = _library_folder(llama_cpp)
    libraries = []
    for name in ("ggml-base", "ggml"):
        try:
            libraries.append(load_shared_library(name, folder))
        except (OSError, RuntimeError) as exc:
            log.debug("no %s library in %s: %s", name, folder, exc)
    return libraries


def _bind_all(libraries: Sequence[ctypes.CDLL]) -> dict[str, Any]:
    return {name: _bind(libraries, name, *signature) for name, signature in _SIGNATURES.items()}


def _bind(libraries: Sequence[ctypes.CDLL], name: str, restype: Any,
          argtypes: tuple[Any, ...]) -> Any:
    """A fresh foreign function for `name` from the first library that exports it."""
    prototype = ctypes.CFUNCTYPE(restype, *argtypes)
    for library in libraries:
        if hasattr(library, name):
            return prototype((name, library))
    raise AttributeError(f"no llama.cpp library exports {name}")
