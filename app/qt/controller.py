"""The chat's controller: a thin adapter from the chat service to Qt. User actions go to the
`ChatService` (which saves and builds the engine's requests), requests go to the inference
thread, and what comes back is handed to the service's `Turn` and shown through the list model.
One answer streams at a time, or the versions of one Regenerate ×N together.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from enum import Enum
from typing import Concatenate, ParamSpec, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.core.chat.conversation import Attachment, Conversation
from app.core.chat.presets import Preset
from app.core.chat.service import ChatService, Turn
from app.core.chat.store import ConversationStore, StoreError
from app.core.chat.turns import TurnProgress
from app.core.documents.summary_options import SummaryOptions
from app.core.documents.summary_result import SummaryResult
from app.core.engine import GenerationParams, GenerationResult, LoadSpec, ModelInfo
from app.core.engine.states import chat_session
from app.core.models.library import ModelEntry
from app.core.settings.file import SettingsFile
from app.core.settings.resolve import entry_spec, state_limits
from app.core.settings.schema import BY_KEY, OverflowPolicy
from app.qt.throttle import gui_timer
from app.qt.viewmodels.conversation_model import ConversationModel, Roles
from app.qt.workers.inference import EngineHost

log = logging.getLogger(__name__)


class ChatState(Enum):
    NO_MODEL = "No model"
    LOADING = "Loading…"
    READY = "Ready"
    GENERATING = "Generating…"


def state_label(state: ChatState) -> str:
    """The state in words, in the current language, as the status bar shows it."""
    if state is ChatState.NO_MODEL:
        return QCoreApplication.translate("ChatState", "No model")
    if state is ChatState.LOADING:
        return QCoreApplication.translate("ChatState", "Loading…")
    if state is ChatState.READY:
        return QCoreApplication.translate("ChatState", "Ready")
    return QCoreApplication.translate("ChatState", "Generating…")


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
    """The chat service's adapter to the window: actions in, signals and the list model out.

    Signals:
        stateChanged(object): the new `ChatState`.
        modelLoaded(object): `ModelInfo` of the model now loaded.
        errorRaised(str): something the user must read; the app stays usable.
        answerFinished(object): the `GenerationResult` of the answer just completed or stopped
            (for a part-by-part summary: its text and the stats of the whole job).
        progressChanged(str): where a long job (a summary, a long prompt read, a wait for the
            local server's request) is, in words; "" when it ends.
        noticeRaised(str): a line worth a moment in the status bar (fewer answers at once
            than asked, memory being short).
        conversationChanged(object): another conversation is shown (a new one: id None).
        conversationSaved(int): a conversation was written (a message or its title); lists of
            conversations should be re-read.
    """

    stateChanged = Signal(object)
    modelLoaded = Signal(object)
    errorRaised = Signal(str)
    answerFinished = Signal(object)
    progressChanged = Signal(str)
    noticeRaised = Signal(str)
    conversationChanged = Signal(object)
    conversationSaved = Signal(int)

    def __init__(self, host: EngineHost, model: ConversationModel, service: ChatService,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.model = model
        self.service = service
        service.set_store_error_handler(lambda exc: self.errorRaised.emit(str(exc)))
        self.n_ctx: int | None = None  # when set (tests, benchmarks), instead of the settings'
        self.state = ChatState.NO_MODEL
        self.info: ModelInfo | None = None
        self._turns: dict[int, Turn] = {}  # the answers being written, by request id
        self._shown: tuple[Turn, GenerationResult | None] | None = None  # the one on screen
        self._ended: Turn | None = None  # the turn that ended last, for its title
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
        worker.noted.connect(self.noticeRaised)
        worker.summarized.connect(self._on_summarized)

    @classmethod
    def over(cls, host: EngineHost, model: ConversationModel, store: ConversationStore,
             settings: SettingsFile | None = None) -> ChatController:
        """A controller with a service of its own over `store` (benchmarks); without settings
        the defaults, kept in memory only."""
        service = ChatService(store, settings or SettingsFile.in_memory(), make_timer=gui_timer)
        return cls(host, model, service)

    @property
    def conversation(self) -> Conversation:
        return self.model.conversation

    @property
    def store(self) -> ConversationStore:
        assert self.service.store is not None  # the window always has one (":memory:" at worst)
        return self.service.store

    @property
    def settings(self) -> SettingsFile:
        return self.service.settings

    @property
    def entry(self) -> ModelEntry | None:
        return self.service.entry

    @property
    def params(self) -> GenerationParams:
        """The loaded model's sampling settings (a chat's own win over them)."""
        return self.service.params

    @params.setter
    def params(self, params: GenerationParams) -> None:
        self.service.params = params

    def _set_state(self, state: ChatState) -> None:
        if state is not self.state:
            self.state = state
            self.stateChanged.emit(state)

    # -- models ----------------------------------------------------------------------------

    def select_model(self, entry: ModelEntry) -> None:
        """Stop any answer and load `entry` in place of the current model: a file here, or a
        model of a connection (the window's engine switches between them)."""
        if self._turns:
            self.stop()
        self._cancel_title()
        self.service.use_model(entry)
        self.info = None
        self._set_state(ChatState.LOADING)
        self.host.load(entry_spec(self.settings, entry, n_ctx=self.n_ctx))

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
        self.service.use_model(self.entry)
        return False

    # -- conversations ---------------------------------------------------------------------

    def new_conversation(self, system_prompt: str = "", preset: Preset | None = None) -> None:
        """Show an empty chat with this prompt and preset; it is saved with its first
        message."""
        self._show_new(self.service.new(system_prompt, preset))

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
            conversation = self.service.open(conversation_id)
        except StoreError as exc:  # a missing or unreadable chat must not take the window down
            log.warning("cannot open chat %s: %s", conversation_id, exc)
            self.errorRaised.emit(self.tr("Cannot open this chat: {reason}").format(reason=exc))
            return False
        self._show(conversation)
        return True

    def reload_if_changed(self) -> None:
        """Show the open chat as saved when another process (`lamplight chat --continue`)
        added to it, unless an answer is being written here."""
        conversation = self.conversation
        if conversation.id is None or self._turns:
            return
        try:
            saved = self.service.open(conversation.id)
        except StoreError as exc:
            log.warning("cannot read chat %s again: %s", conversation.id, exc)
            return
        if len(saved) != len(conversation):
            self._show(saved)

    def _show(self, conversation: Conversation) -> None:
        self.model.set_conversation(conversation)
        self.conversationChanged.emit(conversation.id)
        if conversation.id is not None and self.state is not ChatState.NO_MODEL:
            # its kept state, ready before its next turn
            self.host.use_session(chat_session(conversation.id))

    def forget_conversation(self, conversation_id: int) -> None:
        """The chat was deleted elsewhere (the sidebar): if it is shown, show a new one."""
        if self.conversation.id == conversation_id:
            c = self.conversation  # the next chat keeps its settings
            self._show_new(Conversation(system_prompt=c.system_prompt, preset=c.preset,
                                        params=c.params))

    @_reporting
    def reveal(self, message_id: int) -> int | None:
        """Show the branch that holds `message_id`; returns its row, None if it is gone."""
        if message_id not in self.conversation:
            return None
        self.service.reveal(self.conversation, message_id)
        self.model.sync()
        return self.model.row_of(message_id)

    def rename(self, title: str) -> None:
        self.conversation.title = title

    @_reporting
    def set_system_prompt(self, text: str) -> None:
        self.service.set_system_prompt(self.conversation, text)

    @_reporting
    def apply_preset(self, preset: Preset, language: str | None = None) -> None:
        """Use the preset's system prompt and settings for the chat shown (and what follows)."""
        self.service.apply_preset(self.conversation, preset, language)

    def overflow_policy(self) -> OverflowPolicy:
        """What happens when the chat shown outgrows the context."""
        return self.service.overflow_policy(self.conversation)

    @_reporting
    def set_overflow_policy(self, policy: OverflowPolicy) -> None:
        """The chat shown keeps `policy` as its own (saved with it)."""
        self.service.set_overflow_policy(self.conversation, policy)

    def generation_params(self) -> GenerationParams:
        """The chat's own settings if it has them, else the model's defaults."""
        return self.service.params_for(self.conversation)

    @_reporting
    def set_thinking(self, thinking: bool) -> None:
        """The chat shown lets a reasoning model think (or answer at once) from its next
        answer on, where the model's template has the switch; kept with the chat."""
        params = self.generation_params()
        if params.thinking != thinking:
            self.service.set_params(self.conversation,
                                    dataclasses.replace(params, thinking=thinking))

    @_reporting
    def set_reasoning_effort(self, effort: str) -> None:
        """How hard a reasoning model that offers the choice thinks in the chat shown."""
        params = self.generation_params()
        if params.reasoning_effort != effort:
            self.service.set_params(self.conversation,
                                    dataclasses.replace(params, reasoning_effort=effort))

    # -- messages --------------------------------------------------------------------------

    @_reporting
    def send(self, text: str, attachments: tuple[Attachment, ...] = (),
             options: SummaryOptions | None = None) -> bool:
        """Ask the loaded model; False (and nothing changes) if it cannot answer now.

        With `attachments`, the documents go with the question: inline when they fit the
        context, else summarized part by part, as `options` say. Without a question, the
        question is a request for a summary. A chat that `lamplight chat --continue` added
        turns to meanwhile is shown again, with them, and the question follows them.
        """
        if not self._can_answer() or not (text.strip() or attachments):
            return False
        self._cancel_title()  # the user's question goes first
        turn = self.service.ask(self.conversation, text, attachments, options)
        if turn.conversation is not self.conversation:
            self.model.set_conversation(turn.conversation)
        self._answer(turn)
        return True

    @_reporting
    def edit(self, message_id: int, text: str) -> bool:
        """Ask again with `text` in place of a question: a new version of it, answered anew.
        The question as it was, and everything that followed it, stay a version away."""
        if not self._can_answer() or not text.strip():
            return False
        self._cancel_title()
        self._answer(self.service.edit(self.conversation, message_id, text))
        return True

    @_reporting
    def regenerate(self, message_id: int) -> bool:
        """A new version of an answer; the earlier ones stay a version away."""
        if not self._can_answer():
            return False
        self._cancel_title()
        turn = self.service.regenerate(self.conversation, message_id)
        if turn is None:
            return False
        self._answer(turn)
        return True

    @_reporting
    def regenerate_many(self, message_id: int, n: int) -> bool:
        """`n` new versions of an answer at once (`ChatService.regenerate_many`), answered
        together where the engine can. The last one made is shown while they are written; the
        others fill in a version away, each with its own stats. Stop stops them all."""
        if not self._can_answer():
            return False
        self._cancel_title()
        turns = self.service.regenerate_many(self.conversation, message_id, n)
        if not turns:
            return False
        self._answer_together(turns)
        return True

    def continue_answer(self, message_id: int) -> bool:
        """Go on with a stopped answer in the same message (a summary keeps its notes);
        False when the message is not a stopped answer at the end of the chat."""
        if not self._can_answer():
            return False
        self._cancel_title()
        turn = self.service.continue_answer(self.conversation, message_id)
        if turn is None:
            return False
        self.model.message_changed(turn.answer, [Roles.CONTENT, Roles.STREAMING, Roles.STATS,
                                                 Roles.ERROR])
        self._answer(turn)
        return True

    @_reporting
    def switch_version(self, message_id: int, step: int) -> None:
        """Show the previous (-1) or next (+1) version of a message."""
        if self.state is ChatState.GENERATING:
            return
        sibling = self.conversation.sibling(message_id, step)
        if sibling is not None and sibling.id is not None:
            self.service.choose(self.conversation, sibling.id)
            self.model.sync()

    @_reporting
    def delete_message(self, message_id: int) -> None:
        """Delete a message and what follows it in its branch (other versions stay)."""
        if self.state is ChatState.GENERATING or message_id not in self.conversation:
            return
        self.service.delete_message(self.conversation, message_id)
        self.model.sync()
        if self.conversation.id is not None:
            self.conversationSaved.emit(self.conversation.id)

    def stop(self) -> None:
        self.host.stop()

    def _can_answer(self) -> bool:
        return self.state is ChatState.READY

    def _answer(self, turn: Turn) -> None:
        """Show the turn's empty answer and hand its request to the inference thread."""
        self.model.sync()
        self._turns = {self.host.answer_turn(turn.request): turn}
        self._started(turn)

    def _answer_together(self, turns: list[Turn]) -> None:
        """Show the last of the turns' empty answers (the version chosen) and hand their
        requests to the inference thread as one job."""
        self.model.sync()
        request_ids = self.host.answer_turns([turn.request for turn in turns])
        self._turns = dict(zip(request_ids, turns, strict=True))
        self._started(turns[-1])

    def _started(self, shown: Turn) -> None:
        self._shown = shown, None
        self._set_state(ChatState.GENERATING)
        if shown.conversation.id is not None:
            self.conversationSaved.emit(shown.conversation.id)

    # -- titles ----------------------------------------------------------------------------

    def _maybe_title(self, conversation: Conversation) -> None:
        """Ask the model, while it is idle, for a title of a chat's first exchange."""
        if not self.auto_titles or self._turns:
            return
        try:
            request = self.service.title_request(conversation)
        except StoreError as exc:
            log.warning("no title: %s", exc)
            return
        if request is None:
            return
        self._title_for, self._title_text = conversation, ""
        self._title_request = self.host.generate(request, self.service.title_params)

    def _cancel_title(self) -> None:
        if self._title_request is not None:
            self.host.stop()
            self._title_request = None

    @_reporting
    def _title_finished(self, text: str) -> None:
        conversation, self._title_for = self._title_for, None
        if conversation is not None and self.service.save_title(conversation, text):
            assert conversation.id is not None
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
        elif (turn := self._turns.get(request_id)) is not None:
            said, thought = turn.answer.progress, turn.thinking
            turn.piece(text)
            self.model.message_changed(turn.answer)
            if not self._on_screen(turn):  # the status bar follows the version shown
                return
            if turn.thinking and not thought:  # a reasoning model thinks first
                # the status bar's word while a reasoning model thinks
                self.progressChanged.emit(self.tr("Thinking…"))
            elif (said and not turn.answer.progress) or (thought and not turn.thinking):
                self.progressChanged.emit("")  # the prompt read, or the thinking done

    def _on_finished(self, request_id: int, result: GenerationResult) -> None:
        if request_id == self._title_request:
            self._title_request = None
            if not result.cancelled:
                self._title_finished(result.text)
            return
        if request_id in self._turns:
            self._end(request_id, lambda turn: turn.finish(result))

    def _on_progress(self, request_id: int, progress: TurnProgress) -> None:
        if (turn := self._turns.get(request_id)) is not None:
            shown = turn.progress(progress)
            self.model.message_changed(turn.answer)
            if self._on_screen(turn):
                self.progressChanged.emit(shown)

    def _on_summarized(self, request_id: int, result: SummaryResult) -> None:
        if request_id in self._turns:
            self._end(request_id, lambda turn: turn.finish(result))

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self._title_request:
            self._title_request = None
            log.info("no title from the model: %s", message)
            return
        if request_id in self._turns:
            self._end(request_id, lambda turn: turn.fail(message))
            self.errorRaised.emit(message)

    def _on_screen(self, turn: Turn) -> bool:
        return self._shown is not None and self._shown[0] is turn

    def _end(self, request_id: int, end: Callable[[Turn], GenerationResult | None]) -> None:
        """End an answer being written (the service saves it), and show how it ended. Once
        the last of them has ended, the chat is ready again and `answerFinished` tells the
        result of the one shown, unless it failed."""
        turn = self._turns.pop(request_id)
        result = end(turn)
        self.model.message_changed(turn.answer, [Roles.STREAMING, Roles.STATS, Roles.ERROR])
        if turn.conversation.id is not None:
            self.conversationSaved.emit(turn.conversation.id)
        if self._on_screen(turn):
            self._shown = turn, result
        if self._turns:
            return
        shown, self._shown = self._shown, None
        if self.state is ChatState.GENERATING:  # not when a model switch is already loading
            self._set_state(ChatState.READY)
        self.progressChanged.emit("")  # also a prompt's progress, when stopped while read
        if shown is not None and shown[1] is not None:
            self._ended = shown[0]
            self.answerFinished.emit(shown[1])
            self._title_after()

    def _title_after(self) -> None:
        turn, self._ended = self._ended, None
        # A stopped answer is titled too, from what it had written: three stopped stories
        # would otherwise all keep their question's first words.
        if turn is not None:
            self._maybe_title(turn.conversation)
