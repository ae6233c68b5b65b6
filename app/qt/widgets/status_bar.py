"""The window's bottom line: the model and where it runs, what the chat is doing, the speed of
the last answer, and the downloads in words (a click shows them)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.core.engine import GenerationResult, ModelInfo
from app.core.engine.connection import Connection
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
        self.downloads.setToolTip("Show the downloads")
        self.downloads.linkActivated.connect(lambda _link: self.downloadsClicked.emit())
        self.addWidget(self.model, 1)
        self.addPermanentWidget(self.downloads)
        self.addPermanentWidget(self.speed)
        self.addPermanentWidget(self.state)
        # Qt hides the model's label for a message only if it is visible at that moment: one
        # shown before the window was left the label under the message once the window showed.
        self.messageChanged.connect(self._on_message)

    def _on_message(self, message: str) -> None:
        self.model.setVisible(not message)

    def show_model(self, label: str) -> None:
        self.model.setText(label)

    def show_model_details(self, info: ModelInfo, gpu_backend: str | None,
                           connection: Connection | None = None) -> None:
        """The loaded model's file, context, threads, where it runs and its chat template, in
        the model's tooltip; `gpu_backend` names the GPU's ("CUDA") when it is known. A model of
        a `connection`: its server, the context it reports and whether tokens are estimated."""
        if info.is_remote:
            self.model.setToolTip(plain_tooltip(remote_details(info, connection)))
            return
        runs_on = f"GPU offload ({gpu_backend or 'GPU'})" if info.gpu_offload else "CPU"
        adapting = " (fewer while the machine is busy)" if info.threads_adapt else ""
        self.model.setToolTip(plain_tooltip(
            f"{info.path}\ncontext {info.n_ctx} tokens · {runs_on}\nthreads: "
            f"{info.n_threads} for answers, {info.n_threads_batch or info.n_threads} for "
            f"prompts{adapting}\nchat template: {info.template_description}"))

    def show_state(self, text: str) -> None:
        self.state.setText(text)

    def show_speed(self, result: GenerationResult) -> None:
        """The last answer's speed; a reasoning model's thinking and answer tokens apart, and
        how long it thought in the tooltip."""
        # A summary stopped before its last step wrote nothing to time: keep the last speed.
        s = result.stats
        if s.completion_tokens:
            self.speed.setText(f"{s.tokens_per_s:.1f} tok/s" +
                               (f" · {token_counts(s)}" if s.thinking_tokens else ""))
            in_use = (f"threads in use: {s.threads} for the answer, {s.threads_batch} for "
                      "the prompt" if s.threads else "")
            self.speed.setToolTip("\n".join(t for t in (thinking_time(s), in_use) if t))

    def show_downloads(self, manager: DownloadManager) -> None:
        """How many downloads run, else failed, else are paused; nothing when none is left."""
        jobs = manager.jobs()
        running = manager.running_count()
        failed = sum(1 for j in jobs if j.state is JobState.FAILED)
        paused = sum(1 for j in jobs if j.state is JobState.PAUSED)
        if running:
            text = f"Downloading {running} model{'s' if running > 1 else ''}…"
        elif failed:
            text = f"{failed} download{'s' if failed > 1 else ''} failed"
        elif paused:
            text = f"{paused} download{'s' if paused > 1 else ''} paused"
        else:
            text = ""
        self.downloads.setText(f"<a href='downloads'>{text}</a>" if text else "")
        self.downloads.setVisible(bool(text))


def remote_details(info: ModelInfo, connection: Connection | None) -> str:
    """A remote model's tooltip: where it runs, its context and how tokens are counted."""
    server = f"{info.location} ({connection.url})" if connection else info.location
    context = "set on the connection" if connection and connection.n_ctx else \
        "as the server reports it"
    at_once = f"{info.parallel} request{'s' if info.parallel != 1 else ''} at once"
    lines = [f"{info.name} on {server}", f"context {info.n_ctx:,} tokens ({context}) · {at_once}",
             f"chat template: {info.template_description}"]
    if info.tokens_estimated:
        lines.append("token counts are estimates: the server cannot count them")
    return "\n".join(lines)
