"""A conversation as a tree of messages: edits and regenerations are versions, never cuts.

Editing a question or regenerating an answer adds a sibling of that message. Each level
remembers which of its versions is chosen, and the conversation the user sees (and the model is
sent) is the path from the first message down through the chosen versions.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.engine.base import (
    SAMPLING_FIELDS,
    ChatMessage,
    GenerationParams,
    GenerationStats,
    Role,
)
from app.core.settings.schema import (
    BY_KEY,
    OVERFLOW_POLICIES,
    OverflowPolicy,
    SettingError,
    validate,
)
from app.i18n import N_

SamplingValue = float | int | str | None  # of a GenerationParams field
# Kept as an answer's error (and compared) in English; shown with `_()`.
INTERRUPTED = N_("The app stopped before this answer was complete.")


@dataclass(frozen=True)
class Attachment:
    """A document sent with a question. Its text goes to the model with the question, unless
    the answer is a summary of it (it was too long for the context), which then stands for it.

    `tokens` is its length for the model it was sent to, when known.
    """

    name: str
    text: str
    kind: str = "text"
    tokens: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Attachment | None:
        """An attachment read back from a file; None when it is malformed."""
        if not isinstance(data, dict):
            return None
        name, text, kind = data.get("name"), data.get("text"), data.get("kind", "text")
        tokens = data.get("tokens")
        if not isinstance(name, str) or not isinstance(text, str) or not isinstance(kind, str):
            return None
        if isinstance(tokens, bool) or not isinstance(tokens, int | None):
            tokens = None
        return cls(name, text, kind, tokens)


def attachments_to_json(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]] | None:
    return [a.to_json() for a in attachments] or None


def attachments_from_json(data: object) -> tuple[Attachment, ...]:
    if not isinstance(data, list):
        return ()
    return tuple(a for a in map(Attachment.from_json, data) if a is not None)


def documents_text(attachments: tuple[Attachment, ...]) -> str:
    """The documents' text as one, the way a summary reads them: part offsets point into it."""
    return "\n\n".join(a.text for a in attachments)


DocumentsShown = Literal["inline", "summarized", "omitted"]


def with_documents(question: str, attachments: tuple[Attachment, ...],
                   shown: DocumentsShown = "inline") -> str:
    """A question as the model is sent it: each document quoted before it, or a line naming it
    when the answer summarized it or it is left out to make room."""
    blocks = []
    for a in attachments:
        size = f", {a.tokens:,} tokens" if a.tokens else ""
        if shown == "summarized":
            blocks.append(f"(Document \"{a.name}\"{size}: too long to include here; the "
                          "answer below summarizes it.)")
        elif shown == "omitted":
            blocks.append(f"(Document \"{a.name}\"{size}: attached earlier, not repeated here.)")
        else:
            blocks.append(f"Document \"{a.name}\":\n\"\"\"\n{a.text}\n\"\"\"")
    return "\n\n".join([*blocks, question] if question else blocks)


@dataclass
class Message:
    """One message. An assistant message is `streaming` until its answer is complete.

    `id` is None until the message is added to a conversation (which numbers it, or the store
    that saves it does).
    """

    role: Role
    content: str  # for an answer, what it says: a reasoning model's thinking is apart
    streaming: bool = False
    stats: GenerationStats | None = None
    model_name: str | None = None
    error: str | None = None
    id: int | None = None
    parent_id: int | None = None
    created_at: float = field(default_factory=time.time)
    attachments: tuple[Attachment, ...] = ()
    # An answer that summarized documents part by part: what `SummaryResult.details()` gives.
    details: dict[str, Any] | None = None
    # While a long job runs before the answer's first word ("Reading part 3 of 12"); not saved.
    progress: str = ""
    # What a reasoning model thought before it answered (`engine.thinking`): kept and shown
    # apart, never sent back to the model, searched, or used for a title.
    thinking: str = ""

    @property
    def cancelled(self) -> bool:
        return self.stats is not None and self.stats.finish_reason == "cancelled"

    @property
    def stopped_early(self) -> bool:
        """Ended before the model was done: stopped by the user, cut at the length limit, by
        a quit, or by a failure after some of it came (a server's connection that broke
        mid-answer). Such an answer can go on (`ChatService.continue_answer`)."""
        return self.error == INTERRUPTED or (
            self.error is not None and bool(self.content.strip())) or (
            self.stats is not None and self.stats.finish_reason in ("cancelled", "length"))

    @property
    def goes_on_from_text(self) -> bool:
        """A stopped answer (not a part-by-part summary, which goes on from its notes) with
        text for the model to continue as its own."""
        return self.stopped_early and bool(self.content.strip()) and not self.summarized

    @property
    def summarized(self) -> bool:
        """An answer that is a part-by-part summary of its question's documents (also one
        stopped before its first part: the documents did not fit, so they are not sent again)."""
        return self.details is not None and "parts" in self.details


@dataclass
class Conversation:
    """The message tree of one chat, with what it was made with.

    `params` are the generation settings the chat uses; `overflow` what happens when it
    outgrows the context (None: the app's setting); `model` is the display name of the model
    last used, `model_path` its file; `source` is "api" for a chat asked through the local
    server, None for the window's and the terminal's.
    """

    id: int | None = None
    title: str = ""
    system_prompt: str = ""
    model: str | None = None
    model_path: str | None = None
    preset: str | None = None
    params: GenerationParams | None = None
    overflow: OverflowPolicy | None = None
    source: str | None = None  # "api": asked through the local server (saved on request)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    _messages: dict[int, Message] = field(default_factory=dict, repr=False)
    _children: dict[int | None, list[int]] = field(default_factory=dict, repr=False)
    _chosen: dict[int | None, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, *messages: Message, **fields: Any) -> Conversation:
        """A conversation of one straight line of messages, each answering the one before."""
        conversation = cls(**fields)
        for message in messages:
            last = conversation.last()
            message.parent_id = last.id if last else None
            conversation.add(message)
        return conversation

    # -- the tree --------------------------------------------------------------------------

    def add(self, message: Message, chosen: bool = True) -> Message:
        """Add `message` under its `parent_id`; it becomes the chosen version unless told not.

        A message without an id gets the next free one.
        """
        if message.parent_id is not None and message.parent_id not in self._messages:
            raise KeyError(f"no message {message.parent_id} in this conversation")
        if message.id is None:
            message.id = max(self._messages, default=0) + 1
        elif message.id in self._messages:
            raise ValueError(f"message {message.id} is already in this conversation")
        self._messages[message.id] = message
        self._children.setdefault(message.parent_id, []).append(message.id)
        if chosen or message.parent_id not in self._chosen:
            self._chosen[message.parent_id] = message.id
        return message

    def rebuild(self, messages: list[Message], chosen_ids: set[int | None]) -> None:
        """Replace the tree by `messages` (parents before children), choosing the versions in
        `chosen_ids`; where none of a level's versions is marked, its first is chosen."""
        self._messages.clear()
        self._children.clear()
        self._chosen.clear()
        for message in messages:
            self.add(message, chosen=message.id in chosen_ids)

    def message(self, message_id: int) -> Message:
        return self._messages[message_id]

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._messages

    def __len__(self) -> int:
        return len(self._messages)

    def all_messages(self) -> Iterator[Message]:
        """Every message of every version, parents before their children."""
        stack = list(reversed(self._children.get(None, [])))
        while stack:
            message = self._messages[stack.pop()]
            yield message
            stack.extend(reversed(self._children.get(message.id, [])))

    def children(self, parent_id: int | None) -> list[Message]:
        return [self._messages[i] for i in self._children.get(parent_id, [])]

    def chosen_child(self, parent_id: int | None) -> Message | None:
        child = self._chosen.get(parent_id)
        return self._messages[child] if child is not None else None

    def chosen_ids(self) -> set[int]:
        """The ids of the chosen version at every level, shown or not."""
        return set(self._chosen.values())

    def path(self) -> list[Message]:
        """The conversation as shown: from the first message through the chosen versions."""
        path: list[Message] = []
        child = self.chosen_child(None)
        while child is not None:
            path.append(child)
            child = self.chosen_child(child.id)
        return path

    def last(self) -> Message | None:
        path = self.path()
        return path[-1] if path else None

    def version_of(self, message_id: int) -> tuple[int, int]:
        """(1-based number of this version, how many versions there are)."""
        ids = self._children[self._messages[message_id].parent_id]
        return ids.index(message_id) + 1, len(ids)

    def choose(self, message_id: int) -> None:
        """Show this version; below it, the versions chosen there before come back."""
        self._chosen[self._messages[message_id].parent_id] = message_id

    def sibling(self, message_id: int, step: int) -> Message | None:
        """The version `step` places before (-) or after (+) this one, if there is one."""
        ids = self._children[self._messages[message_id].parent_id]
        index = ids.index(message_id) + step
        return self._messages[ids[index]] if 0 <= index < len(ids) else None

    def subtree(self, message_id: int) -> list[Message]:
        """The message and everything below it, in every version."""
        found: list[Message] = []
        stack = [message_id]
        while stack:
            message = self._messages[stack.pop()]
            found.append(message)
            stack.extend(self._children.get(message.id, []))
        return found

    def remove(self, message_id: int) -> list[int]:
        """Remove the message and everything below it; returns the ids removed.

        If it was the chosen version, the nearest other version is chosen instead.
        """
        removed = self.subtree(message_id)
        parent_id = self._messages[message_id].parent_id
        siblings = self._children[parent_id]
        index = siblings.index(message_id)
        siblings.remove(message_id)
        if self._chosen.get(parent_id) == message_id:
            if siblings:
                self._chosen[parent_id] = siblings[min(index, len(siblings) - 1)]
            else:
                del self._chosen[parent_id]
        for message in removed:
            del self._messages[message.id]  # type: ignore[arg-type]
            self._children.pop(message.id, None)
            self._chosen.pop(message.id, None)
        if not siblings:
            del self._children[parent_id]
        return [m.id for m in removed if m.id is not None]

    # -- what the model is sent ------------------------------------------------------------

    def chat_messages(self, through: Message | None = None,
                      earlier_documents: bool = True) -> list[ChatMessage]:
        """What the model is sent: the system prompt, then the finished, non-empty turns of
        the shown path (up to and including `through`, if given).

        An answer that failed or was stopped before its first token is left out, so the roles
        still alternate for templates that insist on it. Documents go inline before their
        question, except where the answer summarized them, and, with `earlier_documents` False,
        except those of questions before the last one sent. A stopped summary is sent as one
        line, not its notes, which may be longer than the context.
        """
        turns = [ChatMessage("system", self.system_prompt)] if self.system_prompt.strip() else []
        path = self.path()
        if through is not None:
            path = path[:next((i for i, m in enumerate(path) if m.id == through.id),
                              len(path) - 1) + 1]
        last_question = next((m.id for m in reversed(path) if m.role == "user"), None)
        for message in path:
            if message.streaming or (message.role == "assistant" and not message.content):
                continue
            content = message.content
            if message.attachments:
                answer = self.chosen_child(message.id)
                shown: DocumentsShown = "inline"
                if answer is not None and answer.summarized:
                    shown = "summarized"
                elif not earlier_documents and message.id != last_question:
                    shown = "omitted"
                content = with_documents(content, message.attachments, shown)
            elif message.summarized and message.cancelled:
                parts = len((message.details or {}).get("parts", []))
                content = (f"(The summary was stopped after {parts} part"
                           f"{'s' if parts != 1 else ''}; its notes are not repeated here.)")
            turns.append(ChatMessage(message.role, content))
        return turns

    def first_exchange(self) -> tuple[str, str] | None:
        """The first question and its answer, once the answer is complete."""
        path = self.path()
        if len(path) < 2 or path[1].streaming or not path[1].content:
            return None
        return path[0].content, path[1].content


def settings_to_json(conversation: Conversation) -> dict[str, Any]:
    """A chat's own settings as stored: its generation settings and its overflow policy."""
    params = conversation.params
    data = {name: getattr(params, name) for name in SAMPLING_FIELDS} if params else {}
    if conversation.overflow is not None:
        data["overflow"] = conversation.overflow
    return data


def overflow_from_json(data: object) -> OverflowPolicy | None:
    value = data.get("overflow") if isinstance(data, dict) else None
    return value if value in OVERFLOW_POLICIES else None


def sampling_values(data: Mapping[str, object]) -> dict[str, SamplingValue]:
    """The entries of `data` that name a sampling setting (a `GenerationParams` field) and hold
    a value it accepts, as `settings.validate` checks every value from outside (its type, its
    range: what the settings panel would refuse), converted as the setting keeps it. The rest
    are left out: unknown keys, wrong values, and None for a setting that needs a value."""
    values: dict[str, SamplingValue] = {}
    for name, value in data.items():
        setting = BY_KEY.get(f"sampling.{name}")
        if setting is None:
            continue
        try:
            checked = validate(setting, value)
        except SettingError:
            continue
        assert checked is None or isinstance(checked, int | float | str)  # what settings keep
        values[name] = checked
    return values


def params_from_json(data: object) -> GenerationParams | None:
    """Settings read back from a file (a chat's own, or an imported one's), or None when it
    has none; what `sampling_values` leaves out is dropped."""
    if not isinstance(data, dict) or not any(name in data for name in SAMPLING_FIELDS):
        return None
    values: dict[str, Any] = sampling_values(data)  # each checked against its field's setting
    return GenerationParams(**values)


def stats_to_json(stats: GenerationStats | None) -> dict[str, Any] | None:
    return dataclasses.asdict(stats) if stats is not None else None


def stats_from_json(data: object) -> GenerationStats | None:
    if not isinstance(data, dict):
        return None
    try:
        finish = data["finish_reason"]
        if finish not in ("stop", "length", "cancelled", "loop"):
            return None
        return GenerationStats(
            prompt_tokens=int(data["prompt_tokens"]),
            completion_tokens=int(data["completion_tokens"]),
            ttft_s=float(data["ttft_s"]),
            generation_s=float(data["generation_s"]),
            finish_reason=finish,
            cached_tokens=int(data.get("cached_tokens", 0)),
            seed=_seed(data.get("seed")),
            thinking_tokens=max(0, int(data.get("thinking_tokens", 0))),
            thinking_s=max(0.0, float(data.get("thinking_s", 0.0))),
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _seed(value: object) -> int | None:
    """A recorded sampling seed; anything but a whole number llama.cpp takes is none."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        return None
    return value
