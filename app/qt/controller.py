"""The chat's controller: what happens when the user sends, stops, edits or picks a model.

Every change to the conversation goes through the store first, then the Qt model, so what the
user sees is what is on disk. One answer streams at a time; while it streams, its text is
saved at least once a second.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from PySide6.QtCore import QObject, Signal

from app.core.chat.conversation import Attachment, Conversation, Message, documents_text
from app.core.chat.presets import Preset
from app.core.chat.store import ConversationMovedError, ConversationStore, PartialWriter, StoreError
from app.core.chat.titles import TITLE_PARAMS, clean_title, fallback_title, title_request
from app.core.chat.turns import TurnRequest
from app.core.documents.language import detect_language
from app.core.documents.summarize import (
    SummaryOptions,
    SummaryProgress,
    SummaryResult,
    options_from_json,
    options_to_json,
    summary_request,
)
from app.core.engine import GenerationParams, GenerationResult, LoadSpec, ModelInfo
from app.core.engine.states import chat_session
from app.core.models.library import ModelEntry
from app.core.settings.file import SettingsFile
from app.core.settings.resolve import generation_params, load_spec, state_limits
from app.core.settings.schema import BY_KEY, OverflowPolicy
from app.qt.viewmodels.conversation_model import ConversationModel, Roles
from app.qt.workers.inference import EngineHost

log = logging.getLogger(__name__)


class ChatState(Enum):
    NO_MODEL = "No model"
    LOADING = "Loading…"
    READY = "Ready"
    GENERATING = "Generating…"


_A = ParamSpec("_A")
_T = TypeVar("_T")


def _reporting(method: Callable[Concatenate[ChatController, _A], _T]
               ) -> Callable[Concatenate[ChatController, _A], _T | None]:
    """A chat history that cannot be written (a full disk) is told to the user; the window
    stays up, and what is in memory is kept."""

    @functools.wraps(method)
    def wrapper(self: ChatController, *args: _A.args, **kwargs: _A.kwargs) -> _T | None:
        try:
            return method(self, *args, **kwargs)
        except StoreError as exc:
            log.warning("%s: %s", method.__name__, exc)
            self.errorRaised.emit(str(exc))
            return None

    return wrapper


class ChatController(QObject):
    """Turns user actions into store changes and engine requests, and engine signals into
    model changes.

    Signals:
        stateChanged(object): the new `ChatState`.
        modelLoaded(object): `ModelInfo` of the model now loaded.
        errorRaised(str): something the user must read; the app stays usable.
        answerFinished(object): the `GenerationResult` of the answer just completed or stopped
            (for a part-by-part summary: its text and the stats of the whole job).
        progressChanged(str): where a long job (a summary) is, in words; "" when it ends.
        conversationChanged(object): another conversation is shown (a new one: id None).
        conversationSaved(int): a conversation was written (a message or its title); lists of
            conversations should be re-read.
    """

    stateChanged = Signal(object)
    modelLoaded = Signal(object)
    errorRaised = Signal(str)
    answerFinished = Signal(object)
    progressChanged = Signal(str)
    conversationChanged = Signal(object)
    conversationSaved = Signal(int)

    def __init__(self, host: EngineHost, model: ConversationModel, store: ConversationStore,
                 settings: SettingsFile | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.model = model
        self.store = store
        # Without a file (benchmarks): the defaults, kept in memory only.
        self.settings = settings or SettingsFile(Path("settings.json"), read_only=True)
        self.n_ctx: int | None = None  # when set (tests, benchmarks), instead of the settings'
        self.state = ChatState.NO_MODEL
        self.entry: ModelEntry | None = None
        self.info: ModelInfo | None = None
        self.params = GenerationParams()  # the loaded model's defaults
        self._request: int | None = None
        self._answer: tuple[Conversation, Message] | None = None
        self._writer = PartialWriter(store)
        self._title_request: int | None = None
        self._title_for: Conversation | None = None
        self._title_text = ""
        self.auto_titles = True  # a title from the model once a chat's first answer is in
        worker = host.worker
        worker.loaded.connect(self._on_loaded)
        worker.loadFailed.connect(self._on_load_failed)
        worker.piece.connect(self._on_piece)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.progress.connect(self._on_progress)
        worker.summarized.connect(self._on_summarized)

    @property
    def conversation(self) -> Conversation:
        return self.model.conversation

    def _set_state(self, state: ChatState) -> None:
        if state is not self.state:
            self.state = state
            self.stateChanged.emit(state)

    # -- models ----------------------------------------------------------------------------

    def select_model(self, entry: ModelEntry) -> None:
        """Stop any answer and load `entry` in place of the current model."""
        if self._request is not None:
            self.stop()
        self._cancel_title()
        self.entry = entry
        self.info = None
        self.params = self._model_params(entry)
        self._set_state(ChatState.LOADING)
        self.host.load(load_spec(self.settings, entry.path, entry.name, n_ctx=self.n_ctx))

    def _model_params(self, entry: ModelEntry) -> GenerationParams:
        """The sampling settings for `entry`: the user's over the model's recommended."""
        return generation_params(self.settings, entry.name, base=entry.default_params)

    def context_length(self) -> int:
        """The context the next load asks for."""
        if self.n_ctx is not None:
            return self.n_ctx
        value = self.settings.get("model.n_ctx", self.entry.name if self.entry else None)
        return value if isinstance(value, int) else LoadSpec.n_ctx

    def apply_settings(self, keys: list[str]) -> bool:
        """Use settings just changed: reload the model if one of them needs it (True), else
        take the new sampling settings for the next answer."""
        if {"hardware.state_ram_mb", "hardware.state_disk_mb"} & set(keys):
            self.host.set_state_limits(*state_limits(self.settings))
        if self.entry is None:
            return False
        if any(BY_KEY[key].reload for key in keys if key in BY_KEY):
            self.select_model(self.entry)
            return True
        self.params = self._model_params(self.entry)
        return False

    # -- conversations ---------------------------------------------------------------------

    def new_conversation(self, system_prompt: str = "", preset: Preset | None = None) -> None:
        """Show an empty chat with this prompt and preset; it is saved with its first
        message."""
        self._show_new(Conversation(system_prompt=system_prompt,
                                    preset=preset.key if preset else None,
                                    params=self._preset_params(preset)))

    def _show_new(self, conversation: Conversation) -> None:
        self.stop()
        self.model.set_conversation(conversation)
        self.conversationChanged.emit(None)

    def open_conversation(self, conversation_id: int) -> bool:
        """Show a saved chat; an answer streaming in the chat shown before is stopped (and
        kept as far as it got)."""
        if conversation_id == self.conversation.id:
            return True
        self.stop()
        try:
            conversation = self.store.load(conversation_id)
        except StoreError as exc:  # a missing or unreadable chat must not take the window down
            log.warning("cannot open chat %s: %s", conversation_id, exc)
            self.errorRaised.emit(f"Cannot open this chat: {exc}")
            return False
        self.model.set_conversation(conversation)
        self.conversationChanged.emit(conversation_id)
        if self.state is not ChatState.NO_MODEL:  # its kept state, ready before its next turn
            self.host.use_session(chat_session(conversation_id))
        return True

    def forget_conversation(self, conversation_id: int) -> None:
        """The chat was deleted elsewhere (the sidebar): if it is shown, show a new one."""
        if self.conversation.id == conversation_id:
            c = self.conversation  # the next chat keeps its settings
            self._show_new(Conversation(system_prompt=c.system_prompt, preset=c.preset,
                                        params=c.params))

    @_reporting
    def reveal(self, message_id: int) -> int | None:
        """Show the branch that holds `message_id`; returns its row, None if it is gone."""
        conversation = self.conversation
        if message_id not in conversation:
            return None
        node: Message | None = conversation.message(message_id)
        while node is not None and node.id is not None:
            if conversation.chosen_child(node.parent_id) is not node:
                self.store.choose(conversation, node.id)
            node = conversation.message(node.parent_id) if node.parent_id is not None else None
        self.model.sync()
        return self.model.row_of(message_id)

    def rename(self, title: str) -> None:
        self.conversation.title = title

    @_reporting
    def set_system_prompt(self, text: str) -> None:
        conversation = self.conversation
        if text != conversation.system_prompt:
            conversation.system_prompt = text
            self.store.save_settings(conversation)

    @_reporting
    def apply_preset(self, preset: Preset, language: str | None = None) -> None:
        """Use the preset's system prompt and settings for the chat shown (and what follows)."""
        conversation = self.conversation
        conversation.preset = preset.key
        conversation.system_prompt = preset.prompt_for(language)
        conversation.params = self._preset_params(preset)
        self.store.save_settings(conversation)

    def _preset_params(self, preset: Preset | None) -> GenerationParams | None:
        """The preset's settings over the model's; None (the model's own) if it has none."""
        return preset.apply(self.params) if preset is not None and preset.params else None

    def overflow_policy(self) -> OverflowPolicy:
        """What happens when the chat shown outgrows the context: its own choice, else the
        app's setting."""
        if self.conversation.overflow is not None:
            return self.conversation.overflow
        return "stop" if self.settings.get("model.overflow") == "stop" else "drop-oldest"

    @_reporting
    def set_overflow_policy(self, policy: OverflowPolicy) -> None:
        """The chat shown keeps `policy` as its own (saved with it)."""
        conversation = self.conversation
        if policy != conversation.overflow:
            conversation.overflow = policy
            self.store.save_settings(conversation)

    def generation_params(self) -> GenerationParams:
        """The chat's own settings if it has them, else the model's defaults."""
        return self.conversation.params or self.params

    # -- messages --------------------------------------------------------------------------

    @_reporting
    def send(self, text: str, attachments: tuple[Attachment, ...] = (),
             options: SummaryOptions | None = None) -> bool:
        """Ask the loaded model; False (and nothing changes) if it cannot answer now.

        With `attachments`, the documents go with the question: inline when they fit the
        context, else summarized part by part, as `options` say. Without a question, the
        question is a request for a summary.
        """
        if not self._can_answer() or not (text.strip() or attachments):
            return False
        conversation = self.conversation
        last = conversation.last()
        details = None
        if attachments:
            options = options or SummaryOptions()
            language = options.language or detect_language(attachments[0].text)
            options = dataclasses.replace(options, language=language, question=text.strip())
            details = {"summary": options_to_json(options)}
            text = text.strip() or summary_request(options, language, len(attachments))
        first = conversation.id is None or not len(conversation)
        if first and not conversation.title:
            conversation.title = fallback_title(
                f"{attachments[0].name}: {text}" if attachments else text)
        try:
            question = self.store.add_message(
                conversation, Message("user", text, parent_id=last.id if last else None,
                                      attachments=attachments, details=details),
                follows_latest=True)
        except ConversationMovedError:
            # `lamplight chat --continue` added turns meanwhile: show them, and ask after them
            # rather than forking the chat.
            assert conversation.id is not None  # a chat new here cannot have moved
            conversation = self.store.load(conversation.id)
            self.model.set_conversation(conversation)
            last = conversation.last()
            question = self.store.add_message(
                conversation, Message("user", text, parent_id=last.id if last else None,
                                      attachments=attachments, details=details))
        self._answer_to(question)
        return True

    @_reporting
    def edit(self, message_id: int, text: str) -> bool:
        """Ask again with `text` in place of a question: a new version of it, answered anew.
        The question as it was, and everything that followed it, stay a version away."""
        if not self._can_answer() or not text.strip():
            return False
        old = self.conversation.message(message_id)
        details = None
        if old.attachments:  # the documents stay with the question; the words are new
            options = options_from_json((old.details or {}).get("summary"))
            details = {"summary": options_to_json(
                dataclasses.replace(options, question=text.strip()))}
        question = self.store.add_message(
            self.conversation, Message("user", text, parent_id=old.parent_id,
                                       attachments=old.attachments, details=details))
        self._answer_to(question)
        return True

    @_reporting
    def regenerate(self, message_id: int) -> bool:
        """A new version of an answer; the earlier ones stay a version away."""
        if not self._can_answer():
            return False
        answer = self.conversation.message(message_id)
        if answer.parent_id is None:
            return False
        self._answer_to(self.conversation.message(answer.parent_id))
        return True

    @_reporting
    def switch_version(self, message_id: int, step: int) -> None:
        """Show the previous (-1) or next (+1) version of a message."""
        if self.state is ChatState.GENERATING:
            return
        sibling = self.conversation.sibling(message_id, step)
        if sibling is not None and sibling.id is not None:
            self.store.choose(self.conversation, sibling.id)
            self.model.sync()

    @_reporting
    def delete_message(self, message_id: int) -> None:
        """Delete a message and what follows it in its branch (other versions stay)."""
        if self.state is ChatState.GENERATING or message_id not in self.conversation:
            return
        self.store.delete_message(self.conversation, message_id)
        self.model.sync()
        if self.conversation.id is not None:
            self.conversationSaved.emit(self.conversation.id)

    def stop(self) -> None:
        self.host.stop()

    def _can_answer(self) -> bool:
        return self.state is ChatState.READY

    def _answer_to(self, question: Message) -> None:
        self._cancel_title()  # the user's question goes first
        conversation = self.conversation
        name = self.entry.display_name if self.entry else None
        if self.entry is not None:
            conversation.model, conversation.model_path = name, str(self.entry.path)
            self.store.save_settings(conversation)
        answer = self.store.add_message(
            conversation, Message("assistant", "", streaming=True, model_name=name,
                                  parent_id=question.id))
        self.model.sync()
        self._answer = (conversation, answer)
        self._writer = PartialWriter(self.store)
        history = conversation.chat_messages(through=question)
        path = conversation.path()
        ids = [m.id for m in path]
        asked = path[:ids.index(question.id) + 1] if question.id in ids else path
        documents = any(m.attachments for m in asked)
        # Every turn is measured on the inference thread: documents inline if they fit, else
        # leaner, else summarized; a history too long is cut by the overflow policy.
        self._request = self.host.answer_turn(TurnRequest(
            messages=tuple(history),
            fallback=tuple(conversation.chat_messages(through=question, earlier_documents=False))
            if documents else (),
            text=documents_text(question.attachments),
            name=", ".join(a.name for a in question.attachments),
            options=options_from_json((question.details or {}).get("summary")),
            params=self.generation_params(),
            overflow=self.overflow_policy(),
            session=chat_session(conversation.id) if conversation.id is not None else None))
        self._set_state(ChatState.GENERATING)
        assert conversation.id is not None
        self.conversationSaved.emit(conversation.id)

    # -- titles ----------------------------------------------------------------------------

    def _maybe_title(self, conversation: Conversation) -> None:
        """Ask the model, while it is idle, for a title of a chat's first exchange."""
        exchange = conversation.first_exchange()
        if (not self.auto_titles or exchange is None or conversation.id is None
                or self._request is not None):
            return
        if len(conversation.path()) != 2 or self.store.title_source(conversation.id) != "words":
            return
        self._title_for, self._title_text = conversation, ""
        self._title_request = self.host.generate(title_request(*exchange), TITLE_PARAMS)

    def _cancel_title(self) -> None:
        if self._title_request is not None:
            self.host.stop()
            self._title_request = None

    @_reporting
    def _title_finished(self, text: str) -> None:
        conversation, self._title_for = self._title_for, None
        title = clean_title(text)
        if conversation is None or conversation.id is None or title is None:
            return
        if self.store.title_source(conversation.id) != "words":
            return  # the user named it meanwhile
        conversation.title = title
        self.store.rename(conversation.id, title, source="model")
        self.conversationSaved.emit(conversation.id)

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
        if request_id == self._title_request:
            self._title_text += text
        elif request_id == self._request and self._answer is not None:
            _, answer = self._answer
            answer.content += text
            self.model.message_changed(answer)
            self._writer.changed(answer)

    def _on_finished(self, request_id: int, result: GenerationResult) -> None:
        if request_id == self._title_request:
            self._title_request = None
            if not result.cancelled:
                self._title_finished(result.text)
            return
        if request_id != self._request:
            return
        conversation = self._end_answer(stats=result)
        self.answerFinished.emit(result)
        if conversation is not None and not result.cancelled:
            self._maybe_title(conversation)

    def _on_progress(self, request_id: int, progress: SummaryProgress) -> None:
        if request_id == self._request and self._answer is not None:
            _, answer = self._answer
            answer.progress = progress.describe()
            self.model.message_changed(answer)
            self.progressChanged.emit(answer.progress)

    def _on_summarized(self, request_id: int, result: SummaryResult) -> None:
        if request_id != self._request or self._answer is None:
            return
        _, answer = self._answer
        answer.content = result.text  # when stopped: the notes so far, never streamed
        answer.details = result.details()
        answer.progress = ""
        finished = GenerationResult(result.text, result.stats)
        conversation = self._end_answer(stats=finished)
        self.progressChanged.emit("")
        self.answerFinished.emit(finished)
        if conversation is not None and not result.cancelled:
            self._maybe_title(conversation)

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self._title_request:
            self._title_request = None
            log.info("no title from the model: %s", message)
            return
        if request_id != self._request:
            return
        self._end_answer(error=message)
        self.progressChanged.emit("")
        self.errorRaised.emit(message)

    def _end_answer(self, stats: GenerationResult | None = None,
                    error: str | None = None) -> Conversation | None:
        self._request = None
        ended, self._answer = self._answer, None
        if ended is not None:
            conversation, answer = ended
            answer.streaming = False
            answer.progress = ""
            answer.stats = stats.stats if stats else None
            answer.error = error
            try:
                self.store.finish_message(conversation, answer)
            except StoreError as exc:  # the answer stays on screen; the user is told
                self.errorRaised.emit(str(exc))
            self.model.message_changed(answer, [Roles.STREAMING, Roles.STATS, Roles.ERROR])
            if conversation.id is not None:
                self.conversationSaved.emit(conversation.id)
        if self.state is ChatState.GENERATING:  # not when a model switch is already loading
            self._set_state(ChatState.READY)
        return ended[0] if ended else None
