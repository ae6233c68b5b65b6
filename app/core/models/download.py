"""Download one GGUF file from its source into the models folder: resumable and verified.

The bytes go to `<file>.gguf.part`, beside a `<file>.gguf.part.json` naming the repo, commit, size
and SHA-256. Only when every byte is there and the SHA-256 matches the hub's LFS hash is the part
renamed to `<file>.gguf`, so the library (which lists `*.gguf` only) never shows, and the engine
never loads, a partial, interrupted or mismatching file. Pausing, a dropped connection, a full
disk or a killed process all leave the part and its note behind, and the next `run()` (in this
process or after a restart) continues with a Range request from where the bytes end.

The transfer is our own loop over `huggingface_hub`'s HTTP session, headers and error mapping,
rather than `hf_hub_download`: that reads in 10 MB chunks, which would make a Pause take seconds
on a slow line, and would hash the file in a second pass after it. It is the same loop for every
source (`sources.py`): the hub, a mirror (sent no token unless the user allows it) and
ModelScope (from the address its own client downloads from, `modelscope.file_url`). The note
records the source, so a resumed download continues from where it started; a part whose bytes a
newer listing names too (same size and SHA-256, another source) is kept.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.core.engine.cancel import CancelToken
from app.core.engine.gguf import GGUFError, read_header
from app.core.models import hub, modelscope
from app.core.models.registry import Registry
from app.core.throttle import Throttle
from app.files import UnsafePathError, child_path, format_bytes, read_regular_file
from app.i18n import _

log = logging.getLogger(__name__)

HASH_BLOCK = 8 << 20  # reading a part back to hash it on resume
RESERVE_BYTES = 256 * 1024 * 1024  # keep this much disk free for everything else
MAX_RETRIES = 5  # attempts in a row that bring no new byte
PROGRESS_INTERVAL_S = 0.1
_MAX_NOTE = 64 * 1024  # a download note is a few hundred bytes
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class DownloadInterrupted(hub.HubError):
    """Paused or cancelled: the part stays for a later resume (unless discarded)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Paused."))


class HashMismatchError(hub.HubError):
    """The bytes do not match the hub's SHA-256; nothing was installed."""


class DiskFullError(hub.HubError):
    """Not enough free space; what was downloaded so far is kept."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    speed: float  # bytes per second, smoothed
    eta_s: float | None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def free_bytes(folder: Path) -> int:
    """Free space where `folder` lives (its nearest existing parent)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def install_path(models_dir: Path, repo: str, filename: str) -> Path:
    """Where a hub file is installed: `<models>/<owner>/<repo>/<file>`, as LM Studio lays it out.

    Both names come from outside (the hub, the catalog, a note on disk): the repo id must be one
    the hub allows, and the result must stay inside the models folder, whatever the names hold
    (`..`, an absolute path, a drive letter, a backslash). Raises `hub.HubError` otherwise.
    """
    hub.validate_repo_id(repo)
    hub.check_file_name(filename)
    try:  # resolved too: a folder in the way that is a link out is refused as well
        return child_path(models_dir, repo, filename)
    except UnsafePathError:
        raise hub.UntrustedAnswerError(_(
            "Refusing the file name {name}: it would not stay in the models folder.").format(
            name=repr(filename[:200]))) from None


def target_path(models_dir: Path, remote: hub.RemoteFile) -> Path:
    """Where `remote` is installed (see `install_path`)."""
    return install_path(models_dir, remote.repo, remote.filename)


class _Rate:
    """Speed over roughly the last few seconds (an exponential moving average)."""

    def __init__(self) -> None:
        self.speed = 0.0
        self._t = time.monotonic()
        self._bytes = 0

    def add(self, n: int) -> None:
        self._bytes += n
        now = time.monotonic()
        dt = now - self._t
        if dt >= 0.25:
            sample = self._bytes / dt
            self.speed = sample if self.speed == 0 else 0.7 * self.speed + 0.3 * sample
            self._t, self._bytes = now, 0


class Download:
    """One hub file on its way into the models folder. `run()` is called on a worker thread."""

    def __init__(self, models_dir: Path, remote: hub.RemoteFile) -> None:
        self.models_dir = models_dir
        self.remote = remote
        self.path = target_path(models_dir, remote)
        self.part = self.path.with_name(self.path.name + ".part")
        self.note = self.path.with_name(self.path.name + ".part.json")

    @classmethod
    def pending(cls, models_dir: Path) -> list[Download]:
        """Downloads paused or broken off earlier, also by a process that was killed."""
        found = []
        for note in sorted(models_dir.rglob("*.gguf.part.json")):
            try:
                remote = _read_note(note)
                download = cls(models_dir, remote)  # its paths are checked again here
            except (OSError, ValueError, KeyError, TypeError, hub.HubError) as exc:
                log.warning("ignoring unreadable download note %s: %s", note, exc)
                continue
            if download.note == note:
                found.append(download)
        return found

    @property
    def done_bytes(self) -> int:
        try:
            return self.part.stat().st_size
        except FileNotFoundError:
            return 0

    def discard(self) -> None:
        """Forget the download: delete the part and its note."""
        self.part.unlink(missing_ok=True)
        self.note.unlink(missing_ok=True)
        remove_empty_parents(self.path.parent, self.models_dir)

    def run(self, cancel: CancelToken,
            on_progress: Callable[[Progress], None] | None = None) -> Path:
        """Fetch the rest of the file, verify it and install it; returns the installed path.

        Raises `DownloadInterrupted` on cancel, `DiskFullError`, `HashMismatchError` (the part is
        deleted), or another `HubError` (the part is kept for a retry).
        """
        remote = self.remote
        hub.require_online()
        hub.check_reachable(source=remote.source)  # no network: said in a second, not after
        # five retries
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._start_note()
        have = self.done_bytes
        if have > remote.size:
            self.part.unlink()
            have = 0
        need = remote.size - have
        free = free_bytes(self.path.parent)
        if need + RESERVE_BYTES > free:
            raise DiskFullError(_(
                "Not enough disk space for {name}: it needs {need} more and {free} is free in "
                "{folder} (keeping {spare} spare).").format(
                name=PurePosixPath(remote.filename).name, need=format_bytes(need),
                free=format_bytes(free), folder=self.models_dir,
                spare=format_bytes(RESERVE_BYTES)))
        try:
            digest = self._fetch(cancel, self._hash_part(cancel), on_progress)
        except (hub.NotFoundError, hub.GatedError):
            self.discard()  # nothing to resume: leave no paused download behind
            raise
        return self._install(digest.hexdigest())

    def _start_note(self) -> None:
        """Write the note, restarting from zero if an old part was for other bytes. A part
        saved from another source (or commit) is kept when both name the same SHA-256 and
        size: the same bytes, wherever they come from; the note then names the new source."""
        keep = False
        if self.note.exists():
            try:
                old = _read_note(self.note)
            except (OSError, ValueError, KeyError, TypeError, hub.HubError):
                old = None
            if old == self.remote:
                return
            keep = old is not None and old.same_bytes(self.remote)
            if not keep:
                log.info("the hub's %s changed since the part was saved; starting over",
                         self.remote.filename)
        if not keep:
            self.part.unlink(missing_ok=True)
        self.note.write_text(json.dumps(self.remote.to_json(), indent=1), "utf-8")

    def _hash_part(self, cancel: CancelToken) -> hashlib._Hash:
        digest = hashlib.sha256()
        if self.part.exists():
            with self.part.open("rb") as f:
                while block := f.read(HASH_BLOCK):
                    if cancel.cancelled:
                        raise DownloadInterrupted()
                    digest.update(block)
        return digest

    def _fetch(self, cancel: CancelToken, digest: hashlib._Hash,
               on_progress: Callable[[Progress], None] | None) -> hashlib._Hash:
        """Request what is missing until the file is whole, retrying broken connections."""
        transfer = _Transfer(self, cancel, digest, on_progress)
        name = PurePosixPath(self.remote.filename).name
        failures = 0
        transfer.report.now()
        while transfer.have < self.remote.size:
            before = transfer.have
            try:
                transfer.attempt()
            except hub.NetworkError as exc:
                failures = 0 if transfer.have > before else failures + 1
                try:
                    hub.check_reachable(fresh=True, source=self.remote.source)
                except hub.NetworkError as gone:  # the network went: no use retrying
                    raise hub.NetworkError(_(
                        "{why} {have} of {size} is downloaded and kept; resume to continue.")
                        .format(why=gone, have=format_bytes(transfer.have),
                                size=format_bytes(self.remote.size))) from exc
                if failures > MAX_RETRIES:
                    raise hub.NetworkError(_(
                        "The connection to {source} broke off at {have} of {size} ({why}). "
                        "What was downloaded is kept; resume to continue.").format(
                        source=self.remote.source.label, have=format_bytes(transfer.have),
                        size=format_bytes(self.remote.size), why=exc.__cause__ or exc)) from exc
                wait = min(2.0 ** max(failures - 1, 0), 8.0)
                log.warning("download of %s broke off at %d bytes (%s); retrying in %.0f s",
                            name, transfer.have, exc.__cause__ or exc, wait)
                if cancel.wait(wait):
                    raise DownloadInterrupted() from None
            except OSError as exc:
                if exc.errno in _DISK_FULL:
                    raise DiskFullError(_(
                        "The disk filled up while downloading {name} ({have} of {size} "
                        "saved). Free some space and resume.").format(
                        name=name, have=format_bytes(transfer.have),
                        size=format_bytes(self.remote.size))) from exc
                raise
        if transfer.have != self.remote.size:
            self.discard()
            raise hub.HubError(_("The hub sent {have} bytes of {name}, but said it has "
                                 "{size}. Nothing was installed.").format(
                                     have=transfer.have, name=name, size=self.remote.size))
        transfer.report.now()
        return transfer.digest

    def _install(self, actual: str) -> Path:
        remote = self.remote
        name = PurePosixPath(remote.filename).name
        if remote.sha256 is not None and actual != remote.sha256.lower():
            self.discard()
            raise HashMismatchError(_(
                "{name} does not match the hub's SHA-256 (expected {expected}…, got {actual}…). "
                "The download was deleted and nothing was installed.").format(
                name=name, expected=remote.sha256[:12], actual=actual[:12]))
        if remote.sha256 is None:
            log.warning("%s has no LFS hash on the hub; only its size was checked", name)
        try:
            read_header(self.part)
        except GGUFError as exc:
            self.discard()
            raise hub.HubError(_("{name} is not a usable model: {why}. Nothing was "
                                 "installed.").format(name=name, why=exc)) from None
        self.part.replace(self.path)
        self.note.unlink(missing_ok=True)
        Registry(self.models_dir).add(self.path, source="download", repo=remote.repo,
                                      filename=remote.filename, revision=remote.revision,
                                      sha256=actual, size=remote.size,
                                      origin=remote.source.to_json())
        log.info("installed %s from %s (sha256 %s)", self.path, remote.repo, actual)
        return self.path


def _read_note(note: Path) -> hub.RemoteFile:
    """What a download note says. It is read back from disk, so it is checked as the hub's
    answer was (`RemoteFile` refuses bad names, sizes and hashes), and only a small regular
    file is read (`FileReadError`, a ValueError): a pipe named like a note would block every
    listing."""
    value = json.loads(read_regular_file(note, _MAX_NOTE))
    if not isinstance(value, dict):
        raise ValueError(f"{note.name} does not hold a download note")
    return hub.RemoteFile.from_json(value)


def remove_empty_parents(folder: Path, stop: Path) -> None:
    """Remove `folder` and its parents up to (not including) `stop` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


class _Transfer:
    """The state of one `run()`: bytes and hash so far, speed, and one HTTP request's loop."""

    def __init__(self, download: Download, cancel: CancelToken, digest: hashlib._Hash,
                 on_progress: Callable[[Progress], None] | None) -> None:
        self.download = download
        self.cancel = cancel
        self.digest = digest
        self.on_progress = on_progress
        self.have = download.done_bytes
        self.rate = _Rate()
        # At most 10 a second: a fast connection brings a chunk every few milliseconds. The
        # first and the last are sent with `report.now()`.
        self.report = Throttle(self._report, PROGRESS_INTERVAL_S)

    def _report(self) -> None:
        if self.on_progress is None:
            return
        total = self.download.remote.size
        eta = (total - self.have) / self.rate.speed if self.rate.speed > 0 else None
        self.on_progress(Progress(self.have, total, self.rate.speed, eta))

    def attempt(self) -> None:
        """One GET from `have` on; raises `hub.NetworkError` when the connection breaks."""
        from huggingface_hub import constants, get_session, hf_hub_url, hf_raise_for_status
        from huggingface_hub.utils._headers import build_hf_headers

        download, remote = self.download, self.download.remote
        source, what = remote.source, f"{remote.repo}/{remote.filename}"
        if source.speaks_hub:
            url = hf_hub_url(remote.repo, remote.filename, revision=remote.revision,
                             endpoint=source.endpoint)
            headers = build_hf_headers(token=source.hf_token)  # a mirror: none unless allowed
        else:
            url = modelscope.file_url(remote)
            headers = build_hf_headers(token=False)  # nothing of the hub's account
        headers["Accept-Encoding"] = "identity"  # sizes and Range offsets are of raw bytes
        if self.have:
            headers["Range"] = f"bytes={self.have}-"
        with hub.translated_errors(what, source), \
                get_session().stream("GET", url, headers=headers,
                                     timeout=constants.HF_HUB_DOWNLOAD_TIMEOUT) as resp:
            if not source.speaks_hub:
                modelscope.check_answer(resp.status_code, what)
            hf_raise_for_status(resp)
            if self.have and resp.status_code != 206:
                log.info("the server ignored Range for %s; starting over", remote.filename)
                download.part.unlink(missing_ok=True)
                self.digest, self.have = hashlib.sha256(), 0
            with download.part.open("ab") as out:
                for chunk in resp.iter_bytes():  # as received: a drop loses nothing
                    if self.cancel.cancelled:
                        raise DownloadInterrupted()
                    out.write(chunk)
                    self.digest.update(chunk)
                    self.have += len(chunk)
                    self.rate.add(len(chunk))
                    self.report()
                    if self.have > remote.size:
                        return
