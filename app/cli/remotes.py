"""`lamplight remotes`: the servers elsewhere (connections) whose models the terminal can use,
as `--model NAME@CONNECTION`; and how `chat` and `summarize` load such a model.

A connection is kept in `connections.json` beside the settings, its API key in the system's
credential store (`settings.connections`): the key is read from stdin, never from the command
line (where `ps` and the shell's history would show it), and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from app.cli.common import EXIT_FAILURE, EXIT_OK, UsageError, error, field, warn
from app.core.engine import InferenceEngine, ModelLoadError
from app.core.engine.connection import Connection
from app.core.engine.remote import (
    PROBE_TIMEOUT_S,
    RemoteEngine,
    RemoteError,
    RemoteModel,
    ServerUnavailableError,
    list_models,
)
from app.core.engine.states import StateCache
from app.core.models.library import ModelEntry
from app.core.settings.connections import (
    ConnectionConfigError,
    Connections,
    KeyStoreError,
    make_connection,
)
from app.core.settings.file import SettingsFile
from app.core.settings.resolve import entry_spec
from app.i18n import _, ngettext
from app.paths import AppPaths

KEY_MAX_BYTES = 4096
# `models list` waits this long for all the connections together (they are asked at once): a
# server that never answers costs the listing a few seconds, not the connect timeout.
LISTING_WAIT_S = PROBE_TIMEOUT_S + 1.0


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    remotes = commands.add_parser(
        "remotes", parents=[common], help=_("servers elsewhere whose models you can use"),
        description=_("Connections to OpenAI-compatible servers (llama-server, vLLM, Ollama, "
                      "another Lamplight). Their models are named MODEL@CONNECTION: "
                      "'lamplight chat --model MODEL@CONNECTION'."))
    sub = remotes.add_subparsers(dest="remotes_command", metavar="ACTION", required=True,
                                 parser_class=type(remotes))
    add = sub.add_parser(
        "add", parents=[common], help=_("add a connection, or replace the one of that name"),
        description=_("URL is the server's OpenAI base URL ('gpu-box:8080' means "
                      "http://gpu-box:8080/v1). The API key, if the server wants one, is read "
                      "from stdin with --key-stdin and kept in the system's credential "
                      "store."))
    add.add_argument("name", metavar="NAME")
    add.add_argument("url", metavar="URL")
    add.add_argument("--key-stdin", action="store_true",
                     help=_("read the API key from the first line of stdin"))
    add.add_argument("--parallel", type=int, default=1, metavar="N",
                     help=_("requests the server may run at once (default 1)"))
    add.add_argument("--ctx", type=int, default=0, metavar="N",
                     help=_("context length to assume when the server does not say (default: "
                            "ask the server)"))
    sub.add_parser("list", parents=[common], help=_("the connections, one per line"))
    rm = sub.add_parser("rm", parents=[common], help=_("remove a connection and its key"))
    rm.add_argument("name", metavar="NAME")
    test = sub.add_parser("test", parents=[common],
                          help=_("ask a connection's server for its models"))
    test.add_argument("name", metavar="NAME")


def run(args: argparse.Namespace, paths: AppPaths) -> int:
    connections = load_connections(paths)
    actions: dict[str, Callable[[], int]] = {
        "add": lambda: _add(args, connections), "list": lambda: _list(connections),
        "rm": lambda: _rm(args, connections), "test": lambda: _test(args, connections)}
    try:
        return actions[args.remotes_command]()
    except KeyStoreError as exc:  # before its base: not bad input, the system lacks a store
        error(exc)
        return EXIT_FAILURE
    except ConnectionConfigError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # connections.json could not be written
        error(_("cannot save the connections: {reason}").format(reason=exc.strerror or exc))
        return EXIT_FAILURE


def load_connections(paths: AppPaths) -> Connections:
    """The connections; a problem in their file is one warning line each."""
    connections = Connections.load(paths.config_dir)
    for problem in connections.problems:
        warn(_("connections: {problem}").format(problem=problem))
    return connections


def _add(args: argparse.Namespace, connections: Connections) -> int:
    connection = make_connection(args.name, args.url, parallel=args.parallel, n_ctx=args.ctx)
    key = read_key(sys.stdin) if args.key_stdin else None
    old = connections.get(connection.name)
    # A key typed for one server is not sent to another: replacing a connection keeps its key
    # only while the URL stays the same.
    kept = key or (old.api_key if old is not None and old.url == connection.url else None)
    connections.add(connection, kept)  # the key first: a store that refuses it adds nothing
    if old is not None and (old.name != connection.name or not kept):
        connections.keys.delete(old.name)
    print(_added(connection, replaced=old is not None, key=bool(key), kept=bool(kept),
                 lost=old is not None and bool(old.api_key)), file=sys.stderr)
    return EXIT_OK


def _added(connection: Connection, *, replaced: bool, key: bool, kept: bool,
           lost: bool) -> str:
    """What `remotes add` did, in one sentence: added or replaced, and with which key."""
    names = {"name": connection.name, "url": connection.url}
    if key:
        text = (_("Replaced connection '{name}' ({url}), with its key in the credential "
                  "store.") if replaced else
                _("Added connection '{name}' ({url}), with its key in the credential store."))
    elif kept:
        text = (_("Replaced connection '{name}' ({url}), keeping its key.") if replaced else
                _("Added connection '{name}' ({url}), keeping its key."))
    elif lost:  # the old one was for another URL
        text = _("Replaced connection '{name}' ({url}), without a key (the old one was for "
                 "another URL; give it with --key-stdin).")
    else:
        text = (_("Replaced connection '{name}' ({url}), without a key.") if replaced else
                _("Added connection '{name}' ({url}), without a key."))
    return text.format(**names)


def read_key(stdin: Any) -> str:
    """The API key: typed unseen at a prompt on a terminal, else the first line of stdin."""
    if stdin.isatty():
        try:
            text = getpass.getpass(_("API key: "))
        except EOFError:
            text = ""
    else:
        source: BinaryIO | None = getattr(stdin, "buffer", None)
        data = source.readline(KEY_MAX_BYTES + 1) if source is not None else \
            stdin.readline(KEY_MAX_BYTES + 1).encode("utf-8", errors="replace")
        if len(data) > KEY_MAX_BYTES:
            raise UsageError(_("the API key on stdin is over {limit} bytes").format(
                limit=KEY_MAX_BYTES))
        text = data.decode("utf-8", errors="replace")
    key = text.strip()
    if not key:
        raise UsageError(_("--key-stdin got no key: give it as the first line of stdin "
                           "(e.g. 'lamplight remotes add NAME URL --key-stdin < keyfile')"))
    if not key.isascii() or not key.isprintable():
        raise UsageError(_("the API key must be one line of printable ASCII characters"))
    return key


def _list(connections: Connections) -> int:
    for item in connections.items:
        connection = connections.get(item.name)  # with its key, if the store has one
        has_key = connection is not None and bool(connection.api_key)
        print(f"{field(item.name)}\t{field(item.url)}\tparallel {item.parallel}\t"
              f"key: {'yes' if has_key else 'no'}")
    if not connections.items:  # on stderr: stdout stays one line per connection for scripts
        print(_("No connections yet. Add one with 'lamplight remotes add NAME URL'."),
              file=sys.stderr)
    return EXIT_OK


def _rm(args: argparse.Namespace, connections: Connections) -> int:
    removed = connections.remove(args.name)
    print(_("Removed connection '{name}' ({url}) and its key, if it had one.").format(
        name=removed.name, url=removed.url), file=sys.stderr)
    return EXIT_OK


def _test(args: argparse.Namespace, connections: Connections) -> int:
    connection = connections.get(args.name)
    if connection is None:
        raise UsageError(connections.unknown(args.name))
    try:
        models = list_models(connection)
    except RemoteError as exc:
        error(exc)
        return EXIT_FAILURE
    for model in models:
        print(f"{field(model.id)}@{connection.name}\tctx {model.n_ctx or '?'}")
    print(ngettext("'{name}' ({url}) answers with {n} model.",
                   "'{name}' ({url}) answers with {n} models.", len(models)).format(
        name=connection.name, url=connection.url, n=len(models)), file=sys.stderr)
    return EXIT_OK


# -- every connection's models at once (`models list`) -------------------------------------


class Listing:
    """Each connection's models, asked for at once on daemon threads as soon as this is made,
    so they arrive while the local models are listed; one that does not answer within
    `LISTING_WAIT_S` is left behind (a daemon thread does not hold up the exit)."""

    def __init__(self, connections: Connections) -> None:
        self._results: dict[str, list[RemoteModel] | str] = {}
        self._lock = threading.Lock()
        self.connections = [c for c in (connections.get(i.name) for i in connections.items)
                            if c is not None]
        self._threads = [threading.Thread(target=self._ask, args=(c,), daemon=True,
                                          name=f"list-{c.name}") for c in self.connections]
        for thread in self._threads:
            thread.start()

    def _ask(self, connection: Connection) -> None:
        try:
            found: list[RemoteModel] | str = list_models(connection)
        except RemoteError as exc:
            found = str(exc)
        except Exception as exc:  # one server's oddity never fails the listing
            found = f"'{connection.name}' ({connection.url}): {type(exc).__name__}"
        with self._lock:
            self._results[connection.name] = found

    def results(self) -> list[tuple[Connection, list[RemoteModel] | str]]:
        """Each connection's models, or why there are none (one line), in the order added."""
        end = time.monotonic() + LISTING_WAIT_S
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))
        with self._lock:
            return [(c, self._results.get(c.name, _(
                "'{name}' ({url}) gave no list of models within {seconds} s").format(
                    name=c.name, url=c.url, seconds=f"{LISTING_WAIT_S:.0f}")))
                for c in self.connections]


# -- a model `--model` names, loaded here or elsewhere (`chat`, `summarize`) ---------------


def load_engine(entry: ModelEntry, settings: SettingsFile, *, n_ctx: int | None,
                states: StateCache | None = None) -> InferenceEngine:
    """An engine with `entry` loaded: llama.cpp here (with `states`), or the connection's
    server. Raises `UsageError` for a model that cannot be found or loaded as asked (exit 2),
    and `ModelLoadError` for a server that cannot be reached or refuses the key (exit 1)."""
    spec = entry_spec(settings, entry, n_ctx=n_ctx)
    if entry.remote is None:
        from app.core.engine.llama_cpp_backend import LlamaCppEngine

        local = LlamaCppEngine(states)
        try:
            local.load(spec)
        except ModelLoadError as exc:
            raise UsageError(str(exc)) from None
        return local
    if n_ctx is not None:
        warn(_("--ctx is not used for {name}: its server decides the context").format(
            name=entry.name))
    remote = RemoteEngine()
    try:
        remote.load(spec)
    except ModelLoadError as exc:
        # A server that gave no usable answer (unreachable, a refused key) is a failure; a
        # model the server does not have is bad input.
        if isinstance(exc, ServerUnavailableError):
            raise
        raise UsageError(str(exc)) from None
    return remote
