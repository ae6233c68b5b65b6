"""`lamplight serve`: the installed models as an OpenAI-compatible API, until Ctrl+C.

It prints the address (`http://127.0.0.1:5757/v1`) to stdout when it listens, and one line per
problem to stderr. A request's `model` loads that installed model on demand; `--model` loads one
before the first request. Chats are not kept unless the *Save API chats* setting is on. Up to
`--parallel` requests (the *Parallel requests* setting) are answered at once, decoded together.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from app.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    error,
    load_settings,
    setting_flag,
    warn,
)
from app.core.engine.base import EngineError
from app.core.engine.runner import EngineRunner
from app.core.models.library import ModelEntry, ModelNotFoundError
from app.core.settings.resolve import parallel_count
from app.core.settings.schema import BY_KEY, SettingError, validate
from app.i18n import _
from app.paths import AppPaths

KEY_MAX_BYTES = 4096


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve", parents=[common], help=_("serve the models as an OpenAI-compatible API"),
        description=_("Listens on 127.0.0.1 unless --host says otherwise; any other address "
                      "needs --api-key-file. Ctrl+C stops it."))
    serve.add_argument("--model", default=None, metavar="NAME|PATH",
                       help=_("load this model at start (requests may name any installed "
                              "one)"))
    serve.add_argument("--host", default="127.0.0.1", metavar="H",
                       help=_("address to listen on (default 127.0.0.1, this machine only)"))
    serve.add_argument("--port", type=_port, default=None, metavar="P",
                       help=_("port (default: the Port setting, 5757; 0 picks a free one)"))
    serve.add_argument("--api-key-file", type=Path, default=None, metavar="F",
                       help=_("a file holding the key clients must send as 'Authorization: "
                              "Bearer KEY'"))
    serve.add_argument("--parallel", type=setting_flag("server.parallel"), default=None,
                       metavar="N",
                       help=_("answer up to N requests at once, decoded together (default: "
                              "the settings', auto: 4; 1: one after another)"))


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("not a port number: {value}").format(value=repr(text))) from None
    if port != 0:
        try:
            validate(BY_KEY["server.port"], port)
        except SettingError as exc:  # in words, not argparse's "invalid _port value"
            raise argparse.ArgumentTypeError(str(exc)) from None
    return port


def read_key(path: Path) -> str:
    """The API key in `path`: its first line, which must not be empty."""
    try:
        with path.open("rb") as file:
            data = file.read(KEY_MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(_("cannot read the API key file {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    if len(data) > KEY_MAX_BYTES:
        raise UsageError(_("the API key file {path} is over {limit} bytes").format(
            path=path, limit=KEY_MAX_BYTES))
    lines = data.decode("utf-8", errors="replace").splitlines()
    key = lines[0].strip() if lines else ""
    if len(key) < 8 or not key.isprintable() or not key.isascii():
        raise UsageError(_("the API key in {path} must be one line of at least 8 ASCII "
                           "characters").format(path=path))
    return key


def run(args: argparse.Namespace, paths: AppPaths) -> int:
    from app.cli.models import resolve_installed
    from app.core.engine.llama_cpp_backend import LlamaCppEngine
    from app.server.app import ServerConfig
    from app.server.run import LocalServer, ServerStartError

    settings = load_settings(paths)
    key = read_key(args.api_key_file) if args.api_key_file is not None else None
    extra: tuple[ModelEntry, ...] = ()
    first: ModelEntry | None = None
    if args.model is not None:
        try:
            first = resolve_installed(args.model, paths)
        except ModelNotFoundError as exc:
            raise UsageError(str(exc)) from None
        extra = (first,)
    parallel = (args.parallel if args.parallel is not None
                else parallel_count(settings, "server.parallel"))
    runner = EngineRunner(LlamaCppEngine)
    server = LocalServer(runner, settings, data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False, extra=extra,
                         parallel=parallel, on_note=warn)
    try:
        if first is not None:
            print(_("Loading {name}…").format(name=first.display_name), file=sys.stderr,
                  flush=True)
            try:
                loaded = runner.call(
                    "api", lambda engine: server.served.engine_for(engine, first))
            except EngineError as exc:
                error(exc)
                return EXIT_FAILURE
            if loaded.model is not None:  # what memory made room for (the note said why)
                parallel = min(parallel, loaded.model.parallel)
        config = ServerConfig.from_settings(settings, host=args.host, port=args.port,
                                            api_key=key)
        try:
            address = server.start(config)
        except ServerStartError as exc:
            error(exc)
            return EXIT_FAILURE
        print(address.url, flush=True)
        print(_("Serving the OpenAI-compatible API; Ctrl+C stops."), file=sys.stderr,
              flush=True)
        print(_("Answering up to {n} requests at once.").format(n=parallel), file=sys.stderr,
              flush=True)
        _wait_for_interrupt()
        print(_("Stopping…"), file=sys.stderr, flush=True)
        return EXIT_OK
    finally:
        server.stop()
        runner.shutdown(last=lambda engine: engine.unload())


def _wait_for_interrupt() -> None:
    """Sleep until Ctrl+C or SIGTERM."""
    done = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not done.wait(0.5):
            pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
