"""How `lamplight chat` prints an answer as it streams, a reasoning model's thinking apart.

The stream carries a reasoning model's thinking before its answer, between `<think>` tags
(`app.core.engine.thinking`). On a terminal the thinking is shown dimmed above the answer;
when stdout is a pipe or a file it holds the answer alone, so that `lamplight chat ... >
answer.txt` keeps what the model said and not how it got there, unless `--show-thinking` asks
for the thinking on stderr (plain text, no escape sequences).
"""

from __future__ import annotations

from typing import TextIO

from app.cli.common import shown
from app.core.engine.thinking import Split, ThinkingSplitter

# SGR "faint" and "reset": every terminal that draws colours draws these. Each piece of thinking
# is wrapped on its own, so that an answer stopped mid-thought leaves the terminal as it was.
DIM, RESET = "\x1b[2m", "\x1b[0m"


class AnswerPrinter:
    """Prints one answer's stream: `write` each piece as it comes, then `end` once.

    The answer goes to `out`; the thinking to `out` dimmed when `out` is a terminal, else to
    `err` when `show_thinking`, else nowhere. Text from the model reaching a terminal has its
    escape sequences shown, not obeyed (`shown`). A reader that went away raises
    `BrokenPipeError` from `write` or `end`, as a write to it does.
    """

    def __init__(self, out: TextIO, err: TextIO, *, show_thinking: bool) -> None:
        self._out = out
        self._out_terminal = out.isatty()
        self._thinking_out: TextIO | None = (
            out if self._out_terminal else err if show_thinking else None)
        self._thinking_terminal = self._thinking_out is not None and self._thinking_out.isatty()
        self._splitter = ThinkingSplitter()
        self._space = ""  # the thinking's last blank characters: written if more follows
        self._thought = False  # some thinking was written, and its paragraph not yet closed

    def write(self, piece: str) -> None:
        self._print(self._splitter.feed(piece))

    def end(self) -> None:
        """The stream is over: what the splitter held back, then the answer's last line end."""
        self._print(self._splitter.end())
        self._close_thinking(answer_follows=False)
        self._out.write("\n")
        self._out.flush()

    def _print(self, split: Split) -> None:
        if split.thinking:
            self._print_thinking(split.thinking)
        if split.answer:
            self._close_thinking(answer_follows=True)
            self._out.write(shown(split.answer) if self._out_terminal else split.answer)
            self._out.flush()

    def _print_thinking(self, text: str) -> None:
        where = self._thinking_out
        if where is None:
            return
        text, self._space = self._space + text, ""
        kept = text.rstrip()
        self._space = text[len(kept):]  # a blank line at the end of the thinking is not shown
        if not kept:
            return
        if self._thinking_terminal:
            kept = shown(kept)
        if where is self._out:
            kept = f"{DIM}{kept}{RESET}"
        where.write(kept)
        where.flush()
        self._thought = True

    def _close_thinking(self, *, answer_follows: bool) -> None:
        """End the thinking's last line: on the answer's stream with a blank line before the
        answer, on stderr with a line end."""
        where = self._thinking_out
        if not self._thought or where is None:
            return
        self._thought, self._space = False, ""
        if where is self._out:
            if answer_follows:
                where.write("\n\n")
        else:
            where.write("\n")
            where.flush()
