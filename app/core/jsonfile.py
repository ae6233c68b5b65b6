"""JSON from outside, read one way: bounded, strict, and with one line when it is bad; and the
small JSON files the app keeps (the model library, presets, window state, settings), written
atomically and privately.

Python's `json` accepts `NaN` and `Infinity`, which no other JSON reader does and which turn
into numbers that break every range check after them, and it raises `RecursionError` (not a
`ValueError`) on deep nesting, which reached the user as a traceback. `parse_json` refuses both
as `JSONInputError`, a `ValueError` whose message says what is wrong and where.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
from pathlib import Path

from app.files import make_private, private_opener
from app.i18n import _

log = logging.getLogger(__name__)

# Deeper than any file the app writes (settings: 3 levels; a chat export: 6) by far, and far
# below what would exhaust the interpreter's stack.
MAX_DEPTH = 64
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONInputError(ValueError):
    """Text that is not JSON the app takes; the message says why, in one line."""


def _refuse_constant(name: str) -> object:
    raise JSONInputError(_("{name} is not a JSON number").format(name=name))


def parse_json(text: str | bytes, max_depth: int = MAX_DEPTH) -> object:
    """The value of a JSON text. Bytes are UTF-8 (with or without a BOM).

    Raises `JSONInputError` for invalid JSON (with the line and column), `NaN`/`Infinity`,
    nesting deeper than `max_depth`, and bytes that are not UTF-8.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JSONInputError(_("it is not UTF-8 text (byte {offset})").format(
                offset=exc.start)) from None
    text = text.removeprefix("\ufeff")  # Windows editors start UTF-8 files with a BOM
    if _too_deep(text, max_depth):
        raise JSONInputError(_too_deep_message(max_depth))
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise JSONInputError(_("line {line}, column {column}: {reason}").format(
            line=exc.lineno, column=exc.colno, reason=exc.msg)) from None
    except RecursionError:  # pragma: no cover - _too_deep catches it first
        raise JSONInputError(_too_deep_message(max_depth)) from None
    # A lone surrogate can only come from a "\\udXXX" escape: no valid UTF-8 decodes to one.
    # Left in, it fails every later encode (SQLite, a file, the terminal).
    return _without_lone_surrogates(value) if _SURROGATE_ESCAPE.search(text) else value


def _too_deep_message(max_depth: int) -> str:
    return _("it is nested more than {n} levels deep").format(n=max_depth)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONInputError(_("{text} is too large for a number").format(text=text[:20]))
    return value


def _without_lone_surrogates(value: object) -> object:
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_SURROGATE.sub("\ufffd", key): _without_lone_surrogates(item)
                for key, item in value.items()}
    return value


def _too_deep(text: str, max_depth: int) -> bool:
    """Whether brackets outside strings nest deeper than `max_depth`.

    A linear scan in which Python looks at brackets and quotes only; the rest is skipped by
    `str.find` and a regular expression.
    """
    depth = 0
    position = 0
    length = len(text)
    while position < length:
        next_quote = text.find('"', position)
        end = length if next_quote < 0 else next_quote
        for char in _NOT_BRACKETS.sub("", text[position:end]):
            depth += 1 if char in "[{" else -1
            if depth > max_depth:
                return True
        if next_quote < 0:
            return False
        position = _string_end(text, next_quote + 1)
    return False


def _string_end(text: str, position: int) -> int:
    """The index after the quote that closes the string starting at `position`."""
    while True:
        quote = text.find('"', position)
        if quote < 0:
            return len(text)
        backslashes = 0
        while text[quote - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return quote + 1
        position = quote + 1


def load_json(path: Path, max_bytes: int = 16 * 1024 * 1024) -> object:
    """The JSON value in the file at `path`.

    Raises `FileNotFoundError` when it is missing, `OSError` when it cannot be read (the caller
    must tell that apart from damage: an unreadable file is not to be replaced), and
    `JSONInputError` for content that is not JSON, or a file over `max_bytes`.
    """
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise JSONInputError(_("it is larger than {size} MB").format(
            size=max_bytes // (1024 * 1024)))
    return parse_json(data)


def read_json(path: Path) -> object | None:
    """The file's content; None when it is missing or cannot be read (logged, never raised),
    so a damaged file costs its contents, not the app."""
    try:
        return load_json(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None


def write_json(path: Path, data: object) -> None:
    """Replace the file with `data`, readable by the user only: a crash leaves the old file or
    the new, never half of one.

    Raises `OSError`; nothing is left behind then.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8", opener=private_opener) as file:
            file.write(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False))
        make_private([tmp])
        tmp.replace(path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
