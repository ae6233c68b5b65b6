"""Files and folders built from outside input, and the app's private files.

Two rules hold for every file the app writes:

- **A path built from outside input stays in its folder.** A hub file name, a repo id, an
  imported chat's title or an attachment's name is never joined onto a folder as it is:
  `child_path` takes it apart into plain names and refuses what would climb out (`..`), start
  over (`/etc`, `C:\\`, `\\\\server`) or hide a separator, then checks the resolved result is
  still inside.
- **What the user wrote is private.** Chats, their saved model states, settings, logs and
  exports are readable by the user alone on POSIX (folders 0700, files 0600), whatever the
  umask: files are created with those modes (`private_opener`) and modes left wider by an older
  version are narrowed when the app starts (`make_private`). Windows keeps its per-user ACLs.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

# A Windows drive ("C:"), a name Windows reserves ("CON", "nul.txt"), or control characters.
_DRIVE = re.compile(r"^[A-Za-z]:")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafePathError(ValueError):
    """A name from outside that would leave its folder; the message says which and why."""


def _check_part(part: str, whole: str) -> None:
    if part in ("", ".", ".."):
        raise UnsafePathError(f"'{whole}' has an empty, '.' or '..' part")
    if "\\" in part or "/" in part:
        raise UnsafePathError(f"'{whole}' holds a backslash")
    if _DRIVE.match(part):
        raise UnsafePathError(f"'{whole}' starts with a drive letter")
    if _CONTROL.search(part):
        raise UnsafePathError(f"'{whole}' holds control characters")
    if _RESERVED.match(part):
        raise UnsafePathError(f"'{whole}' uses a name Windows reserves")


def plain_parts(name: str) -> list[str]:
    """The parts of a relative, '/'-separated name from outside (a hub file name, a repo id),
    each a plain file or folder name. Raises `UnsafePathError` for anything else."""
    if not name or name.startswith(("/", "\\")):
        raise UnsafePathError(f"'{name}' is not a relative name")
    parts = name.split("/")
    for part in parts:
        _check_part(part, name)
    return parts


def child_path(folder: Path, *names: str) -> Path:
    """`folder` joined with names from outside (each may hold '/'), refused unless the result
    resolves inside `folder`. Raises `UnsafePathError`."""
    parts = [part for name in names for part in plain_parts(name)]
    path = folder.joinpath(*parts)
    root = folder.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise UnsafePathError(f"'{'/'.join(names)}' leads out of {folder}")
    return path


def safe_file_name(text: str, fallback: str = "untitled", limit: int = 80) -> str:
    """A file name for a title from outside (a chat's title as an export's default name):
    separators, control characters and what Windows forbids become spaces or go, never a path."""
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", text)
    name = " ".join(name.split()).strip(". ")[:limit].strip(". ")
    if not name or _RESERVED.match(name):
        return fallback
    return name


def is_inside(path: Path, folder: Path) -> bool:
    """Whether `path` resolves to `folder` or something in it."""
    resolved, root = path.resolve(), folder.resolve()
    return resolved == root or root in resolved.parents


def posix_name(name: str) -> str:
    """The last part of a '/'-separated name from outside, for messages."""
    return PurePosixPath(name).name or name


# -- private files ---------------------------------------------------------------------------


def private_opener(path: str, flags: int) -> int:
    """An `opener` for `open()` that creates the file readable by its owner only."""
    return os.open(path, flags, PRIVATE_FILE_MODE)


def make_private(paths: Iterable[Path]) -> None:
    """Narrow existing folders to 0700 and files to 0600 (POSIX only). What cannot be changed
    (another user's file, a read-only mount) is left as it is."""
    if os.name != "posix":
        return
    for path in paths:
        with contextlib.suppress(OSError):
            mode = path.stat().st_mode
            wanted = PRIVATE_DIR_MODE if stat.S_ISDIR(mode) else PRIVATE_FILE_MODE
            if stat.S_IMODE(mode) & ~wanted:
                path.chmod(stat.S_IMODE(mode) & wanted)


def make_private_dir(folder: Path) -> None:
    """Create `folder` (and its parents) if need be; the folder itself ends up 0700."""
    folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    make_private([folder])


def write_private_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path`, created or truncated, readable by the owner only."""
    write_private_bytes(path, text.encode("utf-8"))


def write_private_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb", opener=private_opener) as file:
        file.write(data)
    make_private([path])  # an existing file keeps its mode on open: narrow it too


# -- reading files from outside --------------------------------------------------------------


class FileReadError(ValueError):
    """A file from outside that is not read: not a regular file, too large, or unreadable. The
    message is one line naming the file, in English (this module is below the catalogs); a
    caller saying it in the reader's language has what it says as `path`, `reason` (the
    words of `os_reason`, for a file that cannot be read), `size` (when it is too large,
    if known) and `limit`."""

    def __init__(self, message: str, path: Path, *, reason: str | None = None,
                 size: int | None = None, limit: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason
        self.size = size
        self.limit = limit


class NotRegularFileError(OSError):
    """A folder, a FIFO, a device or a socket where a file was expected; `folder` tells the
    first apart (its message reads "it is a folder")."""

    def __init__(self, folder: bool) -> None:
        super().__init__("it is a folder" if folder else "it is not a regular file")
        self.folder = folder


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """`path` opened for reading (unbuffered) and its size, if it is a regular file.

    Raises `NotRegularFileError` for a folder, a FIFO, a device (`/dev/zero`) or a socket, and
    `OSError` when it cannot be opened. Opening never blocks: the file is opened non-blocking
    and its type is checked on the descriptor, so a file swapped for a FIFO after a check cannot
    hang the app either.
    """
    if stat.S_ISDIR(path.stat().st_mode):  # Windows cannot open a folder at all
        raise NotRegularFileError(folder=True)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(folder=stat.S_ISDIR(info.st_mode))
        return os.fdopen(fd, "rb", buffering=0), info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (see `open_regular`). Raises
    `FileReadError`."""
    try:
        file, size = open_regular(path)
    except OSError as exc:
        reason = os_reason(exc)
        raise FileReadError(f"Cannot read {path}: {reason}.", path, reason=reason) from None
    with file:
        if size > max_bytes:
            raise FileReadError(f"Cannot read {path}: it is {format_size(size)}; "
                                f"up to {format_size(max_bytes)} can be read.", path,
                                size=size, limit=max_bytes)
        chunks, total = [], 0
        try:
            while total <= max_bytes:  # it may have grown since it was opened
                chunk = file.read(min(max_bytes + 1 - total, 64 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        except OSError as exc:
            reason = os_reason(exc)
            raise FileReadError(f"Cannot read {path}: {reason}.", path, reason=reason) from None
    if total > max_bytes:
        raise FileReadError(f"Cannot read {path}: it is larger than {format_size(max_bytes)}.",
                            path, limit=max_bytes)
    return b"".join(chunks)


def os_reason(exc: OSError) -> str:
    """Why an OS call failed, as words that fit after "Cannot read X: "."""
    if isinstance(exc, NotRegularFileError):
        return str(exc)
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or str(exc) or type(exc).__name__).rstrip(".").lower()


def format_size(size: int) -> str:
    """A size in MB (KB below one MB), rounded up so that a size over a limit never reads as
    the limit."""
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    tenths = -(-size * 10 // (1024 * 1024))
    return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"


def format_bytes(n: float) -> str:
    """A size for people, in decimal units (a download, a model file): "1.2 GB"."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover - the loop always returns
