"""What this machine runs models on, read off the GUI thread.

Reading it loads llama.cpp (seconds, the first time, when no model has loaded it yet) and asks
every GPU for its free memory, so the window never reads it itself: `HardwareProbe.refresh()`
reads on a worker thread and `read` hands the reading to the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.core.engine.devices import Hardware, read_hardware
from app.qt.workers.background import BackgroundCall

log = logging.getLogger(__name__)


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
        call = BackgroundCall(self._reader or read_hardware, "Reading the hardware")
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
