"""What every `lamplight` command shares: exit statuses and how bad usage is reported."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from app.cli.argparse_words import speak_in_argparse
from app.core.settings.file import SettingsFile, language_setting
from app.core.settings.schema import BY_KEY, SettingError, Value, allowed, validate
from app.core.text import text_width
from app.i18n import _, set_language
from app.paths import AppPaths

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
DEFAULT_CTX = 4096


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with the message as one line."""


# A piece of help text that is never split: a run of characters that are neither blank nor
# wide (a Latin word, a number, "--ctx"), or a single wide character (Chinese is written
# without spaces and may break between any two characters).
_PIECE = re.compile(r"\s+|[^\s\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff"
                    r"\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+|.")
# Punctuation that never starts a line (Chinese typesetting's rule): kept with what precedes.
_NO_LINE_START = frozenset("，。、；：！？）」』》〉】”’…·%,.;:!?)]}")


def wrap_columns(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns as a terminal draws them (a Chinese
    character takes two), broken at spaces or between wide characters."""
    pieces: list[str] = []
    for piece in _PIECE.findall(text):
        if pieces and not piece.isspace() and piece[0] in _NO_LINE_START \
                and not pieces[-1].isspace():
            pieces[-1] += piece
        else:
            pieces.append(piece)
    lines: list[str] = []
    line, used, space = "", 0, False
    for piece in pieces:
        if piece.isspace():
            space = bool(line)
            continue
        room = text_width(piece) + (1 if space else 0)
        if line and used + room > width:
            lines.append(line)
            line, used = piece, text_width(piece)
        else:
            line += (" " if space else "") + piece
            used += room
        space = False
    return [*lines, line] if line else lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped by the columns the text takes on a terminal: a line of
    Chinese is as wide as twice its characters, and breaks between them."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_columns(self._whitespace_matcher.sub(" ", text).strip(), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = wrap_columns(self._whitespace_matcher.sub(" ", text).strip(),
                             max(width - len(indent), 11))
        return "\n".join(indent + line for line in lines)


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are `UsageError`s that point at the command's own help.

    An option a command does not have is refused by that command, with the nearest of its own
    options (`lamplight chat --temprature 0.5 hi`: "did you mean --temperature?"). argparse
    would hand it up to `lamplight`, which names its own help, and take the 0.5 for the
    prompt. Its help is wrapped by `HelpFormatter`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(_("{message} (see '{prog} --help')").format(message=message,
                                                                     prog=self.prog))

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None,
                         ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(self._unrecognized(extras))
        return parsed, extras

    def _unrecognized(self, extras: list[str]) -> str:
        option = next((a for a in extras if a.startswith("-") and a != "-"), None)
        if option is None:
            return _("unrecognized arguments: {arguments}").format(arguments=" ".join(extras))
        name = option.split("=", 1)[0][:80]
        # Compared without their dashes (all alike), so `-temprature` finds `--temperature`.
        known = {o.lstrip("-"): o for o in self._option_string_actions if o.startswith("--")}
        close = difflib.get_close_matches(name.lstrip("-"), known, n=1)
        if close:
            return _("unrecognized option {option}: did you mean {known}?").format(
                option=name, known=known[close[0]])
        return _("unrecognized option {option}").format(option=name)


def speak(argv: Sequence[str]) -> str:
    """Speak the language of the *Language* setting from now on (the terminal's messages and
    argparse's own), else the system's; returns the language chosen. Called before the
    command line is parsed, so its help and errors are in that language too: the settings
    are those of the data dir `--data-dir` names in `argv`, else the usual one."""
    chosen = set_language(str(language_setting(AppPaths.resolve(_data_dir(argv)).config_dir)))
    speak_in_argparse()
    return chosen


def _data_dir(argv: Sequence[str]) -> str | None:
    """The last `--data-dir DIR` (or `--data-dir=DIR`) of the command line, before any `--`."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--data-dir" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--data-dir="):
            found = arg.partition("=")[2]
    return found or None


def load_settings(paths: AppPaths) -> SettingsFile:
    """The settings the window uses (settings.json); a problem in the file is one warning line
    on stderr, and the defaults stand in."""
    settings = SettingsFile.load(paths.config_dir)
    for problem in settings.problems:
        warn(_("settings: {problem}").format(problem=problem))
    return settings


def error(message: object) -> None:
    """`lamplight: error: MESSAGE` on stderr, as one line whatever the message holds (it may
    name a file or a chat from outside)."""
    print(_("lamplight: error: {message}").format(message=shown_line(str(message))),
          file=sys.stderr)


def warn(message: object) -> None:
    """`lamplight: warning: MESSAGE` on stderr, as one line."""
    print(_("lamplight: warning: {message}").format(message=shown_line(str(message))),
          file=sys.stderr)


def reader_gone() -> int:
    """What is left to write goes nowhere: the reader of stdout (or stderr) went away (`| head
    -1`). Returns the exit status for it, 0, as ripgrep's.

    Output still buffered is sent to /dev/null, so that Python's own flush at the exit does
    not report the closed pipe ("Exception ignored ... BrokenPipeError", exit 120)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # a windowed app's
            continue
        try:
            stream.flush()
        except BrokenPipeError:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
            except OSError:
                continue
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):  # no file descriptor: nothing to flush at the exit
                pass
            finally:
                os.close(devnull)
        except (OSError, ValueError):  # closed, or failing for another reason: left as it is
            pass
    return EXIT_OK


# -- what reaches the terminal ---------------------------------------------------------------

# C0 and C1 controls but tab and line feed, DEL, lone surrogates (from a history an older
# version wrote; they cannot be encoded), and the bidirectional overrides that make text read
# other than it is stored ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f"
                     "\u202a-\u202e\u2066-\u2069]")
_UNSAFE_OR_BREAK = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """Text from outside (a chat title, a snippet, a hub name, a model's answer) as it may
    reach a terminal: escape sequences (ESC, OSC: colours, titles, the clipboard), NUL and the
    other controls are shown escaped (`\\x1b`), never sent. Tabs and line breaks stay."""
    return _UNSAFE.sub(_escaped, text)


def shown_line(text: str) -> str:
    """`shown`, with tabs and line breaks escaped too: one line, whatever `text` holds."""
    return _UNSAFE_OR_BREAK.sub(_escaped, text)


def field(text: str) -> str:
    """Text for a field of a tab-separated line: whitespace runs (tabs and line breaks
    included) become one space, then `shown`."""
    return shown(" ".join(text.split()))


def json_shown(text: str) -> str:
    """JSON text (written with `ensure_ascii=False`) with the characters `shown` escapes
    written as JSON escapes: still the same JSON, and safe on a terminal."""
    return _UNSAFE_OR_BREAK.sub(
        lambda m: m.group() if m.group() in "\t\n" else f"\\u{ord(m.group()):04x}", text)


# -- flags checked as the settings are ------------------------------------------------------


def setting_flag(key: str) -> Callable[[str], Value]:
    """An argparse `type` for a flag that sets `key`: the value is checked against the same
    range as the settings panel's (`settings.validate`), with the same words."""
    setting = BY_KEY[key]

    def parse(text: str) -> Value:
        try:
            return validate(setting, int(text) if setting.kind == "int" else float(text))
        except (ValueError, SettingError):  # not a number, or one the setting does not allow
            raise argparse.ArgumentTypeError(_("must be {allowed}, not {value}").format(
                allowed=allowed(setting), value=repr(text))) from None

    return parse


def chat_id(text: str) -> int:
    """An argparse `type` for a saved chat's id: a whole number SQLite can hold."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("a chat id is a whole number, not {value}").format(
            value=repr(text))) from None
    if not 1 <= value < 2**63:
        raise argparse.ArgumentTypeError(_("there is no chat with id {id}").format(id=text))
    return value
