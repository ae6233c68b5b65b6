"""The devices llama.cpp runs on, read from ggml's registry (this test install is a CPU build)."""

from __future__ import annotations

import pytest

from app.core.engine import devices as devices_module
from app.core.engine import native
from app.core.engine.devices import (
    Device,
    Hardware,
    describe_backend,
    devices,
    gpu_backend,
    offload_device,
    read_hardware,
    supports_gpu_offload,
)

GIB = 2**30
CPU = Device("CPU", "AMD EPYC", "cpu", "CPU", 20 * GIB, 24 * GIB)
H100 = Device("CUDA0", "NVIDIA H100 80GB HBM3", "gpu", "CUDA", int(78.9 * GIB), 80 * GIB)
A100 = Device("CUDA1", "NVIDIA A100 40GB", "gpu", "CUDA", 30 * GIB, 40 * GIB)
IGPU = Device("Vulkan0", "AMD Radeon 780M", "igpu", "Vulkan", 8 * GIB, 16 * GIB)
BLAS = Device("BLAS", "OpenBLAS", "accel", "BLAS", 0, 0)


def test_this_cpu_build_lists_the_cpu() -> None:
    found = devices()
    cpus = [d for d in found if d.kind == "cpu"]
    assert cpus, found
    assert cpus[0].backend == "CPU" and cpus[0].name == "CPU"
    assert cpus[0].memory_total > 0
    assert not any(d.offloads for d in found)


def test_this_cpu_build_has_no_gpu_backend() -> None:
    assert gpu_backend() is None
    assert offload_device() is None
    assert "CPU" in describe_backend()
    assert describe_backend() == "llama.cpp backend: CPU only"


def test_the_registry_read_agrees_with_llama_cpp() -> None:
    # llama_supports_gpu_offload() asks the same registry for a GPU or an iGPU (or RPC).
    assert (gpu_backend() is not None) == supports_gpu_offload()


def test_the_hardware_line_names_cores_memory_and_the_backend() -> None:
    hardware = read_hardware()
    assert hardware.cores >= 1 and hardware.ram_bytes > 0
    assert not hardware.can_offload and hardware.gpu_backend is None  # this CPU build
    assert hardware.describe().endswith(" GiB RAM · llama.cpp backend: CPU only")
    gpu = Hardware(8, 32 * GIB, True, "CUDA", "CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free")
    assert gpu.describe() == ("8 CPU cores · 32.0 GiB RAM · "
                              "CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free")


def test_a_gpu_is_described_with_its_free_memory() -> None:
    assert gpu_backend([CPU, H100]) == "CUDA"
    assert describe_backend([CPU, H100]) == "CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free"
    assert describe_backend([CPU, H100, A100]) == (
        "CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free; NVIDIA A100 40GB, 30.0 GiB free")
    no_memory = Device("Metal", "", "gpu", "Metal", 0, 0)
    assert describe_backend([CPU, no_memory]) == "Metal: Metal"


def test_a_gpu_comes_before_an_integrated_one_and_accelerators_do_not_offload() -> None:
    assert offload_device([CPU, IGPU, H100]) == H100
    assert offload_device([CPU, IGPU]) == IGPU
    assert gpu_backend([CPU, BLAS]) is None
    assert describe_backend([CPU, BLAS]) == "llama.cpp backend: CPU only"


def test_an_unreadable_registry_means_the_cpu_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices_module, "_ggml", lambda: None)
    (cpu,) = devices()
    assert cpu.kind == "cpu" and cpu.backend == "CPU" and cpu.memory_total > 0
    assert gpu_backend() is None


def test_a_failing_llama_cpp_gives_no_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError("libllama.so: cannot open shared object file")

    monkeypatch.setattr(native, "load_llama_cpp", broken)
    assert devices_module._ggml.__wrapped__() is None


def test_a_missing_symbol_is_an_error_the_registry_read_catches() -> None:
    with pytest.raises(AttributeError, match="ggml_nonexistent"):
        devices_module._bind([], "ggml_nonexistent", None, ())
