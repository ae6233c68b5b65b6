"""What every `lamplight` command shares: exit statuses and how bad usage is reported."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from app.core.settings.file import SettingsFile
from app.core.settings.schema import BY_KEY, SettingError, Value, allowed, validate
from app.paths import AppPaths

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
DEFAULT_CTX = 4096


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with the message as one line."""


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are `UsageError`s that point at the command's own help.

    An option a command does not have is refused by that command, with the nearest of its own
    options (`lamplight chat --temprature 0.5 hi`: "did you mean --temperature?"). argparse
    would hand it up to `lamplight`, which names its own help, and take the 0.5 for the
    prompt."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")

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
            return f"unrecognized arguments: {' '.join(extras)}"
        name = option.split("=", 1)[0][:80]
        # Compared without their dashes (all alike), so `-temprature` finds `--temperature`.
        known = {o.lstrip("-"): o for o in self._option_string_actions if o.startswith("--")}
        close = difflib.get_close_matches(name.lstrip("-"), known, n=1)
        hint = f": did you mean {known[close[0]]}?" if close else ""
        return f"unrecognized option {name}{hint}"


def load_settings(paths: AppPaths) -> SettingsFile:
    """The settings the window uses (settings.json); a problem in the file is one warning line
    on stderr, and the defaults stand in."""
    settings = SettingsFile.load(paths.config_dir)
    for problem in settings.problems:
        warn(f"settings: {problem}")
    return settings


def error(message: object) -> None:
    """`lamplight: error: MESSAGE` on stderr, as one line whatever the message holds (it may
    name a file or a chat from outside)."""
    print(f"lamplight: error: {shown_line(str(message))}", file=sys.stderr)


def warn(message: object) -> None:
    """`lamplight: warning: MESSAGE` on stderr, as one line."""
    print(f"lamplight: warning: {shown_line(str(message))}", file=sys.stderr)


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
            raise argparse.ArgumentTypeError(
                f"must be {allowed(setting)}, not {text!r}") from None

    return parse


def chat_id(text: str) -> int:
    """An argparse `type` for a saved chat's id: a whole number SQLite can hold."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a chat id is a whole number, not {text!r}") from None
    if not 1 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"there is no chat with id {text}")
    return value
