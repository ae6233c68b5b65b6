"""The main window: the chat (model picker, conversation, composer) and the Models page.

The two are pages of one stack: the Models page opens from the picker (its last item, or the
Models… button beside it) and downloads keep running while the user is back in the chat.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.engine import ModelInfo
from app.core.models.library import BUILTIN_INSTALL_HINT, ModelEntry, list_models
from app.paths import AppPaths
from app.qt.controller import ChatController, ChatState
from app.qt.state import save_state
from app.qt.widgets.chat_view import ChatView
from app.qt.widgets.composer import Composer
from app.qt.widgets.models_page import ModelsPage
from app.qt.workers.downloads import DownloadManager, JobState

MANAGE_MODELS = "manage-models"  # the picker's last item: opens the Models page


class ModelPicker(QComboBox):
    """The built-in model and every `.gguf` in the models folder, re-read each time it opens,
    and last "Manage models…".

    Choosing "Manage models…" never selects it: the model chosen before stays current.

    Signals:
        manageRequested(): the user chose "Manage models…".
    """

    manageRequested = Signal()

    def __init__(self, models_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.models_dir = models_dir
        self._previous = 0
        self.setMinimumContentsLength(28)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setToolTip(f"Models folder: {models_dir}")
        self.currentIndexChanged.connect(self._on_index_changed)
        self.refresh()

    def refresh(self) -> None:
        current = self.current_entry()
        self.blockSignals(True)
        self.clear()
        for entry in list_models(self.models_dir):
            self.addItem(entry.label, entry)
        if self.count() == 0:
            self.addItem("No model installed", None)
        self.insertSeparator(self.count())
        self.addItem("Manage models…", MANAGE_MODELS)
        if current is not None:
            self.select_path(current.path)
        self._previous = self.currentIndex()
        self.blockSignals(False)

    def is_manage_item(self, index: int) -> bool:
        return bool(self.itemData(index) == MANAGE_MODELS)

    def _on_index_changed(self, index: int) -> None:
        if not self.is_manage_item(index):
            self._previous = index
            return
        self.blockSignals(True)
        self.setCurrentIndex(self._previous)
        self.blockSignals(False)
        self.manageRequested.emit()

    def current_entry(self) -> ModelEntry | None:
        entry = self.currentData()
        return entry if isinstance(entry, ModelEntry) else None

    def select_path(self, path: Path) -> bool:
        for i in range(self.count()):
            entry = self.itemData(i)
            if isinstance(entry, ModelEntry) and entry.path == path:
                self.setCurrentIndex(i)
                return True
        return False

    def showPopup(self) -> None:
        self.refresh()  # a file dropped into the folder shows up without a restart
        super().showPopup()


class ErrorBanner(QFrame):
    """A message the user must read, shown above the conversation until dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet("#errorBanner { background: #fde8e8; border: 1px solid #f5b5b5; "
                           "border-radius: 4px; } QLabel { color: #7a1616; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setObjectName("errorText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.show()


class MainWindow(QMainWindow):
    def __init__(self, controller: ChatController, paths: AppPaths) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Lamplight")
        self.resize(900, 700)
        self.controller = controller
        self.paths = paths
        self.error_banner = ErrorBanner()
        self.chat_view = ChatView()
        self.chat_view.set_model(controller.model)
        # Paused downloads of an earlier run are listed from their files alone: nothing is
        # fetched at start-up, and the user resumes them.
        self.downloads = DownloadManager(paths.models_dir, self)
        self.downloads.restore_pending()

        self.chat_page = QWidget()
        self.chat_page.setObjectName("chatPage")
        layout = QVBoxLayout(self.chat_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_model_bar())
        layout.addWidget(self.error_banner)
        layout.addWidget(self.chat_view, 1)
        layout.addLayout(self._build_composer())
        self.models_page = ModelsPage(paths.models_dir, self.downloads, controller.n_ctx)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.chat_page)
        self.pages.addWidget(self.models_page)
        central = QWidget()
        QVBoxLayout(central).addWidget(self.pages)
        self.setCentralWidget(central)
        self._build_status_bar()

        self.models_page.backRequested.connect(self.show_chat)
        self.models_page.useRequested.connect(self.use_model)
        self.models_page.libraryChanged.connect(self.model_picker.refresh)
        for signal in (self.downloads.added, self.downloads.changed, self.downloads.removed):
            signal.connect(self._show_downloads)
        # Downloads end while the user may be chatting: say so where they look.
        self.downloads.installed.connect(lambda path: self.statusBar().showMessage(
            f"Downloaded {path.name}: pick it in the model list.", 10_000))
        self.downloads.failed.connect(lambda _key, _message: self.statusBar().showMessage(
            "A download failed: see Models….", 10_000))
        controller.stateChanged.connect(self._show_state)
        controller.modelLoaded.connect(self._on_model_loaded)
        controller.errorRaised.connect(self.error_banner.show_error)
        controller.answerFinished.connect(
            lambda result: self.status_speed.setText(f"{result.stats.tokens_per_s:.1f} tok/s"))
        self._show_state(controller.state)
        self._show_downloads()

    def _build_model_bar(self) -> QHBoxLayout:
        self.model_picker = ModelPicker(self.paths.models_dir)
        self.model_picker.activated.connect(self._on_model_picked)
        self.model_picker.manageRequested.connect(self.show_models)
        manage = QPushButton("Models…")
        manage.setObjectName("manageModelsButton")
        manage.setToolTip("Download, import and delete models")
        manage.clicked.connect(self.show_models)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model:"))
        top.addWidget(self.model_picker, 1)
        top.addWidget(manage)
        return top

    def _build_composer(self) -> QHBoxLayout:
        controller = self.controller
        self.composer = Composer()
        self.composer.submitted.connect(self._send)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.composer.submit)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.clicked.connect(controller.stop)
        QShortcut(QKeySequence("Esc"), self, activated=controller.stop)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.composer, 1)
        bottom.addLayout(buttons)
        return bottom

    def _build_status_bar(self) -> None:
        self.status_model = QLabel()
        self.status_model.setObjectName("statusModel")
        self.status_state = QLabel()
        self.status_state.setObjectName("statusState")
        self.status_speed = QLabel()
        self.status_speed.setObjectName("statusSpeed")
        self.status_downloads = QLabel()
        self.status_downloads.setObjectName("statusDownloads")
        self.status_downloads.setToolTip("Show the downloads")
        self.status_downloads.linkActivated.connect(lambda _link: self.show_models())
        self.statusBar().addWidget(self.status_model, 1)
        self.statusBar().addPermanentWidget(self.status_downloads)
        self.statusBar().addPermanentWidget(self.status_speed)
        self.statusBar().addPermanentWidget(self.status_state)

    # -- actions ---------------------------------------------------------------------------

    def start(self, preferred: Path | None = None) -> None:
        """Load the preferred model if it is still there, else the first one listed."""
        if preferred is None or not self.model_picker.select_path(preferred):
            self.model_picker.setCurrentIndex(0)
        entry = self.model_picker.current_entry()
        if entry is None:
            self.error_banner.show_error(
                f"{BUILTIN_INSTALL_HINT}\nModels folder: {self.paths.models_dir}")
            return
        self.controller.select_model(entry)

    def show_models(self) -> None:
        self.pages.setCurrentWidget(self.models_page)

    def show_chat(self) -> None:
        self.pages.setCurrentWidget(self.chat_page)
        if self.composer.isEnabled():
            self.composer.setFocus()

    def use_model(self, entry: ModelEntry) -> None:
        """Chat with `entry` (picked on the Models page): select it and load it."""
        self.model_picker.refresh()
        self.model_picker.select_path(entry.path)
        self.show_chat()
        if entry != self.controller.entry or self.controller.state is ChatState.NO_MODEL:
            self.error_banner.hide()
            self.controller.select_model(entry)

    def _on_model_picked(self, index: int) -> None:
        if self.model_picker.is_manage_item(index):
            return
        entry = self.model_picker.current_entry()
        if entry is not None and entry != self.controller.entry:
            self.error_banner.hide()
            self.controller.select_model(entry)

    def _send(self, text: str) -> None:
        self.error_banner.hide()
        self.chat_view.scroll_to_bottom()
        self.controller.send(text)

    # -- reflecting state ------------------------------------------------------------------

    def _on_model_loaded(self, info: ModelInfo) -> None:
        entry = self.controller.entry
        label = entry.label if entry else info.name
        self.status_model.setText(label)
        self.status_model.setToolTip(
            f"{info.path}\ncontext {info.n_ctx} tokens · {info.n_threads} threads\n"
            f"chat template: {info.template_description}")
        if entry is not None:
            save_state(self.paths.state_file, last_model=str(entry.path))

    def _show_state(self, state: ChatState) -> None:
        loaded = state in (ChatState.READY, ChatState.GENERATING)
        generating = state is ChatState.GENERATING
        self.composer.setEnabled(loaded)
        self.composer.can_submit = state is ChatState.READY
        self.composer.setPlaceholderText({
            ChatState.NO_MODEL: "No model loaded: pick one above.",
            ChatState.LOADING: "Loading the model…",
        }.get(state, "Ask anything. Enter sends, Shift+Enter starts a new line."))
        self.send_button.setEnabled(state is ChatState.READY)
        self.stop_button.setEnabled(generating)
        self.status_state.setText(state.value)
        if state is ChatState.NO_MODEL:
            self.status_model.setText("No model loaded")
        elif state is ChatState.LOADING and self.controller.entry:
            self.status_model.setText(f"{self.controller.entry.label}")
        if loaded and self.pages.currentWidget() is self.chat_page:
            self.composer.setFocus()
        entry = self.controller.entry
        self.models_page.set_in_use(
            entry.path if entry is not None and state is not ChatState.NO_MODEL else None)

    def _show_downloads(self, _key: str | None = None) -> None:
        jobs = self.downloads.jobs()
        running = self.downloads.running_count()
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
        self.status_downloads.setText(f"<a href='downloads'>{text}</a>" if text else "")
        self.status_downloads.setVisible(bool(text))

    def shutdown(self) -> None:
        """Stop the answer, pause the downloads and end the worker threads; safe to repeat."""
        self.controller.stop()
        self.models_page.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
