"""The chat's controller: what happens when the user sends, stops or picks a model."""

from __future__ import annotations

import logging
from enum import Enum

from PySide6.QtCore import QObject, Signal

from app.core.conversation import Message
from app.core.engine import GenerationParams, GenerationResult, LoadSpec, ModelInfo
from app.core.models.library import ModelEntry
from app.qt.viewmodels.conversation_model import ConversationModel
from app.qt.workers.inference import EngineHost

log = logging.getLogger(__name__)


class ChatState(Enum):
    NO_MODEL = "No model"
    LOADING = "Loading…"
    READY = "Ready"
    GENERATING = "Generating…"


class ChatController(QObject):
    """Turns user actions into engine requests and engine signals into model changes.

    Signals:
        stateChanged(object): the new `ChatState`.
        modelLoaded(object): `ModelInfo` of the model now loaded.
        errorRaised(str): something the user must read; the app stays usable.
        answerFinished(object): the `GenerationResult` of the answer just completed or stopped.
    """

    stateChanged = Signal(object)
    modelLoaded = Signal(object)
    errorRaised = Signal(str)
    answerFinished = Signal(object)

    def __init__(self, host: EngineHost, model: ConversationModel, n_ctx: int = 4096,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.model = model
        self.n_ctx = n_ctx
        self.state = ChatState.NO_MODEL
        self.entry: ModelEntry | None = None
        self.info: ModelInfo | None = None
        self.params = GenerationParams()
        self._request: int | None = None
        worker = host.worker
        worker.loaded.connect(self._on_loaded)
        worker.loadFailed.connect(self._on_load_failed)
        worker.piece.connect(self._on_piece)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)

    def _set_state(self, state: ChatState) -> None:
        if state is not self.state:
            self.state = state
            self.stateChanged.emit(state)

    # -- user actions ----------------------------------------------------------------------

    def select_model(self, entry: ModelEntry) -> None:
        """Stop any answer and load `entry` in place of the current model."""
        if self._request is not None:
            self.stop()
        self.entry = entry
        self.info = None
        self.params = entry.default_params
        self._set_state(ChatState.LOADING)
        self.host.load(LoadSpec(entry.path, n_ctx=self.n_ctx))

    def send(self, text: str) -> bool:
        """Ask the loaded model; False (and nothing changes) if it cannot answer now."""
        if self.state is not ChatState.READY or not text.strip():
            return False
        self.model.append_message(Message("user", text))
        history = self.model.conversation.chat_messages()
        name = self.entry.display_name if self.entry else None
        self.model.append_message(Message("assistant", "", streaming=True, model_name=name))
        self._request = self.host.generate(history, self.params)
        self._set_state(ChatState.GENERATING)
        return True

    def stop(self) -> None:
        self.host.stop()

    # -- engine signals --------------------------------------------------------------------

    def _on_loaded(self, info: ModelInfo) -> None:
        self.info = info
        self._set_state(ChatState.READY)
        self.modelLoaded.emit(info)

    def _on_load_failed(self, message: str) -> None:
        self.info = None
        self._set_state(ChatState.NO_MODEL)
        self.errorRaised.emit(message)

    def _on_piece(self, request_id: int, text: str) -> None:
        if request_id == self._request:
            self.model.append_to_last(text)

    def _on_finished(self, request_id: int, result: GenerationResult) -> None:
        if request_id != self._request:
            return
        self._request = None
        self.model.finish_last(result.stats)
        self._answer_done()
        self.answerFinished.emit(result)

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id != self._request:
            return
        self._request = None
        self.model.finish_last(error=message)
        self._answer_done()
        self.errorRaised.emit(message)

    def _answer_done(self) -> None:
        if self.state is ChatState.GENERATING:  # not when a model switch is already loading
            self._set_state(ChatState.READY)
