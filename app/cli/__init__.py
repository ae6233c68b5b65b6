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
from app.cli.answer_printer import AnswerPrinter
from app.cli.common import (
    DEFAULT_CTX,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
    chat_id,
    error,
    load_settings,
    reader_gone,
    setting_flag,
    speak,
    warn,
)
from app.core.chat.context import HistoryTooLongError
from app.core.chat.conversation import Conversation
from app.core.chat.service import ChatService, Turn
from app.core.chat.store import ConversationNotFoundError, ConversationStore, StoreError
from app.core.chat.turns import answer_turn
from app.core.engine import (
    CancelToken,
    ContextOverflowError,
    EngineError,
    GenerationResult,
    InferenceEngine,
    ModelLoadError,
)
from app.core.engine.states import StateCache
from app.core.models.library import BUILTIN_NAME, ModelEntry
from app.core.settings.resolve import state_limits
from app.core.settings.schema import OVERFLOW_POLICIES
from app.i18n import _
from app.logs import setup_logging
from app.paths import AppPaths


def build_parser() -> argparse.ArgumentParser:
    """The command line, in the language `speak` chose (call that first)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help=_("keep every file the app reads or writes under DIR"))
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=_("also log to stderr"))

    parser = Parser(prog="lamplight", parents=[common],
                     description=_("Chat with language models that run on this machine. "
                                   "Without a command, opens the window."))
    parser.add_argument("--version", action="version", version=f"lamplight {__version__}",
                        help=_("show program's version number and exit"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    chat = commands.add_parser(
        "chat", parents=[common], help=_("chat in the terminal"),
        description=_("With PROMPT: one answer. Without: each line of piped input is the next "
                      "turn of one conversation, or an interactive prompt on a terminal."))
    chat.add_argument("prompt", nargs="?", metavar="PROMPT")
    chat.add_argument("--model", default=None, metavar="NAME|PATH",
                      help=_("'builtin' (default; with --continue, the chat's own model), a "
                             "name 'lamplight models list' shows (MODEL@CONNECTION for a model "
                             "of a server elsewhere: 'lamplight remotes'), or a .gguf path"))
    chat.add_argument("--max-tokens", type=setting_flag("sampling.max_tokens"), default=None,
                      metavar="N", help=_("longest answer in tokens (default: until the model "
                                          "stops)"))
    chat.add_argument("--ctx", type=setting_flag("model.n_ctx"), default=None, metavar="N",
                      help=_("context window in tokens (default: the settings', {default})")
                      .format(default=DEFAULT_CTX))
    chat.add_argument("--system", default=None, metavar="TEXT",
                      help=_("system prompt (with --continue: instead of the chat's own)"))
    chat.add_argument("--temperature", type=setting_flag("sampling.temperature"), default=None,
                      metavar="T",
                      help=_("sampling temperature (default: what suits the model)"))
    chat.add_argument("--seed", type=setting_flag("sampling.seed"), default=None, metavar="N",
                      help=_("sampling seed (default: the settings', else random)"))
    chat.add_argument("--stats", action="store_true",
                      help=_("write one JSON object of timings per answer to stderr (with "
                             "thinking_tokens and thinking_s for a reasoning model's thinking)"))
    chat.add_argument("--no-think", dest="think", action="store_false",
                      help=_("a reasoning model answers at once, without thinking first (where "
                             "its chat template has the switch, as Qwen3's does)"))
    chat.add_argument("--show-thinking", action="store_true",
                      help=_("when stdout is not a terminal, write a reasoning model's thinking "
                             "to stderr (on a terminal it is shown dimmed before the answer; "
                             "piped, it is left out)"))
    chat.add_argument("--overflow", choices=OVERFLOW_POLICIES, default=None,
                      help=_("when the chat outgrows the context: leave out its oldest turns, "
                             "or stop with a message (default: the chat's own choice, else the "
                             "settings', drop-oldest)"))
    chat.add_argument("--no-save", action="store_true",
                      help=_("do not keep this chat in the saved chats ('lamplight chats')"))
    chat.add_argument("--continue", dest="continue_id", type=chat_id, default=None, metavar="ID",
                      help=_("add turns to saved chat ID, which the model is sent as history"))
    from app.cli import chats, models, remotes, serve, summarize

    models.add_parser(commands, common)
    summarize.add_parser(commands, common)
    chats.add_parser(commands, common)
    serve.add_parser(commands, common)
    remotes.add_parser(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `lamplight` with `argv`; returns the exit status.

    A reader that goes away (`lamplight chats list | head -1`) ends any command quietly with
    status 0, as ripgrep does (git is killed by SIGPIPE instead, 141: a script under `set -o
    pipefail` would fail for a `head` that got what it asked for)."""
    try:
        try:
            return _main(argv)
        finally:  # also after --help or --version: here a closed pipe can still be caught
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        return reader_gone()


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    speak(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        paths = AppPaths.resolve(getattr(args, "data_dir", None))
        try:
            paths.ensure()
        except OSError as exc:
            raise UsageError(_("cannot use data dir: {reason}").format(reason=exc)) from None
        setup_logging(paths, verbose=getattr(args, "verbose", False))
        return _run_command(args, paths)
    except UsageError as exc:
        error(exc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _run_command(args: argparse.Namespace, paths: AppPaths) -> int:
    from app.cli import chats, models, remotes, serve, summarize  # loaded by build_parser

    if args.command == "chat":
        return run_chat(args, paths)
    runs = {"models": models.run, "summarize": summarize.run, "chats": chats.run,
            "serve": serve.run, "remotes": remotes.run}
    if args.command in runs:
        return runs[args.command](args, paths)
    from app.qt.application import run_gui  # Qt is loaded only for the window

    return run_gui(paths)


def _turns(args: argparse.Namespace, stdin: TextIO) -> Iterator[str]:
    if args.prompt is not None:
        yield args.prompt
    elif not stdin.isatty():
        yield from _piped_lines(stdin)
    else:
        print(_("Type a message; Ctrl+C stops an answer, Ctrl+D or /exit quits."),
              file=sys.stderr)
        while True:
            try:
                line = input(">>> ")
            except EOFError:
                print(file=sys.stderr)
                return
            except UnicodeDecodeError:
                warn(_("that line is not valid UTF-8 (is the terminal set to UTF-8?); "
                       "type it again"))
                continue
            if line.strip() in ("/exit", "/quit", "/bye"):
                return
            if line.strip():
                yield line


def _piped_lines(stdin: TextIO) -> Iterator[str]:
    """The non-blank lines of piped input, each the next turn. A line that is not valid
    UTF-8 is not lost, nor does it end the chat: its bad bytes become U+FFFD, with a warning."""
    source: Iterator[bytes | str] = iter(getattr(stdin, "buffer", stdin))
    for number, raw in enumerate(source, start=1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("utf-8", errors="replace")
                warn(_("line {number} of the input is not valid UTF-8; its bad bytes are "
                       "shown as \ufffd").format(number=number))
        else:
            line = raw
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def run_chat(args: argparse.Namespace, paths: AppPaths) -> int:
    if args.prompt is not None and not args.prompt.strip():
        raise UsageError(_("the prompt is empty: give a question, or none to chat "
                           "interactively"))
    settings = load_settings(paths)
    try:
        store = _open_history(args, paths)
    except StoreError as exc:
        error(exc)
        return EXIT_FAILURE
    service = ChatService(store, settings, keep_going_unsaved=True,
                          on_store_error=lambda exc: warn(
                              _("no longer saving this chat: {reason}").format(reason=exc)))
    try:
        if args.continue_id is None:
            conversation = service.new()
        else:
            try:
                conversation = service.open(args.continue_id)
            except ConversationNotFoundError as exc:
                raise UsageError(str(exc)) from None
            except StoreError as exc:
                error(exc)
                return EXIT_FAILURE
            if args.no_save:  # its turns are read, this run's are not kept
                service.close()
        return _chat(args, paths, service, conversation)
    finally:
        service.close()


def _open_history(args: argparse.Namespace, paths: AppPaths) -> ConversationStore | None:
    """The chat history, when this run saves or continues a chat. One that cannot be opened is
    warned about and a new chat goes on unsaved; a chat to continue must be read, so then the
    `StoreError` is raised."""
    if args.no_save and args.continue_id is None:
        return None
    try:
        return ConversationStore.open_in(paths.data_dir)
    except StoreError as exc:
        if args.continue_id is not None:
            raise
        warn(_("not saving this chat: {reason}").format(reason=exc))
        return None


def _chat_model(args: argparse.Namespace, paths: AppPaths,
                conversation: Conversation) -> ModelEntry:
    """The model `--model` names; else a continued chat's own, while its file (or its
    connection) is there."""
    from app.cli.models import resolve_any, saved_model

    if args.model is None:
        saved = saved_model(conversation.model_path, paths)
        if saved is not None:
            return saved
    return resolve_any(args.model or BUILTIN_NAME, paths)


def _chat(args: argparse.Namespace, paths: AppPaths, service: ChatService,
          conversation: Conversation) -> int:
    from app.cli.remotes import load_engine

    entry = _chat_model(args, paths, conversation)
    settings = service.settings
    # A saved chat continued later starts from its kept state, as in the window; a chat not
    # saved leaves nothing on disk. One chat per run: nothing to switch between in memory.
    # A model elsewhere keeps its own cache of prompts.
    _ram, disk = state_limits(settings)
    states = StateCache(paths.states_dir, ram_bytes=0, disk_bytes=disk) \
        if service.store is not None and entry.remote is None else None
    try:
        engine = load_engine(entry, settings, n_ctx=args.ctx, states=states)
    except ModelLoadError as exc:  # its server cannot be reached, or refuses the key
        error(exc)
        return EXIT_FAILURE

    current: list[CancelToken] = []

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if current and not current[-1].cancelled:
            current[-1].cancel()  # stop this answer, keep the conversation
        else:
            raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    service.use_model(entry)
    # The window's settings; the flags over them.
    params = service.params
    service.set_params(conversation, dataclasses.replace(
        params, max_tokens=args.max_tokens or params.max_tokens,
        seed=params.seed if args.seed is None else args.seed,
        temperature=params.temperature if args.temperature is None else args.temperature,
        thinking=params.thinking and args.think))
    _warn_if_no_switch(args, engine)
    if args.system is not None:
        service.set_system_prompt(conversation, args.system)
    if args.overflow is not None:
        service.set_overflow_policy(conversation, args.overflow)
    warned: set[str] = set()
    try:
        for prompt in _turns(args, sys.stdin):
            token = CancelToken()
            current.append(token)
            try:
                turn = service.ask(conversation, prompt)
                conversation = turn.conversation
                if turn.moved:
                    warn(_("chat {id} was continued elsewhere meanwhile; this turn follows "
                           "its latest message.").format(id=conversation.id))
                result = _answer(engine, turn, token, show_thinking=args.show_thinking)
            finally:
                current.pop()
            if result.warning and result.warning not in warned:  # once a run, not each turn
                warned.add(result.warning)
                warn(result.warning)
            if args.stats:
                print(json.dumps(result.stats.as_json()), file=sys.stderr, flush=True)
    except EngineError as exc:
        error(exc)
        return EXIT_FAILURE
    finally:  # a reader gone (`| head`) ends the chat here too: `main` says nothing of it
        signal.signal(signal.SIGINT, previous_handler)
        engine.unload()
    return EXIT_OK


def _warn_if_no_switch(args: argparse.Namespace, engine: InferenceEngine) -> None:
    """`--no-think` for a local model whose template has no Thinking switch does nothing: say
    so. (A server elsewhere is sent the switch; its template is its own business.)"""
    model = engine.model
    if not args.think and model is not None and not model.is_remote \
            and not model.thinking_switch:
        warn(_("--no-think does nothing for this model: its chat template has no Thinking "
               "switch."))


def _answer(engine: InferenceEngine, turn: Turn, token: CancelToken, *,
            show_thinking: bool = False) -> GenerationResult:
    """One turn: the answer streams to stdout and into the chat as it comes (a reasoning
    model's thinking as `AnswerPrinter` shows it). A history too long for the context is cut
    (or refused) by the overflow policy."""
    printer = AnswerPrinter(sys.stdout, sys.stderr, show_thinking=show_thinking)
    reader_gone = False

    def write(piece: str) -> None:
        nonlocal reader_gone
        turn.piece(piece)
        if reader_gone:
            return
        try:
            printer.write(piece)
        except BrokenPipeError:  # raised here, the engine would report it as its failure
            reader_gone = True
            token.cancel()

    try:
        result = answer_turn(engine, turn.request, on_piece=write,
                             on_progress=turn.progress, cancel=token)
    except (ContextOverflowError, HistoryTooLongError) as exc:
        # Refused unread: the prompt is still on the command line (or in the piped input),
        # so the history does not keep it as a failed turn.
        turn.withdraw()
        raise UsageError(_too_long(exc, engine)) from None
    except EngineError as exc:
        turn.fail(str(exc))
        raise
    except BaseException:
        turn.interrupt()
        raise
    if reader_gone:  # `| head`: the answer is kept as far as it got; `main` ends quietly
        turn.interrupt()
        raise BrokenPipeError
    finished = turn.finish(result)
    printer.end()
    if finished.stats.finish_reason == "loop":  # what was printed had the repeats in it
        warn(_("stopped: the answer was repeating itself (saved without the repeats)."))
    return finished


def _too_long(exc: ContextOverflowError | HistoryTooLongError, engine: InferenceEngine) -> str:
    """What the context could not hold, with advice the terminal can follow (the engine's
    words are the window's: "attach it as a document", "click the context meter")."""
    model = engine.model
    n_ctx = model.n_ctx if model is not None else 0
    # A model elsewhere has the context its server gives it: --ctx cannot raise it.
    larger = (_("raise --ctx (now {now}; this model takes up to {most})").format(
        now=f"{n_ctx:,}", most=f"{model.n_ctx_train:,}")
        if model is not None and not model.is_remote and n_ctx < model.n_ctx_train else None)
    if isinstance(exc, ContextOverflowError):
        # A server that refuses a long chat may not say how long it was (0).
        numbers = {"tokens": f"{exc.prompt_tokens:,}", "n_ctx": f"{exc.n_ctx:,}",
                   "raise_ctx": larger}
        if exc.prompt_tokens:
            text = (_("The chat is {tokens} tokens long, but the context holds {n_ctx}: "
                      "{raise_ctx}, or start a new chat.") if larger else
                    _("The chat is {tokens} tokens long, but the context holds {n_ctx}: "
                      "start a new chat."))
        else:
            text = (_("The chat is too long for the context, which holds {n_ctx}: "
                      "{raise_ctx}, or start a new chat.") if larger else
                    _("The chat is too long for the context, which holds {n_ctx}: "
                      "start a new chat."))
        return text.format(**numbers)
    numbers = {"tokens": f"{exc.tokens:,}", "n_ctx": f"{n_ctx:,}", "budget": f"{exc.budget:,}",
               "raise_ctx": larger}
    if exc.question_alone:
        text = (_("The prompt is {tokens} tokens long, but a context of {n_ctx} leaves it "
                  "{budget} (the rest is kept for the answer): {raise_ctx}, or, for a "
                  "document, use 'lamplight summarize FILE', which reads any length.")
                if larger else
                _("The prompt is {tokens} tokens long, but a context of {n_ctx} leaves it "
                  "{budget} (the rest is kept for the answer): shorten it, or, for a "
                  "document, use 'lamplight summarize FILE', which reads any length."))
        return text.format(**numbers)
    text = (_("This chat is {tokens} tokens long and leaves no room for an answer in a context "
              "of {n_ctx}: {raise_ctx}, go on with --overflow drop-oldest (its oldest turns "
              "left out), or start a new chat.")
            if larger else
            _("This chat is {tokens} tokens long and leaves no room for an answer in a context "
              "of {n_ctx}: go on with --overflow drop-oldest (its oldest turns left out), or "
              "start a new chat."))
    return text.format(**numbers)
