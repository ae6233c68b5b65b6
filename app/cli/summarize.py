"""`lamplight summarize`: a summary of a document of any length, on stdout.

Progress goes to stderr (one updating line on a terminal, a line per step otherwise), so
`lamplight summarize report.pdf > summary.md` keeps only the summary. Ctrl+C stops at once and
prints the notes of the parts read so far.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from app.cli.common import (
    DEFAULT_CTX,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
)
from app.core.documents import MAX_FILE_BYTES, Document, DocumentError, read_bytes, read_document
from app.core.engine import CancelToken, EngineError, LoadSpec, ModelLoadError
from app.core.models.library import BUILTIN_NAME, ModelNotFoundError
from app.core.presets import LANGUAGES
from app.core.summarize import (
    FORMS,
    LENGTHS,
    Summarizer,
    SummaryError,
    SummaryOptions,
    SummaryProgress,
)
from app.paths import AppPaths


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    summarize = commands.add_parser(
        "summarize", parents=[common], help="summarize a document of any length",
        description="Summarize a .txt, .md, .pdf, .docx or .html file (or standard input, "
                    "given as -), however long: a document longer than the context is read "
                    "part by part and the parts' notes are combined. The summary goes to "
                    "stdout, progress to stderr.")
    summarize.add_argument("path", metavar="PATH|-")
    summarize.add_argument("--model", default=BUILTIN_NAME, metavar="NAME|PATH",
                           help="'builtin' (default), a name 'lamplight models list' shows, "
                                "or a .gguf path")
    summarize.add_argument("--ctx", type=int, default=DEFAULT_CTX, metavar="N",
                           help=f"context window in tokens (default {DEFAULT_CTX})")
    summarize.add_argument("--length", choices=LENGTHS, default="medium")
    summarize.add_argument("--form", choices=FORMS, default="bullets")
    summarize.add_argument("--language", default=None, metavar="NAME",
                           help="write the summary in this language (default: the "
                                f"document's own), e.g. {', '.join(LANGUAGES[:3])}")
    summarize.add_argument("--ask", default="", metavar="TEXT",
                           help="instead of a summary, answer this about the document")
    summarize.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


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
    from app.cli.models import resolve_installed
    from app.core.engine.llama_cpp_backend import LlamaCppEngine

    if args.language is not None and not args.language.strip():
        raise UsageError("--language needs a name, e.g. English")
    try:
        document = read_input(args.path, sys.stdin)
        entry = resolve_installed(args.model, paths)
    except (DocumentError, ModelNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    engine = LlamaCppEngine()
    try:
        engine.load(LoadSpec(entry.path, n_ctx=args.ctx))
    except ModelLoadError as exc:
        raise UsageError(str(exc)) from None

    cancel = CancelToken()

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()

    progress = _ProgressLine(sys.stderr, args.quiet)
    out = sys.stdout
    streamed: list[str] = []

    def write(piece: str) -> None:
        if not streamed:
            progress.done()  # clear the progress line before the summary starts
        streamed.append(piece)
        out.write(piece)
        out.flush()

    options = SummaryOptions(length=args.length, form=args.form,
                             language=args.language, question=args.ask)
    summarizer = Summarizer(engine, options, on_progress=progress, on_piece=write,
                            cancel=cancel)
    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = summarizer.run(document.text, document.name)
    except SummaryError as exc:
        raise UsageError(str(exc)) from None
    except EngineError as exc:
        print(f"lamplight: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        engine.unload()
    if not streamed and result.text:
        out.write(result.text)
    out.write("\n")
    out.flush()
    progress.done(result.coverage())
    return EXIT_INTERRUPTED if result.cancelled else EXIT_OK
