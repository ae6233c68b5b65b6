"""The window's bottom line: the model and where it runs, what the chat is doing, the speed of
the last answer, and the downloads in words (a click shows them)."""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.core.engine import GenerationResult, ModelInfo
from app.core.engine.connection import Connection
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.widgets.message_footer import thinking_time, token_counts
from app.qt.workers.downloads import DownloadManager, JobState


class StatusBar(QStatusBar):
    """The model, the chat's state, the last answer's speed and the downloads; passing messages
    (`showMessage`) take the model's place for a while: the model's name is hidden while one
    shows, so one message is read at a time, never two drawn over each other.

    Signals:
        downloadsClicked(): the user clicked the downloads' summary.
    """

    downloadsClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QLabel()
        self.model.setObjectName("statusModel")
        self.model.setTextFormat(Qt.TextFormat.PlainText)  # a file's name
        self.state = QLabel()
        self.state.setObjectName("statusState")
        self.state.setTextFormat(Qt.TextFormat.PlainText)  # may name a model
        self.speed = QLabel()
        self.speed.setObjectName("statusSpeed")
        self.downloads = QLabel()
        self.downloads.setObjectName("statusDownloads")
        self.downloads.linkActivated.connect(lambda _link: self.downloadsClicked.emit())
        self.addWidget(self.model, 1)
        self.addPermanentWidget(self.downloads)
        self.addPermanentWidget(self.speed)
        self.addPermanentWidget(self.state)
        # Qt hides the model's label for a message only if it is visible at that moment: one
        # shown before the window was left the label under the message once the window showed.
        self.messageChanged.connect(self._on_message)
        # What the words were made from, to word them again in another language.
        self._details: tuple[ModelInfo, str | None, Connection | None] | None = None
        self._result: GenerationResult | None = None
        self._manager: DownloadManager | None = None
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.downloads.setToolTip(self.tr("Show the downloads"))
        if self._details is not None:
            self.show_model_details(*self._details)
        if self._result is not None:
            self.show_speed(self._result)
        if self._manager is not None:
            self.show_downloads(self._manager)

    def _on_message(self, message: str) -> None:
        self.model.setVisible(not message)

    def show_model(self, label: str) -> None:
        self.model.setText(label)

    def show_model_details(self, info: ModelInfo, gpu_backend: str | None,
                           connection: Connection | None = None) -> None:
        """The loaded model's file, context, threads, where it runs and its chat template, in
        the model's tooltip; `gpu_backend` names the GPU's ("CUDA") when it is known. A model of
        a `connection`: its server, the context it reports and whether tokens are estimated."""
        self._details = (info, gpu_backend, connection)
        if info.is_remote:
            self.model.setToolTip(plain_tooltip(remote_details(info, connection)))
            return
        runs_on = self.tr("GPU offload ({backend})").format(
            backend=gpu_backend or "GPU") if info.gpu_offload else "CPU"
        threads = info.n_threads_batch or info.n_threads
        lines = [str(info.path),
                 self.tr("context {n} tokens · {runs_on}").format(
                     n=info.n_ctx, runs_on=runs_on),
                 self.tr("threads: {answers} for answers, {prompts} for prompts (fewer while "
                         "the machine is busy)").format(answers=info.n_threads, prompts=threads)
                 if info.threads_adapt else
                 self.tr("threads: {answers} for answers, {prompts} for prompts").format(
                     answers=info.n_threads, prompts=threads),
                 self.tr("chat template: {template}").format(
                     template=info.template_description)]
        self.model.setToolTip(plain_tooltip("\n".join(lines)))

    def show_state(self, text: str) -> None:
        self.state.setText(text)

    def show_speed(self, result: GenerationResult) -> None:
        """The last answer's speed; a reasoning model's thinking and answer tokens apart, and
        how long it thought in the tooltip."""
        # A summary stopped before its last step wrote nothing to time: keep the last speed.
        s = result.stats
        if s.completion_tokens:
            self._result = result
            speed = self.tr("{speed} tok/s").format(speed=f"{s.tokens_per_s:.1f}")
            self.speed.setText(f"{speed} · {token_counts(s)}" if s.thinking_tokens else speed)
            in_use = (self.tr("threads in use: {answer} for the answer, {prompt} for the "
                              "prompt").format(answer=s.threads, prompt=s.threads_batch)
                      if s.threads else "")
            self.speed.setToolTip("\n".join(t for t in (thinking_time(s), in_use) if t))

    def show_downloads(self, manager: DownloadManager) -> None:
        """How many downloads run, else failed, else are paused; nothing when none is left."""
        self._manager = manager
        jobs = manager.jobs()
        running = manager.running_count()
        failed = sum(1 for j in jobs if j.state is JobState.FAILED)
        paused = sum(1 for j in jobs if j.state is JobState.PAUSED)
        if running:
            text = self.tr("Downloading 1 model…") if running == 1 else \
                self.tr("Downloading {n} models…").format(n=running)
        elif failed:
            text = self.tr("1 download failed") if failed == 1 else \
                self.tr("{n} downloads failed").format(n=failed)
        elif paused:
            text = self.tr("1 download paused") if paused == 1 else \
                self.tr("{n} downloads paused").format(n=paused)
        else:
            text = ""
        self.downloads.setText(f"<a href='downloads'>{html.escape(text)}</a>" if text else "")
        self.downloads.setVisible(bool(text))


def remote_details(info: ModelInfo, connection: Connection | None) -> str:
    """A remote model's tooltip: where it runs, its context and how tokens are counted."""
    server = f"{info.location} ({connection.url})" if connection else info.location
    context = (QCoreApplication.translate("RemoteDetails", "set on the connection")
               if connection and connection.n_ctx else
               QCoreApplication.translate("RemoteDetails", "as the server reports it"))
    at_once = (QCoreApplication.translate("RemoteDetails", "1 request at once")
               if info.parallel == 1 else
               QCoreApplication.translate("RemoteDetails", "{n} requests at once").format(
                   n=info.parallel))
    lines = [QCoreApplication.translate("RemoteDetails", "{model} on {server}").format(
                 model=info.name, server=server),
             QCoreApplication.translate(
                 "RemoteDetails", "context {n} tokens ({how}) · {at_once}").format(
                 n=f"{info.n_ctx:,}", how=context, at_once=at_once),
             QCoreApplication.translate("RemoteDetails", "chat template: {template}").format(
                 template=info.template_description)]
    if info.tokens_estimated:
        lines.append(QCoreApplication.translate(
            "RemoteDetails", "token counts are estimates: the server cannot count them"))
    return "\n".join(lines)
