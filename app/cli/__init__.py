"""The `lamplight` command: the GUI by default, and subcommands for the terminal.

Exit status: 0 success, 2 bad usage or bad input (one line on stderr), 1 any other failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TextIO

from app import __version__
from app.cli.common import (
    DEFAULT_CTX,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
)
from app.core.engine import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    EngineError,
    LoadSpec,
    ModelLoadError,
)
from app.core.models.library import ModelNotFoundError
from app.logs import setup_logging
from app.paths import AppPaths


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="keep every file the app reads or writes under DIR")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="also log to stderr")

    parser = Parser(prog="lamplight", parents=[common],
                     description="Chat with language models that run on this machine. "
                                 "Without a command, opens the window.")
    parser.add_argument("--version", action="version", version=f"lamplight {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    chat = commands.add_parser(
        "chat", parents=[common], help="chat in the terminal",
        description="With PROMPT: one answer. Without: each line of piped input is the next "
                    "turn of one conversation, or an interactive prompt on a terminal.")
    chat.add_argument("prompt", nargs="?", metavar="PROMPT")
    chat.add_argument("--model", default="builtin", metavar="NAME|PATH",
                      help="'builtin' (default), a name 'lamplight models list' shows, or a "
                           ".gguf path")
    chat.add_argument("--max-tokens", type=int, default=None, metavar="N",
                      help="longest answer in tokens (default: until the model stops)")
    chat.add_argument("--ctx", type=int, default=DEFAULT_CTX, metavar="N",
                      help=f"context window in tokens (default {DEFAULT_CTX})")
    chat.add_argument("--system", default="", metavar="TEXT", help="system prompt")
    chat.add_argument("--temperature", type=float, default=None, metavar="T",
                      help="sampling temperature (default: what suits the model)")
    chat.add_argument("--seed", type=int, default=None, metavar="N")
    chat.add_argument("--stats", action="store_true",
                      help="write one JSON object of timings per answer to stderr")
    from app.cli import models

    models.add_parser(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "max_tokens", None) is not None and args.max_tokens <= 0:
            raise UsageError("--max-tokens must be a positive number")
        if getattr(args, "ctx", DEFAULT_CTX) < 64:
            raise UsageError("--ctx must be at least 64")
        paths = AppPaths.resolve(getattr(args, "data_dir", None))
        try:
            paths.ensure()
        except OSError as exc:
            raise UsageError(f"cannot use data dir: {exc}") from None
        setup_logging(paths, verbose=getattr(args, "verbose", False))
        if args.command == "chat":
            return run_chat(args, paths)
        if args.command == "models":
            from app.cli import models

            return models.run(args, paths)
        from app.qt.application import run_gui  # Qt is loaded only for the window

        return run_gui(paths)
    except UsageError as exc:
        print(f"lamplight: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _turns(args: argparse.Namespace, stdin: TextIO) -> Iterator[str]:
    if args.prompt is not None:
        yield args.prompt
    elif not stdin.isatty():
        for line in stdin:
            if line.strip():
                yield line.rstrip("\n")
    else:
        print("Type a message; Ctrl+C stops an answer, Ctrl+D or /exit quits.", file=sys.stderr)
        while True:
            try:
                line = input(">>> ")
            except EOFError:
                print(file=sys.stderr)
                return
            if line.strip() in ("/exit", "/quit", "/bye"):
                return
            if line.strip():
                yield line


def run_chat(args: argparse.Namespace, paths: AppPaths) -> int:
    from app.cli.models import resolve_installed
    from app.core.engine.llama_cpp_backend import LlamaCppEngine

    try:
        entry = resolve_installed(args.model, paths)
    except ModelNotFoundError as exc:
        raise UsageError(str(exc)) from None
    engine = LlamaCppEngine()
    try:
        engine.load(LoadSpec(entry.path, n_ctx=args.ctx))
    except ModelLoadError as exc:
        raise UsageError(str(exc)) from None

    current: list[CancelToken] = []

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if current and not current[-1].cancelled:
            current[-1].cancel()  # stop this answer, keep the conversation
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    params = dataclasses.replace(
        entry.default_params, max_tokens=args.max_tokens, seed=args.seed,
        temperature=entry.default_params.temperature if args.temperature is None
        else args.temperature)
    history = [ChatMessage("system", args.system)] if args.system else []
    out = sys.stdout
    try:
        for prompt in _turns(args, sys.stdin):
            turn = [*history, ChatMessage("user", prompt)]
            token = CancelToken()
            current.append(token)

            def write(piece: str) -> None:
                out.write(piece)
                out.flush()

            try:
                result = engine.stream_chat(turn, params, write, token)
            except ContextOverflowError as exc:
                raise UsageError(str(exc)) from None
            finally:
                current.pop()
            out.write("\n")
            out.flush()
            if args.stats:
                print(json.dumps(result.stats.as_json()), file=sys.stderr, flush=True)
            history = [*turn, ChatMessage("assistant", result.text)]
    except EngineError as exc:
        print(f"lamplight: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): not an error worth a traceback
    finally:
        engine.unload()
    return EXIT_OK
