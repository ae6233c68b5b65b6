"""Evaluated chat state kept between turns: in memory for chats used lately, on disk across
restarts.

llama-cpp-python reuses the longest common prefix of the previous prompt, so a follow-up in the
same chat evaluates only its new tokens. But the model has one KV cache: after another chat (or a
title) has used it, coming back means evaluating the whole history again, which GPT4All does
after every switch and restart. The engine therefore snapshots the cache of the chat it leaves
(its tokens and llama.cpp's sequence state) and restores it when the chat comes back.

A snapshot carries the tokens it holds, and llama-cpp-python reuses only the prefix common to
them and the new prompt: a stale snapshot (a chat edited by the CLI meanwhile) costs time, never
correctness. Snapshots are keyed by session and by a fingerprint of what makes a cache reusable
(the model file, the context length, the cache type); memory and disk are bounded, the least
recently used going first. A disk write goes through a temporary file, so a crash leaves the old
file or none; a file that cannot be read is removed and ignored.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import json
import logging
import os
import queue
import re
import struct
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.files import make_private_dir, private_opener

log = logging.getLogger(__name__)

_MAGIC = b"LLKV"
_VERSION = 1
_HEAD = struct.Struct("<4sII")  # magic, version, length of the JSON header
_SUFFIX = ".kvstate"
_CHAT_SESSION = re.compile(r"chat-(\d+)")
_STALE_TEMPORARY_S = 3600  # surely not another process still writing it


def chat_session(conversation_id: int) -> str:
    """The session key of a saved chat."""
    return f"chat-{conversation_id}"


def fingerprint(*parts: object) -> str:
    """A short digest of what a snapshot can only be restored under (model file, context)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Snapshot:
    """The tokens in a KV cache and llama.cpp's state of that sequence."""

    tokens: array.array[int]
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data) + self.tokens.itemsize * len(self.tokens)


class StateCache:
    """Snapshots by (session, fingerprint): the last used in memory, all of them on disk.

    `directory` None keeps memory only. A budget of 0 turns that tier off. Snapshots of fewer
    than `min_tokens` tokens are not kept (evaluating them again is as quick as restoring).
    Used from the engine's thread; disk writes run on a thread of their own, so leaving a chat
    does not wait for them; `flush` does.
    """

    def __init__(self, directory: Path | None, *, ram_bytes: int = 1 << 30,
                 disk_bytes: int = 4 << 30, min_tokens: int = 64) -> None:
        self.directory = directory
        self.ram_bytes = ram_bytes
        self.disk_bytes = disk_bytes
        self.min_tokens = min_tokens
        self._ram: OrderedDict[tuple[str, str], Snapshot] = OrderedDict()
        self._on_disk: dict[Path, int] = {}  # what this process wrote: path -> tokens
        self._writes: queue.Queue[tuple[Path, Snapshot] | None] = queue.Queue()
        self._writer: threading.Thread | None = None

    def set_limits(self, ram_bytes: int, disk_bytes: int) -> None:
        """New budgets (the settings changed), applied at once."""
        self.ram_bytes, self.disk_bytes = ram_bytes, disk_bytes
        self._trim_ram()
        if self.directory is not None and self.directory.is_dir():
            self.flush()
            self.prune()

    # -- memory ----------------------------------------------------------------------------

    def keep(self, session: str, print_: str, snapshot: Snapshot) -> None:
        """Keep a snapshot of `session`: in memory, and written to disk in the background."""
        if len(snapshot.tokens) < self.min_tokens:
            return
        key = (session, print_)
        self._ram.pop(key, None)
        if snapshot.size <= self.ram_bytes:
            self._ram[key] = snapshot
            self._trim_ram()
        path = self._path(session, print_)
        if path is not None and self._on_disk.get(path) != len(snapshot.tokens):
            self._on_disk[path] = len(snapshot.tokens)
            self._start_writer()
            self._writes.put((path, snapshot))

    def find(self, session: str, print_: str) -> Snapshot | None:
        """The latest snapshot of `session` under this fingerprint, from memory or disk."""
        key = (session, print_)
        snapshot = self._ram.get(key)
        if snapshot is not None:
            self._ram.move_to_end(key)
            return snapshot
        path = self._path(session, print_)
        if path is None or not path.is_file():
            return None
        self.flush()  # a write of this very file may still be under way
        snapshot = _read(path, print_)
        if snapshot is None:
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return snapshot

    def forget_memory(self, keep_print: str | None = None) -> None:
        """Drop the snapshots in memory, except those under `keep_print` (the model that stays
        loaded); they stay on disk."""
        for key in [k for k in self._ram if k[1] != keep_print]:
            del self._ram[key]

    def _trim_ram(self) -> None:
        total = sum(s.size for s in self._ram.values())
        while self._ram and total > self.ram_bytes:
            _, dropped = self._ram.popitem(last=False)
            total -= dropped.size

    # -- disk ------------------------------------------------------------------------------

    def _path(self, session: str, print_: str) -> Path | None:
        if self.directory is None or self.disk_bytes <= 0:
            return None
        return self.directory / f"{session}.{print_}{_SUFFIX}"

    def _start_writer(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(target=self._write_loop, name="state-writer",
                                            daemon=True)
            self._writer.start()

    def _write_loop(self) -> None:
        while True:
            job = self._writes.get()
            try:
                if job is None:
                    return
                path, snapshot = job
                _write(path, snapshot)
                self.prune()
            except OSError as exc:  # a full disk: the chat is evaluated again next time
                log.warning("cannot save the chat's state: %s", exc)
            finally:
                self._writes.task_done()

    def flush(self) -> None:
        """Wait until every snapshot kept so far is on disk."""
        if self._writer is not None and self._writer.is_alive():
            self._writes.join()

    def prune(self) -> None:
        """Remove the least recently used files until the rest fit the disk budget."""
        if self.directory is None:
            return
        files = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.disk_bytes:
                break
            path.unlink(missing_ok=True)
            self._on_disk.pop(path, None)
            total -= size

    def remove(self, session: str) -> None:
        """Forget `session` everywhere (its chat was deleted)."""
        for key in [k for k in self._ram if k[0] == session]:
            del self._ram[key]
        if self.directory is not None:
            self.flush()
            for path in self.directory.glob(f"{session}.*{_SUFFIX}"):
                path.unlink(missing_ok=True)
                self._on_disk.pop(path, None)


def remove_orphans(directory: Path, live_chats: Iterable[int]) -> int:
    """Remove the saved states of chats that no longer exist, and what a process killed while
    writing one left behind; returns how many files."""
    live = {chat_session(i) for i in live_chats}
    removed = 0
    for path in directory.glob(f"*{_SUFFIX}.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > _STALE_TEMPORARY_S:
                path.unlink()
                removed += 1
    for path in directory.glob(f"chat-*{_SUFFIX}"):
        session = path.name.split(".", 1)[0]
        if _CHAT_SESSION.fullmatch(session) and session not in live:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _write(path: Path, snapshot: Snapshot) -> None:
    make_private_dir(path.parent)  # a state decodes back to the whole conversation
    header = json.dumps({"tokens": len(snapshot.tokens),
                         "fingerprint": path.name.split(".")[1]}).encode()
    temporary = path.with_name(path.name + ".tmp")
    tokens = snapshot.tokens
    if sys.byteorder != "little":
        tokens = array.array(tokens.typecode, tokens)
        tokens.byteswap()
    try:
        with open(temporary, "wb", opener=private_opener) as file:
            file.write(_HEAD.pack(_MAGIC, _VERSION, len(header)))
            file.write(header)
            file.write(struct.pack("<B", tokens.itemsize))
            file.write(tokens.tobytes())
            file.write(snapshot.data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def _read(path: Path, print_: str) -> Snapshot | None:
    """The snapshot in `path`, or None if it is not one of ours, damaged, or for another
    fingerprint."""
    try:
        with path.open("rb") as file:
            magic, version, length = _HEAD.unpack(file.read(_HEAD.size))
            if magic != _MAGIC or version != _VERSION:
                return None
            header = json.loads(file.read(length))
            (itemsize,) = struct.unpack("<B", file.read(1))
            count = int(header["tokens"])
            if header.get("fingerprint") != print_ or itemsize not in (4, 8):
                return None
            tokens = array.array("i" if itemsize == 4 else "q")
            if tokens.itemsize != itemsize:
                return None
            tokens.frombytes(file.read(count * itemsize))
            if sys.byteorder != "little":
                tokens.byteswap()
            data = file.read()
    except (OSError, ValueError, KeyError, TypeError, struct.error, EOFError) as exc:
        log.warning("ignoring the saved state %s: %s", path, exc)
        return None
    if len(tokens) != count or not data:
        return None
    return Snapshot(tokens, data)
