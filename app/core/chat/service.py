"""The chat service: the one way every front-end (the window, `lamplight chat`, later the HTTP
API) starts, continues, edits and regenerates a turn of a chat.

A turn goes: the question is saved → the service builds the engine's `TurnRequest` → the
front-end runs it where its engine lives (`answer_turn`: inline in the terminal, on the
inference thread in the window) → what comes back is handed to the `Turn` (pieces, progress,
the result or the failure) on the store's thread, which applies it to the conversation and saves
it: the answer at least once a second while it streams, whole when it ends. No front-end builds
a request or writes the store itself.

Store errors: when the history cannot be written (a full disk), `on_store_error` is told. With
`keep_going_unsaved` (the terminal) the chat then goes on in memory; without it (the window)
`ask`, `edit` and `regenerate` raise the `StoreError` and nothing starts, while an answer
already streaming goes on and is kept on screen.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from app.core.chat.conversation import (
    INTERRUPTED,
    Attachment,
    Conversation,
    Message,
    documents_text,
)
from app.core.chat.presets import Preset
from app.core.chat.store import (
    ConversationMovedError,
    ConversationStore,
    PartialWriter,
    StoreError,
)
from app.core.chat.titles import TITLE_PARAMS, clean_title, fallback_title, title_request
from app.core.chat.turns import TurnProgress, TurnRequest
from app.core.documents.language import detect_language
from app.core.documents.summarize import (
    SummaryOptions,
    SummaryResult,
    options_from_json,
    options_to_json,
    resumable_notes,
    summary_request,
)
from app.core.documents.summary_result import (
    PartNote,
    SavedSummary,
    part_notes_from_details,
)
from app.core.engine.base import ChatMessage, GenerationParams, GenerationResult, PromptProgress
from app.core.engine.runner import QueueWait
from app.core.engine.states import chat_session
from app.core.engine.thinking import ThinkingSplitter
from app.core.models.library import ModelEntry
from app.core.settings.file import SettingsFile
from app.core.settings.resolve import generation_params, summary_parallel
from app.core.settings.schema import OverflowPolicy
from app.core.throttle import TimerFactory
from app.i18n import _

log = logging.getLogger(__name__)

# SQLite's own errors get past the store's methods that are not wrapped (a full disk, a lock
# held too long); to a chat in progress they mean what a `StoreError` means.
_STORE_ERRORS = (StoreError, sqlite3.Error)
_MOVED_RETRIES = 3
MAX_VERSIONS = 8  # the most versions of an answer one Regenerate asks for at once
_SEEDS = 2**31  # a seed is below this (the setting's range)


class ChatService:
    """Turns of chats, saved as they happen. Use from the thread that owns `store`.

    `store` None keeps chats in memory only (`lamplight chat --no-save`). `params` are the
    sampling settings of the model in use (`use_model`); a chat's own (`Conversation.params`)
    win over them.
    """

    title_params = TITLE_PARAMS  # a title is asked for with these

    def __init__(self, store: ConversationStore | None, settings: SettingsFile, *,
                 on_store_error: Callable[[StoreError], None] | None = None,
                 keep_going_unsaved: bool = False,
                 make_timer: TimerFactory | None = None) -> None:
        self.store = store
        self.settings = settings
        self.entry: ModelEntry | None = None
        self.params = GenerationParams()
        self._on_store_error = on_store_error or (lambda exc: log.warning("%s", exc))
        self._keep_going_unsaved = keep_going_unsaved
        self.make_timer = make_timer  # the front-end's clock, for saving a stalled answer

    def set_store_error_handler(self, handler: Callable[[StoreError], None]) -> None:
        """Who is told when the history cannot be written (the window's error banner)."""
        self._on_store_error = handler

    # -- models --------------------------------------------------------------------------

    def model_params(self, entry: ModelEntry) -> GenerationParams:
        """The sampling settings for `entry`: the user's over the model's recommended."""
        return generation_params(self.settings, entry.name, base=entry.default_params)

    def use_model(self, entry: ModelEntry | None) -> None:
        """Answers from now on are `entry`'s, sampled with its settings."""
        self.entry = entry
        self.params = self.model_params(entry) if entry is not None else GenerationParams()

    def params_for(self, conversation: Conversation) -> GenerationParams:
        """The chat's own settings if it has them, else the model's."""
        return conversation.params or self.params

    def overflow_policy(self, conversation: Conversation) -> OverflowPolicy:
        """What happens when a chat outgrows the context: its own choice, else the setting."""
        if conversation.overflow is not None:
            return conversation.overflow
        return "stop" if self.settings.get("model.overflow") == "stop" else "drop-oldest"

    # -- conversations ---------------------------------------------------------------------

    def open(self, conversation_id: int) -> Conversation:
        """A saved chat. Raises `ConversationNotFoundError`, `StoreError`."""
        if self.store is None:
            raise StoreError(_("The chat history is not open."))
        return self.store.load(conversation_id)

    def new(self, system_prompt: str = "", preset: Preset | None = None,
            params: GenerationParams | None = None) -> Conversation:
        """A chat not saved yet (it is with its first message): with this prompt and preset,
        and the preset's settings over the model's when it has any."""
        if params is None and preset is not None and preset.params:
            params = preset.apply(self.params)
        return Conversation(system_prompt=system_prompt, preset=preset.key if preset else None,
                            params=params)

    def set_system_prompt(self, conversation: Conversation, text: str) -> None:
        if text != conversation.system_prompt:
            conversation.system_prompt = text
            self._save_settings(conversation)

    def apply_preset(self, conversation: Conversation, preset: Preset,
                     language: str | None = None) -> None:
        """Use the preset's system prompt and settings for the chat (and what follows)."""
        conversation.preset = preset.key
        conversation.system_prompt = preset.prompt_for(language)
        conversation.params = preset.apply(self.params) if preset.params else None
        self._save_settings(conversation)

    def set_params(self, conversation: Conversation, params: GenerationParams) -> None:
        """The chat's own sampling settings from now on (`lamplight chat`'s flags)."""
        conversation.params = params
        self._save_settings(conversation)

    def set_overflow_policy(self, conversation: Conversation, policy: OverflowPolicy) -> None:
        """The chat keeps `policy` as its own (saved with it)."""
        if policy != conversation.overflow:
            conversation.overflow = policy
            self._save_settings(conversation)

    def choose(self, conversation: Conversation, message_id: int) -> None:
        """Show this version of a message (and, below it, the versions chosen there)."""
        if self.store is not None and conversation.id is not None:
            self.store.choose(conversation, message_id)
        else:
            conversation.choose(message_id)

    def reveal(self, conversation: Conversation, message_id: int) -> None:
        """Choose the versions on the way to `message_id`, so that it is shown."""
        node: Message | None = conversation.message(message_id)
        while node is not None and node.id is not None:
            if conversation.chosen_child(node.parent_id) is not node:
                self.choose(conversation, node.id)
            node = conversation.message(node.parent_id) if node.parent_id is not None else None

    def delete_message(self, conversation: Conversation, message_id: int) -> None:
        """Delete a message and what follows it in its branch (other versions stay)."""
        if self.store is not None and conversation.id is not None:
            self.store.delete_message(conversation, message_id)
        else:
            conversation.remove(message_id)

    def _save_settings(self, conversation: Conversation) -> None:
        if self.store is not None and conversation.id is not None:
            self._write(lambda store: store.save_settings(conversation))

    # -- turns -----------------------------------------------------------------------------

    def ask(self, conversation: Conversation, text: str,
            attachments: tuple[Attachment, ...] = (),
            options: SummaryOptions | None = None, *, summary_only: bool = False) -> Turn:
        """Save a question after the chat's last message and start its answer.

        With `attachments`, the documents go with the question: inline when they fit the
        context, else summarized part by part, as `options` say; without a question, the
        question asks for a summary. `summary_only`: summarized even when they would fit
        (`lamplight summarize`, whose answer says what it read, part by part).

        When another process added turns to the chat meanwhile (`lamplight chat --continue`,
        the window), the chat is read again and the question follows its latest message:
        `Turn.conversation` is then a new object, and `Turn.moved` is set.
        """
        details = None
        if attachments:
            options = options or SummaryOptions()
            language = options.language or detect_language(attachments[0].text)
            options = dataclasses.replace(options, language=language, question=text.strip())
            details = {"summary": options_to_json(options)}
            text = text.strip() or summary_request(options, language, len(attachments))
        if not len(conversation) and not conversation.title:
            conversation.title = fallback_title(
                f"{attachments[0].name}: {text}" if attachments else text)
        moved = False
        for _attempt in range(_MOVED_RETRIES):
            last = conversation.last()
            question = Message("user", text, parent_id=last.id if last else None,
                               attachments=attachments, details=details)
            try:
                self._add(conversation, question, follows_latest=True)
            except ConversationMovedError:
                conversation, moved = self._read_again(conversation), True
                continue
            break
        else:  # still moving: this turn goes where it was read
            last = conversation.last()
            question = self._add(conversation, Message(
                "user", text, parent_id=last.id if last else None, attachments=attachments,
                details=details))
        return self._start(conversation, question, moved,
                           summary_only=summary_only and bool(attachments))

    def edit(self, conversation: Conversation, message_id: int, text: str) -> Turn:
        """Ask again with `text` in place of a question: a new version of it, answered anew.
        The question as it was, and everything that followed it, stay a version away."""
        old = conversation.message(message_id)
        details = None
        if old.attachments:  # the documents stay with the question; the words are new
            options = options_from_json((old.details or {}).get("summary"))
            details = {"summary": options_to_json(
                dataclasses.replace(options, question=text.strip()))}
        question = self._add(conversation, Message("user", text, parent_id=old.parent_id,
                                                    attachments=old.attachments,
                                                    details=details))
        return self._start(conversation, question)

    def regenerate(self, conversation: Conversation, message_id: int) -> Turn | None:
        """A new version of an answer; the earlier ones stay a version away. None for a
        message that answers nothing."""
        answer = conversation.message(message_id)
        if answer.parent_id is None:
            return None
        return self._start(conversation, conversation.message(answer.parent_id))

    def regenerate_many(self, conversation: Conversation, message_id: int,
                        n: int) -> list[Turn]:
        """`n` new versions of an answer at once (2 to `MAX_VERSIONS`), to be answered
        together (`turns.answer_turns`); the last one made is the version chosen. Each samples
        with a seed of its own: a fresh one each, or, when the chat fixes the seed, that seed,
        the next, and so on, so that the versions differ and each can be made again. An
        empty list for a message that answers nothing."""
        if not 2 <= n <= MAX_VERSIONS:
            raise ValueError(f"between 2 and {MAX_VERSIONS} versions at once")
        answer = conversation.message(message_id)
        if answer.parent_id is None:
            return []
        question = conversation.message(answer.parent_id)
        turns: list[Turn] = []
        try:
            for _n in range(n):
                turns.append(self._start(conversation, question))
        except _STORE_ERRORS as exc:  # those made already end at once, saying why
            for turn in turns:
                turn.fail(str(exc))
            raise
        for offset, turn in enumerate(turns):
            params = turn.request.params
            if params.seed is not None and offset:
                seed = (params.seed + offset) % _SEEDS
                turn.request = dataclasses.replace(
                    turn.request, params=dataclasses.replace(params, seed=seed))
        return turns

    def resumable(self, conversation: Conversation, message_id: int) -> tuple[PartNote, ...]:
        """The notes a stopped summary can go on from: those of the chat's last answer, when
        it is a part-by-part summary left incomplete (stopped, or cut off by a quit) with notes
        whose parts are still in its question's documents; else none."""
        answer = self._last_answer(conversation, message_id)
        if answer is None or not answer.summarized or answer.parent_id is None \
                or SavedSummary.from_details(answer.details).complete:
            return ()
        question = conversation.message(answer.parent_id)
        return resumable_notes(part_notes_from_details(answer.details),
                               documents_text(question.attachments))

    def continue_answer(self, conversation: Conversation, message_id: int) -> Turn | None:
        """Go on with a stopped answer in the same message: a part-by-part summary from the
        notes it kept (the parts read keep their notes, the rest of the document is read,
        then all the notes are combined), any other answer from its text, which the model
        continues as its own. None when the answer is not the chat's last, stopped early
        with some text (`Message.goes_on_from_text`) or a resumable summary."""
        notes = self.resumable(conversation, message_id)
        if notes:
            summary = conversation.message(message_id)
            assert summary.parent_id is not None  # checked by `resumable`
            return self._start(conversation, conversation.message(summary.parent_id),
                               resume=notes, answer=summary)
        answer = self._last_answer(conversation, message_id)
        if answer is None or answer.parent_id is None or not answer.goes_on_from_text:
            return None
        return self._start(conversation, conversation.message(answer.parent_id), answer=answer,
                           continues=True)

    @staticmethod
    def _last_answer(conversation: Conversation, message_id: int) -> Message | None:
        """The answer `message_id`, when it ends the chat's branch and is not being written."""
        if message_id not in conversation:
            return None
        answer, last = conversation.message(message_id), conversation.last()
        if last is None or last.id != answer.id or answer.role != "assistant" \
                or answer.streaming:
            return None
        return answer

    def _start(self, conversation: Conversation, question: Message,
               moved: bool = False, *, summary_only: bool = False,
               resume: tuple[PartNote, ...] = (), answer: Message | None = None,
               continues: bool = False) -> Turn:
        """Save an empty answer to `question` (or take up `answer` again) and build the
        request for the engine."""
        name = self.entry.display_name if self.entry else None
        if self.entry is not None:
            conversation.model, conversation.model_path = name, str(self.entry.path)
            self._save_settings(conversation)
        if answer is None:
            answer = self._add(conversation, Message("assistant", "", streaming=True,
                                                     model_name=name, parent_id=question.id))
        else:
            answer.streaming, answer.error, answer.stats = True, None, None
            if not continues:  # a summary's progress shows until it streams in; its notes
                answer.content = ""  # stay in the history (and in `resume`) until then
            answer.model_name = name or answer.model_name
            taken_up = answer
            self._write(lambda store: store.reopen_message(taken_up))
        prefix = answer.content if continues else ""
        path = conversation.path()
        ids = [m.id for m in path]
        asked = path[:ids.index(question.id) + 1] if question.id in ids else path
        documents = any(m.attachments for m in asked)
        going_on = (ChatMessage("assistant", prefix),) if continues else ()
        request = TurnRequest(
            messages=tuple(conversation.chat_messages(through=question)) + going_on,
            fallback=tuple(conversation.chat_messages(through=question, earlier_documents=False))
            if documents and not continues else (),
            text=documents_text(question.attachments),
            name=", ".join(a.name for a in question.attachments),
            options=options_from_json((question.details or {}).get("summary")),
            params=self.params_for(conversation),
            overflow=self.overflow_policy(conversation),
            session=chat_session(conversation.id) if conversation.id is not None else None,
            summary_only=summary_only, resume=resume, continues=continues,
            parallel=summary_parallel(self.settings))
        return Turn(self, conversation, question, answer, request, moved, prefix=prefix)

    def _add(self, conversation: Conversation, message: Message,
             follows_latest: bool = False) -> Message:
        if self.store is None:
            return conversation.add(message)
        try:
            return self.store.add_message(conversation, message, follows_latest=follows_latest)
        except ConversationMovedError:
            raise
        except _STORE_ERRORS as exc:
            if not self._keep_going_unsaved:
                if isinstance(exc, StoreError):
                    raise
                raise StoreError(str(exc)) from exc
            self._stop_saving(exc)
            return conversation.add(message)

    def _read_again(self, conversation: Conversation) -> Conversation:
        """The chat as the file has it now, with what this front-end set meanwhile (model,
        prompt, settings)."""
        assert self.store is not None and conversation.id is not None
        fresh = self.store.load(conversation.id)
        fresh.model, fresh.model_path = conversation.model, conversation.model_path
        fresh.params, fresh.overflow = conversation.params, conversation.overflow
        fresh.system_prompt = conversation.system_prompt
        return fresh

    def _write(self, write: Callable[[ConversationStore], object]) -> bool:
        """Run a write on the store; a failure is told (and, in the terminal, ends saving)."""
        if self.store is None:
            return False
        try:
            write(self.store)
        except _STORE_ERRORS as exc:
            if self._keep_going_unsaved:
                self._stop_saving(exc)
            else:
                self._on_store_error(exc if isinstance(exc, StoreError) else StoreError(str(exc)))
            return False
        return True

    def _stop_saving(self, exc: Exception) -> None:
        """A history that fails mid-chat must not end the chat: it goes on in memory."""
        self._on_store_error(exc if isinstance(exc, StoreError) else StoreError(str(exc)))
        self.close()

    def close(self) -> None:
        """Close the history: from now on, chats are kept in memory only."""
        store, self.store = self.store, None
        if store is not None:
            store.close()

    # -- titles ----------------------------------------------------------------------------

    def title_request(self, conversation: Conversation) -> list[ChatMessage] | None:
        """What to ask the model, while it is idle, for a title of a chat whose first answer
        just came; None when the chat needs none (it has more turns, or the user named it)."""
        exchange = conversation.first_exchange()
        if exchange is None or conversation.id is None or self.store is None:
            return None
        if len(conversation.path()) != 2 or self.store.title_source(conversation.id) != "words":
            return None
        return title_request(*exchange)

    def save_title(self, conversation: Conversation, text: str) -> bool:
        """Keep the model's title for the chat, unless it is no title or the user named the
        chat meanwhile; True when it was kept."""
        title = clean_title(text)
        if title is None or conversation.id is None or self.store is None:
            return False
        if self.store.title_source(conversation.id) != "words":
            return False
        conversation.title = title
        return self._write(lambda store: store.rename(conversation.id or 0, title,
                                                      source="model"))


@dataclass
class Turn:
    """One answer being written. Hand it what the engine gives, on the store's thread: `piece`
    as text comes, `progress` while a summary reads its parts, then `finish` (a result or a
    summary), `fail`, `interrupt` or `withdraw`.

    `moved`: the chat was continued elsewhere and read again before this question was added;
    `conversation` is the chat as read then.
    """

    service: ChatService
    conversation: Conversation
    question: Message
    answer: Message
    request: TurnRequest
    moved: bool = False
    prefix: str = ""  # the answer so far, when a stopped one goes on: the engine adds to it

    def __post_init__(self) -> None:
        store = self.service.store
        self._writer = (PartialWriter(store, make_timer=self.service.make_timer)
                        if store is not None else None)
        self._prompt_progress = False
        self._thinking = ThinkingSplitter()  # a reasoning model's thinking goes apart

    @property
    def done(self) -> bool:
        return not self.answer.streaming

    @property
    def thinking(self) -> bool:
        """Whether the model is thinking now (its answer has not started)."""
        return self._thinking.channel == "thinking"

    def piece(self, text: str) -> None:
        """More of the answer (and of a reasoning model's thinking before it): added, and
        saved at least once a second."""
        if self._prompt_progress:  # the prompt is read: the answer is under way
            self.answer.progress, self._prompt_progress = "", False
        split = self._thinking.feed(text)
        self.answer.thinking += split.thinking
        self.answer.content += split.answer
        if self._writer is not None and self.service.store is not None:
            self._writer.changed(self.answer)  # a failure is logged; the end says so

    def progress(self, progress: TurnProgress) -> str:
        """Where the turn is before its text comes (a wait for another front-end's job, a long
        prompt read, a summary's steps), shown in the answer; a wait's or a prompt's progress
        goes with the answer's first piece."""
        self.answer.progress = progress.describe()
        self._prompt_progress = isinstance(progress, PromptProgress | QueueWait)
        return self.answer.progress

    def finish(self, result: GenerationResult | SummaryResult) -> GenerationResult:
        """The answer is complete or stopped: saved with its stats (a summary with what it
        covered). Returns the result as one `GenerationResult`."""
        if isinstance(result, SummaryResult):
            self.answer.content = result.text  # when stopped: the notes so far
            self.answer.thinking = ""  # a summary keeps the model's answers only
            self.answer.details = result.details()
            finished = GenerationResult(result.text, result.stats)
        else:
            self.answer.content = self.prefix + result.text
            # A stopped answer that goes on keeps the thinking it had, unless it thinks anew.
            self.answer.thinking = result.thinking or (self.answer.thinking if self.prefix
                                                       else "")
            if result.warning:
                self.answer.details = {**(self.answer.details or {}), "warning": result.warning}
            finished = result
        self._end(stats=finished)
        return finished

    def fail(self, message: str) -> None:
        """The answer could not be made; the message says why, kept with the answer."""
        self._end(error=message)

    def withdraw(self) -> None:
        """Take the question back with its answer, as if it had never been asked: the model
        refused it unread (too long for the context) and the front-end has the words still
        (`lamplight chat`'s prompt is on its command line). A chat that held nothing else goes
        with it. The window keeps such a turn instead, failed, its reason shown under the
        question, which stays there to be edited."""
        if self._writer is not None:
            self._writer.close()
        self.answer.streaming = False
        self.answer.progress = ""
        service, conversation = self.service, self.conversation
        if self.question.id is None or self.question.id not in conversation:
            return
        question_id, chat_id = self.question.id, conversation.id
        if service.store is None or chat_id is None:
            conversation.remove(question_id)
            return

        def remove_chat(store: ConversationStore) -> None:
            store.delete(chat_id)
            store.purge_deleted([chat_id])

        if service._write(lambda store: store.delete_message(conversation, question_id)) \
                and not len(conversation):
            service._write(remove_chat)
            conversation.id = None  # a later question saves it anew

    def interrupt(self) -> None:
        """The front-end stops while the answer is being written (a closed pipe, a second
        Ctrl+C): kept as far as it got, marked unfinished."""
        if self.answer.streaming:
            self._end(error=self.answer.error or INTERRUPTED)

    def _end(self, stats: GenerationResult | None = None, error: str | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
        answer = self.answer
        answer.streaming = False
        answer.progress = ""
        answer.stats = stats.stats if stats is not None else None
        answer.error = error
        self.service._write(lambda store: store.finish_message(self.conversation, answer))
