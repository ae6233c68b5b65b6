"""`lamplight summarize`: a summary of a document of any length, on stdout.

Progress goes to stderr (one updating line on a terminal, a line per step otherwise), so
`lamplight summarize report.pdf > summary.md` keeps only the summary. Ctrl+C stops at once and
prints the notes of the parts read so far.

Each run is a saved chat, asked through the chat service as the window asks it: the question
(the request for a summary, or `--ask`) with the document attached, and the summary as its
answer, with what it read part by part (`--no-save`: none).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from app.cli.common import (
    DEFAULT_CTX,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    error,
    load_settings,
    reader_gone,
    setting_flag,
    shown,
    warn,
)
from app.core.chat.conversation import Attachment
from app.core.chat.service import ChatService
from app.core.chat.store import ConversationStore, StoreError
from app.core.chat.turns import answer_turn
from app.core.documents.language import LANGUAGES, language_named
from app.core.documents.readers import (
    MAX_FILE_BYTES,
    Document,
    DocumentError,
    read_bytes,
    read_document,
)
from app.core.documents.summary_options import FORMS, LENGTHS, SummaryOptions
from app.core.documents.summary_plan import SummaryError
from app.core.documents.summary_progress import SummaryProgress
from app.core.documents.summary_result import SummaryResult
from app.core.engine import CancelToken, EngineError, InferenceEngine, ModelLoadError
from app.core.engine.thinking import ThinkingSplitter
from app.core.models.library import BUILTIN_NAME
from app.core.settings.resolve import summary_parallel
from app.i18n import _
from app.paths import AppPaths


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    summarize = commands.add_parser(
        "summarize", parents=[common], help=_("summarize a document of any length"),
        description=_("Summarize a .txt, .md, .pdf, .docx or .html file (or standard input, "
                      "given as -), however long: a document longer than the context is read "
                      "part by part and the parts' notes are combined. The summary goes to "
                      "stdout, progress to stderr."))
    summarize.add_argument("path", metavar="PATH|-")
    summarize.add_argument("--model", default=BUILTIN_NAME, metavar="NAME|PATH",
                           help=_("'builtin' (default), a name 'lamplight models list' shows "
                                  "(MODEL@CONNECTION for a model of a server elsewhere), or a "
                                  ".gguf path"))
    summarize.add_argument("--ctx", type=setting_flag("model.n_ctx"), default=None, metavar="N",
                           help=_("context window in tokens (default: the settings', "
                                  "{default})").format(default=DEFAULT_CTX))
    summarize.add_argument("--parallel", type=setting_flag("hardware.summary_parallel"),
                           default=None, metavar="N",
                           help=_("read up to N parts of a long document at once, decoded "
                                  "together in one batch (default: the settings'; auto: 4 on "
                                  "a GPU, else 1: one after another)"))
    summarize.add_argument("--length", choices=LENGTHS, default="medium",
                           help=_("how long the summary is (default: medium)"))
    summarize.add_argument("--form", choices=FORMS, default="bullets",
                           help=_("a bulleted list or plain paragraphs (default: bullets)"))
    summarize.add_argument("--language", type=language_flag, default=None, metavar="NAME",
                           help=_("write the summary in this language (default: the "
                                  "document's own): {names}").format(names=_language_names()))
    summarize.add_argument("--ask", default="", metavar="TEXT",
                           help=_("instead of a summary, answer this about the document"))
    summarize.add_argument("--seed", type=setting_flag("sampling.seed"), default=None,
                           metavar="N", help=_("sampling seed (default: the settings', else a "
                                               "new one for each step)"))
    summarize.add_argument("--stats", action="store_true",
                           help=_("write one JSON object of timings (and the seed of the last "
                                  "step) to stderr at the end"))
    summarize.add_argument("-q", "--quiet", action="store_true",
                           help=_("no progress on stderr"))
    summarize.add_argument("--no-save", action="store_true",
                           help=_("do not keep this summary in the saved chats ('lamplight "
                                  "chats'), where each is a chat of its own"))


def _language_names(names: list[str] | tuple[str, ...] = LANGUAGES) -> str:
    """The languages as the reader's language names them ("English, Chinese (Simplified)…",
    "英语、简体中文…"); `--language` takes either name."""
    return _(", ").join(_(name) for name in names)


def language_flag(text: str) -> str:
    """An argparse `type` for `--language`: a name the window's picker offers, in any case
    ("german"), or as the reader's language names it ("德语"); else the nearest names, or all
    of them."""
    language = language_named(text)
    if language is not None:
        return language
    if not text.strip():
        raise argparse.ArgumentTypeError(
            _("needs a name, one of {names}").format(names=_language_names()))
    given = " ".join(text.split())[:80]
    by_key = {_(name).casefold(): name for name in LANGUAGES}
    by_key.update({name.casefold(): name for name in LANGUAGES})
    near = list(dict.fromkeys(
        [name for key, name in by_key.items() if key.startswith(given.casefold())] or
        [by_key[k] for k in difflib.get_close_matches(given.casefold(), by_key, n=2)]))
    if len(near) == 1:
        raise argparse.ArgumentTypeError(_("no language named {name}: did you mean {one}?")
                                         .format(name=repr(given), one=_(near[0])))
    if len(near) == 2:
        raise argparse.ArgumentTypeError(
            _("no language named {name}: did you mean {one} or {other}?")
            .format(name=repr(given), one=_(near[0]), other=_(near[1])))
    if near:
        raise argparse.ArgumentTypeError(
            _("no language named {name}: did you mean one of {names}?")
            .format(name=repr(given), names=_language_names(near)))
    raise argparse.ArgumentTypeError(_("no language named {name}; the languages are {names}")
                                     .format(name=repr(given), names=_language_names()))


def read_input(path: str, stdin: TextIO) -> Document:
    """The document at `path`, or standard input for "-"."""
    if path != "-":
        return read_document(Path(path))
    data = stdin.buffer.read(MAX_FILE_BYTES + 1)
    return read_bytes(data, "stdin")  # too much input is refused there, by its size


class _ProgressLine:
    """Progress on stderr: one line rewritten in place on a terminal, else a line per step."""

    def __init__(self, out: TextIO, quiet: bool) -> None:
        self._out = out
        self._quiet = quiet
        self._tty = out.isatty()
        self._width = 0

    def __call__(self, progress: SummaryProgress) -> None:
        if self._quiet:
            return
        text = progress.describe()
        if self._tty:
            self._out.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self._out.write(text + "\n")
        self._out.flush()

    def done(self, line: str = "") -> None:
        """Clear the progress line; then write `line`, if any."""
        if self._tty and self._width:
            self._out.write("\r" + " " * self._width + "\r")
        if line and not self._quiet:
            self._out.write(line + "\n")
        self._out.flush()
        self._width = 0


def run(args: argparse.Namespace, paths: AppPaths) -> int:
    from app.cli.models import resolve_any
    from app.cli.remotes import load_engine

    try:
        document = read_input(args.path, sys.stdin)
    except DocumentError as exc:
        raise UsageError(str(exc)) from None
    entry = resolve_any(args.model, paths)
    settings = load_settings(paths)
    parallel = args.parallel if args.parallel is not None else summary_parallel(settings)
    try:  # a model elsewhere that takes several requests at once is sent the parts together
        engine = load_engine(entry, settings, n_ctx=args.ctx)
    except ModelLoadError as exc:  # its server cannot be reached, or refuses the key
        error(exc)
        return EXIT_FAILURE
    service = ChatService(_history(args, paths), settings, keep_going_unsaved=True,
                          on_store_error=lambda exc: warn(
                              _("no longer saving this summary: {reason}").format(reason=exc)))
    try:
        service.use_model(entry)
        return _summarize(args, engine, service, document, parallel)
    finally:
        engine.unload()
        service.close()


def _history(args: argparse.Namespace, paths: AppPaths) -> ConversationStore | None:
    """The chat history the summary is saved in, as a chat of its own; None with --no-save,
    or when it cannot be opened (said in a warning: the summary is written all the same)."""
    if args.no_save:
        return None
    try:
        return ConversationStore.open_in(paths.data_dir)
    except StoreError as exc:
        warn(_("not saving this summary: {reason}").format(reason=exc))
        return None


def _summarize(args: argparse.Namespace, engine: InferenceEngine, service: ChatService,
               document: Document, parallel: int) -> int:
    """Ask for the summary as the window does (a question with the document attached, in a
    new chat), always part by part; it streams to stdout and into the chat."""
    conversation = service.new()
    if args.seed is not None:  # the chat keeps it, as a chat keeps `chat --seed`
        service.set_params(conversation, dataclasses.replace(service.params, seed=args.seed))
    cancel = CancelToken()

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()

    progress = _ProgressLine(sys.stderr, args.quiet)
    out = _HeldBack(sys.stdout, on_first=progress.done, on_broken=cancel.cancel)
    options = SummaryOptions(length=args.length, form=args.form,
                             language=args.language, question=args.ask)
    turn = service.ask(conversation, args.ask,
                       (Attachment(document.name, document.text, document.kind),), options,
                       summary_only=True)

    thinking = ThinkingSplitter()  # a reasoning model's thinking is not printed

    def on_piece(piece: str) -> None:
        turn.piece(piece)
        out.write(thinking.feed(piece).answer)

    def on_progress(step: SummaryProgress) -> None:
        turn.progress(step)
        progress(step)

    def on_note(line: str) -> None:  # fewer parts at once than asked: memory is short
        progress.done()
        warn(line)

    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = answer_turn(engine, dataclasses.replace(turn.request, parallel=parallel),
                             on_piece=on_piece, on_progress=on_progress, cancel=cancel,
                             on_note=on_note)
    except SummaryError as exc:  # the document cannot be summarized so: nothing to keep
        turn.withdraw()
        raise UsageError(str(exc)) from None
    except EngineError as exc:
        turn.fail(str(exc))
        error(exc)
        return EXIT_FAILURE
    except BaseException:
        turn.interrupt()
        raise
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    turn.finish(result)  # stopped: the notes so far, as the window keeps them
    if not isinstance(result, SummaryResult):  # stopped before the document was measured
        progress.done()
        return EXIT_INTERRUPTED if result.cancelled else EXIT_OK
    if not out.finish(result.text):  # the reader went away (`| head`): no error
        return reader_gone()
    progress.done(result.coverage())
    if args.stats:
        print(json.dumps({**result.stats.as_json(), "parts": len(result.parts),
                          "document_tokens": result.document_tokens,
                          "elapsed_s": round(result.elapsed_s, 3)}), file=sys.stderr)
    return EXIT_INTERRUPTED if result.cancelled else EXIT_OK


class _HeldBack:
    """Streams the summary to stdout, keeping its last characters back until the end: a step
    cut short for repeating itself ends shorter than what was streamed (see `LoopGuard`), and
    what was printed cannot be taken back.

    A reader that goes away (`| head -1`) stops the summary instead of failing it.
    """

    HOLD = 600  # more than LoopGuard ever cuts (two repeats of at most 200 characters)

    def __init__(self, out: TextIO, on_first: Callable[[], None],
                 on_broken: Callable[[], None]) -> None:
        self._out = out
        self._on_first = on_first
        self._on_broken = on_broken
        self._streamed = ""
        self._written = 0
        self._terminal = out.isatty()  # escape sequences in the summary are shown there
        self.broken = False

    def write(self, piece: str) -> None:
        if not piece:  # a reasoning model still thinking: the progress line stays
            return
        if not self._streamed:
            self._on_first()  # clear the progress line before the summary starts
        self._streamed += piece
        self._flush(len(self._streamed) - self.HOLD)

    def finish(self, text: str) -> bool:
        """Write what is left of the final `text` (or all of it, if none was streamed); False
        if the reader has gone."""
        done = self._streamed[:self._written]
        # The result is the streamed text, stripped and perhaps cut short at its end.
        prefix = next((p for p in (done, done.lstrip()) if text.startswith(p)), None)
        if prefix is None:  # not what was streamed after all: start it on a line of its own
            self._streamed, self._written = f"{done}\n{text}", len(done)
        else:
            self._streamed = done + text[len(prefix):]
        self._flush(len(self._streamed))
        self._flush_line()
        return not self.broken

    def _flush(self, upto: int) -> None:
        if self.broken or upto <= self._written:
            return
        try:
            text = self._streamed[self._written:upto]
            self._out.write(shown(text) if self._terminal else text)
            self._out.flush()
        except BrokenPipeError:
            self.broken = True
            self._on_broken()
            return
        self._written = upto

    def _flush_line(self) -> None:
        if not self.broken:
            try:
                self._out.write("\n")
                self._out.flush()
            except BrokenPipeError:
                self.broken = True
