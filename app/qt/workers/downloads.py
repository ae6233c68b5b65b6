"""Downloads that run while the user chats: one thread per running download, any number at once.

`DownloadManager` lives on the GUI thread and is all the GUI talks to. Each running download is a
`BackgroundCall` (the GUI's one runner) of the blocking `Download.run`, which reports its progress
and how it ended on the GUI thread; the manager turns those into its own signals. Pause stops the
call through its `CancelToken` (the `.part` file stays); Resume starts a new run of the same
`Download`, which continues with a Range request; Cancel pauses, then deletes the part once the
run has stopped writing to it. A download keeps the source it started from (the hub, a mirror,
ModelScope: its `RemoteFile.source`), whatever source is chosen meanwhile, and so do the paused
downloads of earlier sessions (their notes record it).
"""

from __future__ import annotations

import enum
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.core.engine.cancel import CancelToken
from app.core.models.download import Download, Progress
from app.core.models.hub import HubError, RemoteFile
from app.qt.workers.background import BackgroundCall

log = logging.getLogger(__name__)


class JobState(enum.Enum):
    RUNNING = "running"
    PAUSING = "pausing"  # the token is cancelled; the thread is finishing its chunk
    PAUSED = "paused"
    CANCELLING = "cancelling"  # as pausing, and the part is deleted once the thread is done
    FAILED = "failed"  # the part (if any) is kept; Resume retries


def job_key(remote: RemoteFile) -> str:
    """`repo/file`, the same string as a catalog entry's `key`."""
    return f"{remote.repo}/{remote.filename}"


@dataclass(eq=False)
class DownloadJob:
    """What the GUI shows for one download. Only the manager changes it, on the GUI thread."""

    download: Download
    state: JobState
    progress: Progress
    error: str | None = None
    _call: BackgroundCall | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return job_key(self.download.remote)

    @property
    def remote(self) -> RemoteFile:
        return self.download.remote

    @property
    def name(self) -> str:
        return PurePosixPath(self.remote.filename).name

    @property
    def active(self) -> bool:
        """A run of it is going (also while it stops)."""
        return self._call is not None


class DownloadManager(QObject):
    """Every download of this session and the paused ones of earlier sessions.

    All methods are called on the GUI thread, and all signals are emitted there.

    Signals:
        added(str): a job with this key appeared (see `job`).
        changed(str): a job's state or progress changed.
        removed(str): a job ended: installed, or cancelled and its part deleted.
        installed(object): the `Path` of a model that finished downloading and was verified.
        failed(str, str): a job's key and a message fit for the user; the job stays, as failed.
    """

    added = Signal(str)
    changed = Signal(str)
    removed = Signal(str)
    installed = Signal(object)
    failed = Signal(str, str)

    def __init__(self, models_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models_dir = models_dir
        self._jobs: dict[str, DownloadJob] = {}
        self._closing = False

    # -- queries ---------------------------------------------------------------------------

    def jobs(self) -> list[DownloadJob]:
        return list(self._jobs.values())

    def job(self, key: str) -> DownloadJob | None:
        return self._jobs.get(key)

    def running_count(self) -> int:
        return sum(1 for j in self._jobs.values() if j.state is JobState.RUNNING)

    # -- actions ---------------------------------------------------------------------------

    def restore_pending(self) -> None:
        """List the downloads an earlier session left unfinished, as paused. Local files only."""
        for download in Download.pending(self.models_dir):
            job = DownloadJob(download, JobState.PAUSED, self._progress_of(download))
            if job.key not in self._jobs:
                self._jobs[job.key] = job
                self.added.emit(job.key)

    def start(self, remote: RemoteFile) -> DownloadJob:
        """Download `remote`, or resume it if it is paused or failed; a running one is left be."""
        key = job_key(remote)
        job = self._jobs.get(key)
        if job is None:
            download = Download(self.models_dir, remote)
            job = DownloadJob(download, JobState.PAUSED, self._progress_of(download))
            self._jobs[key] = job
            self.added.emit(key)
        self.resume(key)
        return job

    def resume(self, key: str) -> None:
        job = self._jobs.get(key)
        if job is None or job.active or self._closing:
            return
        job.state, job.error = JobState.RUNNING, None
        download = job.download
        cancel = CancelToken()  # a token is for one run: Resume makes a new one

        def run() -> Path:
            # Progress comes at most 10 a second (the core throttles): each can be a signal.
            return download.run(cancel, call.report)

        call = BackgroundCall(run, self.tr("Downloading {}").format(job.name), cancel=cancel,
                              explain=functools.partial(_explain, download))
        call.progressed.connect(lambda progress: self._on_progress(key, progress))
        call.done.connect(lambda path: self._on_ended(key, call, "installed", path))
        call.stopped.connect(lambda: self._on_ended(key, call, "interrupted", None))
        call.failed.connect(lambda message: self._on_ended(key, call, "failed", message))
        job._call = call.start()
        self.changed.emit(key)

    def pause(self, key: str) -> None:
        job = self._jobs.get(key)
        if job is not None and job.state is JobState.RUNNING and job._call is not None:
            job.state = JobState.PAUSING
            job._call.stop()
            self.changed.emit(key)

    def cancel(self, key: str) -> None:
        """Stop the download and delete what it saved."""
        job = self._jobs.get(key)
        if job is None:
            return
        if job._call is not None:
            job.state = JobState.CANCELLING
            job._call.stop()
            self.changed.emit(key)  # the part is deleted when the run reports it has stopped
        else:
            self._discard(job)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """At quit: pause every download (parts stay for the next start) and wait for them."""
        self._closing = True
        calls = [(job, job._call) for job in self._jobs.values() if job._call is not None]
        for _job, call in calls:
            call.abandon()  # its report, if it comes, finds nobody listening
            call.stop()
        for job, call in calls:
            if not call.wait(timeout_ms):
                log.warning("the download of %s did not stop in %d ms", job.name, timeout_ms)
                continue
            job._call = None
            if job.state is JobState.CANCELLING:
                self._discard(job)
            elif job.state is not JobState.FAILED:
                job.state = JobState.PAUSED

    # -- what the runs report (on the GUI thread) ------------------------------------------

    def _on_progress(self, key: str, progress: Progress) -> None:
        job = self._jobs.get(key)
        if job is not None and not self._closing:
            job.progress = progress
            self.changed.emit(key)

    def _on_ended(self, key: str, call: BackgroundCall, outcome: str, value: object) -> None:
        job = self._jobs.get(key)
        if job is None or job._call is not call:  # a run the manager no longer waits for
            return
        job._call = None
        if self._closing:
            return
        if outcome == "installed":
            del self._jobs[key]
            self.removed.emit(key)
            self.installed.emit(value)
        elif job.state is JobState.CANCELLING:
            self._discard(job)
        elif outcome == "interrupted":
            job.state = JobState.PAUSED
            job.progress = self._progress_of(job.download, job.progress)
            self.changed.emit(key)
        else:
            message = str(value)
            job.state, job.error = JobState.FAILED, message
            job.progress = self._progress_of(job.download, job.progress)
            self.changed.emit(key)
            self.failed.emit(key, message)

    def _discard(self, job: DownloadJob) -> None:
        try:
            job.download.discard()
        except OSError as exc:
            log.warning("cannot delete the part of %s: %s", job.name, exc)
        del self._jobs[job.key]
        self.removed.emit(job.key)

    @staticmethod
    def _progress_of(download: Download, last: Progress | None = None) -> Progress:
        """Where a stopped download stands: the bytes on disk, no speed."""
        done = download.done_bytes
        total = download.remote.size or (last.total if last else 0)
        return Progress(done, total, 0.0, None)


def _explain(download: Download, exc: BaseException) -> str | None:
    """A failed run's message: the hub's own (also a full disk, a wrong hash), a file that
    cannot be written in plain words, else the runner's."""
    if isinstance(exc, HubError):
        return str(exc)
    if isinstance(exc, OSError):
        return QCoreApplication.translate("DownloadManager", "Cannot save {name}: {why}").format(
            name=download.path.name, why=exc.strerror or exc)
    return None
