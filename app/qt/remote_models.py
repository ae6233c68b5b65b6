"""The models of the connections (servers elsewhere) as the window offers them: each server is
asked for its list off the GUI thread, and the answers are kept, so the model picker opens at
once with what was last heard and is brought up to date when the new answers come.

A connection's key is read from the credential store on the asking thread too: an OS store may
take a while to answer (or ask the user to unlock it).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from app.core.engine.connection import Connection, RemoteTarget
from app.core.engine.remote import RemoteError, RemoteModel, list_models
from app.core.models.library import ModelEntry, remote_entry
from app.core.settings.connections import ConnectionConfigError, Connections, KeyStore
from app.qt.workers.background import BackgroundCall

ASK_AGAIN_S = 10.0  # a picker opened again within this reuses the last answers as they are


def with_key(connection: Connection, keys: KeyStore) -> Connection:
    """`connection` with its API key from the credential store. Blocking: off the GUI thread."""
    return replace(connection, api_key=keys.get(connection.name))


def ask_models(connection: Connection, keys: KeyStore) -> list[RemoteModel]:
    """What `connection`'s server offers (`RemoteError`, one line). Blocking: off the GUI
    thread."""
    return list_models(with_key(connection, keys))


def explain(exc: BaseException) -> str | None:
    """A failure of asking a server, as the one line it already is."""
    if isinstance(exc, (RemoteError, ConnectionConfigError)):
        return str(exc)
    return None


def _ask_entries(connection: Connection, keys: KeyStore) -> tuple[ModelEntry, ...]:
    keyed = with_key(connection, keys)
    return tuple(remote_entry(RemoteTarget(keyed, model.id)) for model in list_models(keyed))


@dataclass(frozen=True)
class Probe:
    """What a connection answered when last asked: its models, or why it could not be reached
    (`error`, one line)."""

    connection: Connection
    entries: tuple[ModelEntry, ...] = ()
    error: str = ""

    @property
    def reachable(self) -> bool:
        return not self.error


class RemoteModels(QObject):
    """The connections (`Connections`, shared with the settings page that edits them) and what
    each answered when last asked (`probe_of`).

    Signals:
        probed(str): the named connection answered, or failed to: `probe_of` has it now.
        changed(): the connections were added, edited or removed; what was heard of them is
            forgotten and they are being asked again.
    """

    probed = Signal(str)
    changed = Signal()

    def __init__(self, connections: Connections, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.connections = connections
        self._probes: dict[str, Probe] = {}
        self._asking: dict[str, tuple[Connection, BackgroundCall]] = {}
        self._asked_at: dict[str, float] = {}

    def items(self) -> list[Connection]:
        return list(self.connections.items)

    def find(self, name: str) -> Connection | None:
        """The connection called `name` (any case), without its key."""
        return next((c for c in self.connections.items if c.name.lower() == name.lower()), None)

    def probe_of(self, name: str) -> Probe | None:
        """What the connection answered when last asked; None before its first answer."""
        return self._probes.get(name)

    def is_asking(self, name: str) -> bool:
        return name in self._asking

    def ask(self, *, again_after_s: float = ASK_AGAIN_S) -> None:
        """Ask each connection for its models on a thread of its own, unless it is being asked
        or answered less than `again_after_s` ago; `probed` follows for each."""
        now = time.monotonic()
        for connection in self.connections.items:
            name = connection.name
            if name in self._asking or now - self._asked_at.get(name, -math.inf) < again_after_s:
                continue
            self._asked_at[name] = now
            call = BackgroundCall(
                functools.partial(_ask_entries, connection, self.connections.keys),
                self.tr("Asking {server} for its models").format(server=name), explain=explain)
            call.done.connect(functools.partial(self._on_answer, connection))
            call.failed.connect(functools.partial(self._on_failure, connection))
            self._asking[name] = (connection, call)
            call.start()

    def reload(self) -> None:
        """The connections changed (the settings page saved them): forget every answer, since
        an URL or a key may be another now, and ask them all again."""
        for _connection, call in self._asking.values():
            call.abandon()
        self._asking.clear()
        self._probes.clear()
        self._asked_at.clear()
        self.changed.emit()
        self.ask()

    def _current(self, connection: Connection) -> bool:
        asking = self._asking.get(connection.name)
        return asking is not None and asking[0] is connection

    def _on_answer(self, connection: Connection, entries: tuple[ModelEntry, ...]) -> None:
        if self._current(connection):
            del self._asking[connection.name]
            self._asked_at[connection.name] = time.monotonic()
            self._probes[connection.name] = Probe(connection, entries)
            self.probed.emit(connection.name)

    def _on_failure(self, connection: Connection, message: str) -> None:
        if self._current(connection):
            del self._asking[connection.name]
            self._asked_at[connection.name] = time.monotonic()
            self._probes[connection.name] = Probe(connection, error=message)
            self.probed.emit(connection.name)
