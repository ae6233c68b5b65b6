"""The Downloads list of the Models page: a progress bar and Pause/Resume/Cancel per download."""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.models import sources
from app.core.models.download import Progress
from app.files import format_bytes
from app.qt.appearance import ERROR_TEXT, ThemedStyle, current_colors, follow_theme, set_style
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.workers.downloads import DownloadJob, DownloadManager, JobState

DOWNLOAD_LIST = ThemedStyle(lambda c: f"#downloadList {{ border-top: 1px solid {c.border}; }}")

ROWS_SHOWN = 3  # more downloads than this scroll, so the tabs above keep their room


def format_duration(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def describe_progress(progress: Progress, state: JobState) -> str:
    """"45% · 1.2 GB of 2.6 GB · 12 MB/s · 1:52 left", or where a stopped download stands."""
    parts = [f"{100 * progress.fraction:.0f}%",
             QCoreApplication.translate("DownloadList", "{done} of {total}").format(
                 done=format_bytes(progress.done), total=format_bytes(progress.total))]
    if state is JobState.RUNNING:
        if progress.speed > 0:
            parts.append(f"{format_bytes(progress.speed)}/s")
        parts.append(QCoreApplication.translate("DownloadList", "{} left").format(
            format_duration(progress.eta_s)) if progress.eta_s is not None
            else QCoreApplication.translate("DownloadList", "starting…"))
    else:
        parts.append({JobState.PAUSING: QCoreApplication.translate("DownloadList", "pausing…"),
                      JobState.PAUSED: QCoreApplication.translate("DownloadList", "paused"),
                      JobState.CANCELLING: QCoreApplication.translate("DownloadList",
                                                                      "cancelling…"),
                      JobState.FAILED: QCoreApplication.translate("DownloadList", "stopped")
                      }[state])
    return " · ".join(parts)


class DownloadRow(QFrame):
    """One download: its name, a progress bar, what it is doing, and its buttons."""

    def __init__(self, job: DownloadJob, manager: DownloadManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadRow")
        self.key = job.key
        self.manager = manager
        self.title = QLabel()
        # Rich text holds its colours: written again in a new theme's. The source is named
        # beside the repo unless it is the hub (a download keeps the source it started from).
        source = job.remote.source
        where = job.remote.repo if source.kind == sources.HUGGINGFACE else \
            f"{job.remote.repo} · {source.label}"
        follow_theme(self.title, lambda: self.title.setText(
            f"<b>{html.escape(job.name)}</b>&nbsp;&nbsp;<span style='color:"
            f" {current_colors().muted}'>{html.escape(where)}</span>"))
        self.title.setToolTip(plain_tooltip(str(job.download.path)))
        self.bar = QProgressBar()
        self.bar.setObjectName("downloadProgress")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(SPACE.s)
        self.detail = QLabel()
        self.detail.setObjectName("downloadDetail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)  # an error may quote the server
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pause_button = QPushButton()
        self.pause_button.setObjectName("pauseDownload")
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("cancelDownload")
        self.cancel_button.clicked.connect(lambda: manager.cancel(self.key))
        for button in (self.pause_button, self.cancel_button):
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, SPACE.xs, 0, SPACE.xs)
        grid.setVerticalSpacing(SPACE.xxs)
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.bar, 1, 0)
        grid.addWidget(self.detail, 2, 0)
        grid.addWidget(self.pause_button, 0, 1, 3, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.cancel_button, 0, 2, 3, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.setColumnStretch(0, 1)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop and delete what was downloaded"))
        self.pause_button.setToolTip(self.tr("Pause keeps what was downloaded; Resume continues "
                                             "from there"))
        job = self.manager.job(self.key)
        if job is not None:
            self.update_from(job)

    def update_from(self, job: DownloadJob) -> None:
        state = job.state
        self.bar.setValue(round(1000 * job.progress.fraction))
        if state is JobState.FAILED:
            kept = job.progress.done
            self.detail.setText(self.tr("Failed: {}").format(job.error) if not kept else
                                self.tr("Failed at {size} (kept): {why}").format(
                                    size=format_bytes(kept), why=job.error))
            set_style(self.detail, ERROR_TEXT)
        else:
            self.detail.setText(describe_progress(job.progress, state))
            set_style(self.detail, None)
        self.pause_button.setText(self.tr("Pause") if state is JobState.RUNNING else
                                  self.tr("Retry") if state is JobState.FAILED else
                                  self.tr("Resume"))
        # While the thread finishes its chunk nothing can be done yet: Resume would race it.
        self.pause_button.setEnabled(state in (JobState.RUNNING, JobState.PAUSED,
                                               JobState.FAILED))
        self.cancel_button.setEnabled(state is not JobState.CANCELLING)

    def _pause_or_resume(self) -> None:
        job = self.manager.job(self.key)
        if job is None:
            return
        if job.state is JobState.RUNNING:
            self.manager.pause(self.key)
        else:
            self.manager.resume(self.key)


class DownloadList(QFrame):
    """Every download the manager knows, newest last; hidden while there are none."""

    def __init__(self, manager: DownloadManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadList")
        set_style(self, DOWNLOAD_LIST)
        self.manager = manager
        self.rows: dict[str, DownloadRow] = {}
        self.heading = QLabel()
        self.heading.setObjectName("downloadsHeading")
        inner = QWidget()
        self._rows_layout = QVBoxLayout(inner)
        self._rows_layout.setContentsMargins(0, 0, SPACE.s, 0)
        self._rows_layout.setSpacing(SPACE.xxs)
        self._rows_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(inner)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, SPACE.s, 0, 0)
        layout.setSpacing(SPACE.xxs)
        layout.addWidget(self.heading)
        layout.addWidget(self.scroll_area)
        manager.added.connect(self._add)
        manager.changed.connect(self._update)
        manager.removed.connect(self._remove)
        for job in manager.jobs():
            self._add(job.key)
        self._relayout()
        on_language_change(self, self._update_heading)

    def row(self, key: str) -> DownloadRow | None:
        return self.rows.get(key)

    def _add(self, key: str) -> None:
        job = self.manager.job(key)
        if job is None or key in self.rows:
            return
        row = DownloadRow(job, self.manager)
        self.rows[key] = row
        self._rows_layout.insertWidget(self._rows_layout.count() - 1, row)
        self._relayout()

    def _update(self, key: str) -> None:
        job = self.manager.job(key)
        row = self.rows.get(key)
        if job is not None and row is not None:
            row.update_from(job)
        self._update_heading()

    def _remove(self, key: str) -> None:
        row = self.rows.pop(key, None)
        if row is not None:
            row.hide()
            row.deleteLater()
        self._relayout()

    def _relayout(self) -> None:
        self.setVisible(bool(self.rows))
        if self.rows:
            one = next(iter(self.rows.values())).sizeHint().height() + 2
            self.scroll_area.setFixedHeight(min(len(self.rows), ROWS_SHOWN) * one + 4)
        self._update_heading()

    def _update_heading(self) -> None:
        running = self.manager.running_count()
        total = len(self.rows)
        text = "<b>" + self.tr("Downloads") + f"</b> ({total})"
        if running:
            text += " · " + self.tr("{} running").format(running)
        self.heading.setText(text)
