"""What this machine runs models on, read off the GUI thread, and told as facts.

Reading it loads llama.cpp (seconds, the first time, when no model has loaded it yet) and asks
every GPU for its free memory, so the window never reads it itself: `HardwareProbe.refresh()`
reads on a worker thread and `read` hands the reading to the GUI thread. `hardware_facts`
words a reading as the settings' Hardware card shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.core.engine.devices import Hardware, read_hardware
from app.qt.workers.background import BackgroundCall

log = logging.getLogger(__name__)

READING = "Reading the hardware…"  # in English; `hardware_facts` says it in the language
UNKNOWN = "…"  # a fact not read yet


@dataclass(frozen=True)
class Fact:
    """One fact of the machine: `key` (stable, for names), `name` and `value` as shown."""

    key: str
    name: str
    value: str


@dataclass(frozen=True)
class Facts:
    """A reading in words: the facts side by side, the backend's line under them, and the
    whole in one line (`summary`: `Hardware.describe`, or that it is being read)."""

    facts: tuple[Fact, ...]
    backend: str
    summary: str


def hardware_facts(hardware: Hardware | None) -> Facts:
    """`hardware` as facts: CPU cores, memory (RAM), GPU offload (the GPU backend, or that
    this build runs on the CPU only), and what llama.cpp runs on, in the current language.
    None: not read yet."""
    cores = QCoreApplication.translate("HardwareCard", "CPU cores")
    ram = QCoreApplication.translate("HardwareCard", "Memory (RAM)")
    gpu = QCoreApplication.translate("HardwareCard", "GPU offload")
    if hardware is None:
        reading = QCoreApplication.translate("HardwareCard", "Reading the hardware…")
        return Facts((Fact("cores", cores, UNKNOWN), Fact("ram", ram, UNKNOWN),
                      Fact("offload", gpu, UNKNOWN)), reading, reading)
    if hardware.can_offload:
        offload = hardware.gpu_backend or QCoreApplication.translate("HardwareCard", "Available")
    else:
        offload = QCoreApplication.translate("HardwareCard", "Not in this build")
    return Facts((Fact("cores", cores, str(hardware.cores)),
                  Fact("ram", ram, f"{hardware.ram_bytes / 2**30:.1f} GiB"),
                  Fact("offload", gpu, offload)),
                 QCoreApplication.translate("HardwareCard", "Runs on: {backend}").format(
                     backend=hardware.backend),
                 hardware.describe())


class HardwareProbe(QObject):
    """The latest reading of this machine (`devices.read_hardware`), read again on request.

    Signals:
        read(object): a fresh `Hardware` reading, on the GUI thread.
    """

    read = Signal(object)

    def __init__(self, parent: QObject | None = None,
                 reader: Callable[[], Hardware] | None = None) -> None:
        super().__init__(parent)
        self._reader = reader  # None: `read_hardware`
        self._call: BackgroundCall | None = None
        self.latest: Hardware | None = None

    def refresh(self) -> None:
        """Read the machine again on a worker thread; a reading under way answers for both."""
        if self._call is not None:
            return
        call = BackgroundCall(self._reader or read_hardware, self.tr("Reading the hardware"))
        call.done.connect(self._on_read)
        call.failed.connect(self._on_failed)
        self._call = call.start()

    def _on_read(self, hardware: Hardware) -> None:
        self._call = None
        self.latest = hardware
        self.read.emit(hardware)

    def _on_failed(self, message: str) -> None:
        self._call = None
        log.warning("cannot read the hardware: %s", message)
