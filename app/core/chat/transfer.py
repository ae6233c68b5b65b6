"""Conversations out of the app and back in: Markdown to read, JSON to move them.

Markdown (`to_markdown`) is for people: the branch the user sees, one heading per turn. JSON
(`to_json`, `dumps`, `from_json`, `load_file`) keeps everything: every version of every message,
which ones are chosen, the model, the settings and the stats. Its format is documented in
`docs/conversation-json.md`; a change to what an older reader would misread needs a new
`FORMAT_VERSION`, while new fields do not (readers ignore fields they do not know).

Message ids in a file are local to it: `ConversationStore.create` numbers imported messages
afresh.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

from app.core.chat.conversation import (
    INTERRUPTED,
    Attachment,
    Conversation,
    Message,
    attachments_from_json,
    attachments_to_json,
    overflow_from_json,
    params_from_json,
    settings_to_json,
    stats_from_json,
    stats_to_json,
)
from app.core.chat.store import ConversationStore
from app.core.chat.titles import fallback_title
from app.core.jsonfile import JSONInputError, parse_json
from app.core.times import EARLIEST, clamp_time, local_datetime, utc_datetime
from app.files import FileReadError, format_size, read_regular_file
from app.i18n import N_, _

FORMAT = "lamplight-conversations"
FORMAT_VERSION = 1
ROLES = ("user", "assistant")
# An export of every chat with its documents is tens of MB; a file many times that is not one,
# and parsing it would take several times its size in memory.
MAX_IMPORT_BYTES = 512 * 1024 * 1024

_T = TypeVar("_T")


class ImportFormatError(Exception):
    """A file that cannot be imported; the message says what is wrong and where, in one line."""


# -- Markdown ------------------------------------------------------------------------------


def to_markdown(conversation: Conversation) -> str:
    """The conversation as shown (the chosen branch), as a Markdown document.

    Message contents are Markdown already and are copied as they are; the words around them
    are in the reader's language.
    """
    path = conversation.path()
    title = conversation.title or fallback_title(path[0].content if path else "")
    lines = [f"# {title}", ""]
    if conversation.model:
        lines.append(_("- Model: {model}").format(model=conversation.model))
    lines.append(_("- Created: {time}").format(time=_local_time(conversation.created_at)))
    lines.append(_("- Updated: {time}").format(time=_local_time(conversation.updated_at)))
    if conversation.preset:
        lines.append(_("- Preset: {preset}").format(preset=conversation.preset))
    if conversation.system_prompt.strip():
        lines += [_("- System prompt:"), ""]
        lines += [f"> {line}".rstrip() for line in conversation.system_prompt.splitlines()]
    for message in path:
        lines += ["", f"### {_author(conversation, message)}{_version_note(conversation, message)}",
                  ""]
        note = _state_note(message)
        body = [_attachment_markdown(a) for a in message.attachments]
        body += [_thinking_markdown(message.thinking)] if message.thinking.strip() else []
        body += [message.content.rstrip("\n")] if message.content.strip() else []
        body += [f"*{note}*"] if note else []
        lines.append("\n\n".join(body))
    return "\n".join(lines).rstrip("\n") + "\n"


def _thinking_markdown(thinking: str) -> str:
    """A reasoning model's thinking as a block that renderers show collapsed (GitHub's, most
    editors'). Its text is Markdown as the model wrote it; a line that would close the block
    early is kept from doing so."""
    text = thinking.strip("\n").replace("</details>", "&lt;/details&gt;")
    return f"<details>\n<summary>{_('Thinking')}</summary>\n\n{text}\n\n</details>"


def _attachment_markdown(attachment: Attachment) -> str:
    """A document sent with a question: named, then quoted whole in a fence that its own
    backticks cannot close."""
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`+", attachment.text))])
    heading = (_("**Attached: {name}**, {tokens} tokens").format(
        name=attachment.name, tokens=f"{attachment.tokens:,}") if attachment.tokens else
        _("**Attached: {name}**").format(name=attachment.name))
    return f"{heading}\n\n{fence}text\n{attachment.text}\n{fence}"


def _local_time(timestamp: float) -> str:
    return local_datetime(timestamp).strftime("%Y-%m-%d %H:%M")


def _author(conversation: Conversation, message: Message) -> str:
    if message.role == "user":
        return _("You")
    return message.model_name or conversation.model or _("Assistant")


def _version_note(conversation: Conversation, message: Message) -> str:
    assert message.id is not None  # every message of a conversation has one
    number, count = conversation.version_of(message.id)
    return _(" (version {number} of {count})").format(number=number, count=count) \
        if count > 1 else ""


def _state_note(message: Message) -> str | None:
    """Why an answer is not a whole answer, if it is not."""
    if message.streaming:
        return _("This answer was still being written when the chat was exported.")
    if message.error == INTERRUPTED:
        return _("Interrupted: {reason}").format(reason=_(INTERRUPTED))
    if message.error:
        return _("Failed: {reason}").format(reason=message.error)
    if message.cancelled:
        return _("Stopped before the answer was complete.")
    return None


# -- JSON out --------------------------------------------------------------------------------


def to_json(conversations: Sequence[Conversation],
            exported_at: float | None = None) -> dict[str, Any]:
    """The conversations as one JSON document (see docs/conversation-json.md)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": iso_time(time.time() if exported_at is None else exported_at),
        "conversations": [_conversation_to_json(c) for c in conversations],
    }


def dumps(conversations: Sequence[Conversation], exported_at: float | None = None) -> str:
    return json.dumps(to_json(conversations, exported_at), indent=2, ensure_ascii=False)


def _conversation_to_json(conversation: Conversation) -> dict[str, Any]:
    chosen = conversation.chosen_ids()
    local_ids: dict[int | None, int | None] = {None: None}
    messages = []
    # Parents come before children, so a parent always has its local id when a child needs it.
    for number, message in enumerate(conversation.all_messages(), start=1):
        local_ids[message.id] = number
        entry: dict[str, Any] = {
            "id": number,
            "parent": local_ids[message.parent_id],
            "role": message.role,
            "content": message.content,
            "created_at": iso_time(message.created_at),
            "chosen": message.id in chosen,
            "model": message.model_name,
            "stats": stats_to_json(message.stats),
            "error": message.error,
            # An answer cut short by the app stopping is marked, not only explained by its error.
            "complete": not message.streaming and message.error != INTERRUPTED,
        }
        if message.attachments:
            entry["attachments"] = attachments_to_json(message.attachments)
        if message.details is not None:
            entry["details"] = message.details
        if message.thinking:
            entry["thinking"] = message.thinking
        messages.append(entry)
    return {
        "title": conversation.title,
        "created_at": iso_time(conversation.created_at),
        "updated_at": iso_time(conversation.updated_at),
        "model": conversation.model,
        "model_path": conversation.model_path,
        "preset": conversation.preset,
        "system_prompt": conversation.system_prompt,
        "settings": settings_to_json(conversation),
        "messages": messages,
    }


def iso_time(timestamp: float) -> str:
    """An ISO 8601 time in UTC, to the millisecond: `2025-01-31T17:04:05.123Z`."""
    text = utc_datetime(timestamp).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


# -- JSON in ---------------------------------------------------------------------------------


def load_file(path: Path) -> list[Conversation]:
    """The conversations of an export file. Raises `ImportFormatError`, naming the file.

    Only a regular file of at most `MAX_IMPORT_BYTES` is read: a FIFO or `/dev/zero` would
    block or fill the memory.
    """
    try:
        text = read_regular_file(path, MAX_IMPORT_BYTES).decode("utf-8-sig")
    except FileReadError as exc:
        raise ImportFormatError(_cannot_read(exc)) from None
    except UnicodeDecodeError:
        raise ImportFormatError(_("{path} is not a UTF-8 text file").format(path=path)) from None
    try:
        data = parse_json(text)
    except JSONInputError as exc:
        raise ImportFormatError(_("{path} is not JSON ({reason})").format(
            path=path, reason=exc)) from None
    try:
        return from_json(data)
    except ImportFormatError as exc:
        raise ImportFormatError(_("{path}: {problem}").format(path=path, problem=exc)) from None


def _cannot_read(exc: FileReadError) -> str:
    """Why the file is not read, as a clause of its own (it follows "lamplight: error: ")."""
    if exc.reason is not None:  # the words of `files.os_reason`, marked in `readers`
        return _("cannot read {path}: {reason}").format(path=exc.path, reason=_(exc.reason))
    if exc.size is not None:
        return _("cannot read {path}: it is {size}; up to {most} can be read").format(
            path=exc.path, size=format_size(exc.size), most=format_size(exc.limit))
    return _("cannot read {path}: it is larger than {most}").format(
        path=exc.path, most=format_size(exc.limit))


def from_json(data: object) -> list[Conversation]:
    """The conversations of a parsed export document, checked whole before any is returned.

    Fields this version does not know are ignored; a document of a newer major version is
    refused, since its fields may mean what this version would misread.
    """
    if not isinstance(data, dict):
        raise ImportFormatError(_("not a Lamplight conversations file: the top level is not "
                                  "an object"))
    if data.get("format") != FORMAT:
        raise ImportFormatError(_("not a Lamplight conversations file: 'format' is {value}, "
                                  "not '{format}'").format(
                                      value=_show(data.get("format"), "format" in data),
                                      format=FORMAT))
    version = data.get("version")
    if not _is_int(version) or version < 1:
        raise ImportFormatError(_("'version' must be a whole number from 1, not {value}")
                                .format(value=_show(version, "version" in data)))
    if version > FORMAT_VERSION:
        raise ImportFormatError(_(
            "the file is format version {version}, written by a newer Lamplight; this one "
            "reads version {known}. Update Lamplight to import it.").format(
                version=version, known=FORMAT_VERSION))
    conversations = data.get("conversations")
    if not isinstance(conversations, list):
        raise ImportFormatError(_("'conversations' must be a list"))
    return [_conversation_from_json(item, _("conversation {number}").format(number=number))
            for number, item in enumerate(conversations, start=1)]


def _conversation_from_json(data: object, where: str) -> Conversation:
    if not isinstance(data, dict):
        raise ImportFormatError(_("{where}: must be an object").format(where=where))
    items = data.get("messages")
    if not isinstance(items, list):
        raise ImportFormatError(_("{where}: 'messages' must be a list").format(where=where))
    now = time.time()  # for a file without times: imported now
    created_at = _optional(data, "created_at", _parse_time, where)
    created_at = now if created_at is None else created_at
    updated_at = _optional(data, "updated_at", _parse_time, where)
    updated_at = created_at if updated_at is None else updated_at
    settings = _optional(data, "settings", _object, where)
    conversation = Conversation(
        title=_optional(data, "title", _string, where) or "",
        system_prompt=_optional(data, "system_prompt", _string, where) or "",
        model=_optional(data, "model", _string, where),
        model_path=_optional(data, "model_path", _string, where),
        preset=_optional(data, "preset", _string, where),
        params=params_from_json(settings), overflow=overflow_from_json(settings),
        created_at=created_at, updated_at=updated_at)

    messages: list[Message] = []
    ids: dict[int, int] = {}  # the file's ids -> this conversation's: 1, 2, 3...
    marked: dict[int | None, int] = {}  # parent -> its version marked chosen
    newest: dict[int | None, int] = {}  # parent -> its last version
    for number, item in enumerate(items, start=1):
        at = _("{where}, message {number}").format(where=where, number=number)
        message, file_id, file_parent, is_chosen = _message_from_json(item, at, created_at)
        if file_id in ids:
            raise ImportFormatError(_("{where}: id {id} is used by an earlier message too")
                                    .format(where=at, id=file_id))
        if file_parent is not None and file_parent not in ids:
            raise ImportFormatError(_("{where}: parent {id} is not an earlier message of this "
                                      "conversation").format(where=at, id=file_parent))
        message.id = ids[file_id] = number
        message.parent_id = None if file_parent is None else ids[file_parent]
        newest[message.parent_id] = message.id
        if is_chosen:
            marked[message.parent_id] = message.id
        messages.append(message)
    # A level without a chosen version shows its last one: the newest, as the app would.
    conversation.rebuild(messages, {marked.get(parent, last) for parent, last in newest.items()})
    return conversation


def _message_from_json(data: object, where: str,
                       default_time: float) -> tuple[Message, int, int | None, bool]:
    """The message, its id and parent's id in the file, and whether it is marked chosen."""
    if not isinstance(data, dict):
        raise ImportFormatError(_("{where}: must be an object").format(where=where))
    file_id = data.get("id")
    if not _is_int(file_id):
        raise ImportFormatError(_("{where}: 'id' must be a whole number, not {value}").format(
            where=where, value=_show(file_id, "id" in data)))
    parent = data.get("parent")
    if parent is not None and not _is_int(parent):
        raise ImportFormatError(_("{where}: 'parent' must be a message id or null, not "
                                  "{value}").format(where=where, value=_show(parent)))
    role = data.get("role")
    if role not in ROLES:
        raise ImportFormatError(_("{where}: role must be 'user' or 'assistant', not {value}")
                                .format(where=where, value=_show(role, "role" in data)))
    if "content" not in data:
        raise ImportFormatError(_("{where}: 'content' is missing").format(where=where))
    content = _string(data["content"])
    if content is None:
        raise ImportFormatError(_("{where}: 'content' must be a string, not {value}").format(
            where=where, value=_show(data["content"])))
    chosen = _optional(data, "chosen", _boolean, where) or False
    complete = _optional(data, "complete", _boolean, where)
    error = _optional(data, "error", _string, where)
    created_at = _optional(data, "created_at", _parse_time, where)
    stats = data.get("stats")
    if stats is not None and not isinstance(stats, dict):
        raise ImportFormatError(_("{where}: 'stats' must be an object or null").format(
            where=where))
    attachments = data.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise ImportFormatError(_("{where}: 'attachments' must be a list or null").format(
            where=where))
    message = Message(
        role=role, content=content,
        # Stats are informative only: ones this version cannot read are dropped, not refused.
        stats=stats_from_json(stats),
        model_name=_optional(data, "model", _string, where),
        # An unfinished answer in a file stays unfinished: the app that wrote it stopped.
        error=(error or INTERRUPTED) if complete is False else error,
        created_at=default_time if created_at is None else created_at,
        attachments=attachments_from_json(attachments),
        details=_optional(data, "details", _object, where),
        thinking=_optional(data, "thinking", _string, where) or "")
    return message, file_id, parent, chosen


def _optional(data: dict[str, Any], key: str, parse: Callable[[object], _T | None],
              where: str) -> _T | None:
    """`data[key]` parsed; None when missing or null. A value of the wrong type is refused."""
    value = data.get(key)
    if value is None:
        return None
    parsed = parse(value)
    if parsed is None:
        raise ImportFormatError(_("{where}: '{key}' must be {expected}, not {value}").format(
            where=where, key=key, expected=_(_EXPECTED[parse]), value=_show(value)))
    return parsed


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _boolean(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _object(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _parse_time(value: object) -> float | None:
    """An ISO 8601 time as a timestamp, clamped into the range every platform can show (a
    chat dated year 1 is imported as dated 1970)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):  # Python 3.10's fromisoformat does not read the Z
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # the format says UTC; a time without an offset is taken so
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return clamp_time(moment.timestamp())
    except (OverflowError, ValueError):  # year 1 with an offset east of UTC: before year 1
        return EARLIEST


_EXPECTED: dict[Callable[[object], Any], str] = {
    _string: N_("a string"), _boolean: N_("true or false"), _object: N_("an object"),
    _parse_time: N_("an ISO 8601 time such as 2025-01-31T17:04:05Z"),
}


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: object, present: bool = True) -> str:
    """A value as the file has it, shortened to fit an error line."""
    if not present:
        # TRANSLATORS: a field the file lacks, as in "'version' must be ..., not missing".
        return _("missing")
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


# -- into the store ----------------------------------------------------------------------------


def save_imported(store: ConversationStore, conversations: Sequence[Conversation]) -> list[int]:
    """Save imported conversations as new chats, keeping their times; returns their ids.

    All in one transaction: a failure part-way (a full disk) saves none of them, so importing
    the file again later adds each chat once. Raises `StoreError`.
    """
    return store.create_all(conversations)
