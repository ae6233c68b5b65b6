"""The servers elsewhere the user added (connections), kept in `connections.json` beside the
settings, and their API keys, kept in the operating system's credential store (`keyring`):
never in a file of ours, an export or a log.

    {"version": 1, "connections": [{"name": "gpu-box", "url": "http://gpu-box:8080/v1",
                                    "parallel": 4, "n_ctx": 0}]}

A model of a connection is named `NAME@CONNECTION` (`engine.connection.remote_ref`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.engine.connection import (
    Connection,
    RemoteTarget,
    normalize_url,
    shown_name,
    split_ref,
)
from app.core.jsonfile import JSONInputError, load_json, write_json
from app.i18n import _

log = logging.getLogger(__name__)

CONNECTIONS_FILE = "connections.json"
VERSION = 1
MAX_CONNECTIONS = 100
MAX_PARALLEL = 64
MAX_N_CTX = 10_000_000
KEYRING_SERVICE = "Lamplight"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class ConnectionConfigError(ValueError):
    """A connection that cannot be added, found or kept; the message says why."""


class KeyStoreError(ConnectionConfigError):
    """The credential store cannot keep or give the key; the message says what to do."""


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ConnectionConfigError(_(
            "'{name}' cannot name a connection: use up to 40 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.").format(name=shown_name(name)[:40]))
    return name


def check_parallel(value: int) -> int:
    if not 1 <= value <= MAX_PARALLEL:
        raise ConnectionConfigError(_("requests at once must be 1 to {most}, not {value}").format(
            most=MAX_PARALLEL, value=value))
    return value


def make_connection(name: str, url: str, *, parallel: int = 1, n_ctx: int = 0) -> Connection:
    """A connection from what the user typed, checked (`ConnectionConfigError` says what is
    wrong)."""
    try:
        base = normalize_url(url)
    except ValueError as exc:
        raise ConnectionConfigError(_("{reason}.").format(reason=exc)) from None
    if not 0 <= n_ctx <= MAX_N_CTX:
        raise ConnectionConfigError(_("the context length must be 0 (ask the server) to {most}")
                                    .format(most=MAX_N_CTX))
    return Connection(check_name(name), base, check_parallel(parallel), n_ctx)


class KeyStore:
    """API keys in the OS credential store, one per connection name."""

    def get(self, name: str) -> str | None:
        """The key kept for `name`; None when there is none, or no store to ask (logged)."""
        try:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, _user(name))
        except Exception as exc:  # no store, a locked one, a backend failing its own way
            log.warning("cannot read the key of connection %s: %s", name, type(exc).__name__)
            return None

    def set(self, name: str, key: str) -> None:
        try:
            import keyring

            keyring.set_password(KEYRING_SERVICE, _user(name), key)
        except Exception as exc:
            raise KeyStoreError(_no_store(exc)) from None

    def delete(self, name: str) -> None:
        try:
            import keyring

            keyring.delete_password(KEYRING_SERVICE, _user(name))
        except Exception as exc:  # none was kept, or no store: nothing to delete either way
            log.debug("no key deleted for connection %s: %s", name, type(exc).__name__)


def _user(name: str) -> str:
    return f"connection:{name}"


def _no_store(exc: Exception) -> str:
    from keyring.errors import NoKeyringError

    if isinstance(exc, NoKeyringError):
        return _("This system has no credential store for the API key (keyring found none): "
                 "install and unlock one (GNOME Keyring or KWallet on Linux; macOS and Windows "
                 "have theirs), or use a connection without a key.")
    return _("The credential store refused to keep the API key ({reason}).").format(
        reason=f"{type(exc).__name__}: {shown_name(exc)[:120]}")


@dataclass
class Connections:
    """The connections in `config_dir/connections.json`, in the order they were added.

    `problems` says, one line each, what was wrong in the file (a damaged file keeps the
    others readable and is not overwritten until something changes)."""

    path: Path
    items: list[Connection] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    keys: KeyStore = field(default_factory=KeyStore, repr=False)

    @classmethod
    def load(cls, config_dir: Path, keys: KeyStore | None = None) -> Connections:
        found = cls(config_dir / CONNECTIONS_FILE, keys=keys or KeyStore())
        try:
            data = load_json(found.path, max_bytes=1024 * 1024)
        except FileNotFoundError:
            return found
        except (OSError, JSONInputError) as exc:
            found.problems.append(_("{file} cannot be read ({reason}); no connections.").format(
                file=CONNECTIONS_FILE, reason=exc))
            return found
        items = data.get("connections") if isinstance(data, dict) else None
        if not isinstance(items, list):
            found.problems.append(_("{file} has no list of connections.").format(
                file=CONNECTIONS_FILE))
            return found
        for item in items[:MAX_CONNECTIONS]:
            try:
                found.items.append(_from_json(item))
            except (ConnectionConfigError, TypeError, ValueError) as exc:
                found.problems.append(_("{file}: a connection is skipped: {reason}").format(
                    file=CONNECTIONS_FILE, reason=exc))
        return found

    def save(self) -> None:
        """Write the file (0600). Raises `OSError`."""
        write_json(self.path, {"version": VERSION, "connections": [
            {"name": c.name, "url": c.url, "parallel": c.parallel, "n_ctx": c.n_ctx}
            for c in self.items]})

    def get(self, name: str) -> Connection | None:
        """The connection called `name` (case as given, else any case), with its key."""
        found = next((c for c in self.items if c.name == name), None) or next(
            (c for c in self.items if c.name.lower() == name.lower()), None)
        return replace(found, api_key=self.keys.get(found.name)) if found else None

    def add(self, connection: Connection, key: str | None = None) -> None:
        """Add `connection`, or replace the one of its name; `key` (when given) goes to the
        credential store first, so a store that refuses it adds nothing."""
        if key:
            self.keys.set(connection.name, key)
        rest = [c for c in self.items if c.name.lower() != connection.name.lower()]
        if len(rest) >= MAX_CONNECTIONS:
            raise ConnectionConfigError(_("There are {n} connections already.").format(
                n=MAX_CONNECTIONS))
        self.items = [*rest, replace(connection, api_key=None)]
        self.save()

    def remove(self, name: str) -> Connection:
        found = next((c for c in self.items if c.name.lower() == name.lower()), None)
        if found is None:
            raise ConnectionConfigError(self.unknown(name))
        self.items = [c for c in self.items if c is not found]
        self.save()
        self.keys.delete(found.name)
        return found

    def unknown(self, name: str) -> str:
        shown = shown_name(name)[:40]
        if not self.items:
            return _("No connection named '{name}' (connections: none yet; add one with "
                     "'lamplight remotes add NAME URL' or in Settings → Connections).").format(
                         name=shown)
        return _("No connection named '{name}' (connections: {known}; add one with 'lamplight "
                 "remotes add NAME URL' or in Settings → Connections).").format(
                     name=shown, known=_(", ").join(c.name for c in self.items))

    def target(self, ref: str) -> RemoteTarget | None:
        """The model `NAME@CONNECTION` names; None when `ref` is not of that form. Raises
        `ConnectionConfigError` for a connection that does not exist."""
        parts = split_ref(ref)
        if parts is None:
            return None
        model, name = parts
        connection = self.get(name)
        if connection is None:
            raise ConnectionConfigError(self.unknown(name))
        return RemoteTarget(connection, model)


def _from_json(item: Any) -> Connection:
    if not isinstance(item, dict):
        raise ConnectionConfigError(_("not an object"))
    name, url = item.get("name"), item.get("url")
    parallel, n_ctx = item.get("parallel", 1), item.get("n_ctx", 0)
    if not isinstance(name, str) or not isinstance(url, str):
        raise ConnectionConfigError(_("no name or URL"))
    if not isinstance(parallel, int) or isinstance(parallel, bool) or \
            not isinstance(n_ctx, int) or isinstance(n_ctx, bool):
        raise ConnectionConfigError(_("'{name}': parallel and n_ctx must be numbers").format(
            name=shown_name(name)[:40]))
    return make_connection(name, url, parallel=parallel, n_ctx=n_ctx)
