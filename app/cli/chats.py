"""`lamplight chats ...`: list, export, import, search and delete saved chats; and the record
that `lamplight chat` keeps of its conversation.

Results go to stdout, one item per line; warnings go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from app.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    chat_id,
    error,
    field,
    json_shown,
    shown,
    warn,
)
from app.core.chat.conversation import INTERRUPTED, Conversation, Message
from app.core.chat.store import (
    ConversationMovedError,
    ConversationNotFoundError,
    ConversationStore,
    PartialWriter,
    StoreError,
)
from app.core.chat.titles import fallback_title
from app.core.chat.transfer import (
    ImportFormatError,
    dumps,
    iso_time,
    load_file,
    save_imported,
    to_markdown,
)
from app.core.engine import GenerationParams
from app.core.engine.states import remove_orphans
from app.core.settings.schema import OverflowPolicy
from app.core.times import local_datetime
from app.files import write_private_text
from app.paths import AppPaths

EXIT_NOT_FOUND = 1  # `search` without a match, as grep
# The store's methods past opening let SQLite's own errors through (a full disk, a lock held
# too long); to a chat in progress they mean the same as a history that cannot be opened.
_SAVE_ERRORS = (StoreError, sqlite3.Error)
_MOVED_RETRIES = 3


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    chats = commands.add_parser("chats", parents=[common], help="saved chats",
                                description="The chats 'lamplight chat' and the window saved.")
    sub = chats.add_subparsers(dest="chats_command", metavar="ACTION", required=True,
                               parser_class=type(chats))
    listing = sub.add_parser("list", parents=[common],
                             help="saved chats, newest first: ID, title, last change")
    listing.add_argument("--json", action="store_true", help="one JSON list instead of lines")
    export = sub.add_parser(
        "export", parents=[common], help="write chats as Markdown or JSON",
        description="Markdown shows the chat as it is shown; JSON keeps every version of every "
                    "message and imports again (docs/conversation-json.md).")
    export.add_argument("ids", nargs="*", type=chat_id, metavar="ID")
    export.add_argument("--all", action="store_true", help="every saved chat")
    export.add_argument("--format", choices=("md", "json"), default="md",
                        help="md (default) or json")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    imp = sub.add_parser("import", parents=[common], help="add the chats of a JSON export",
                         description="Prints 'imported ID TITLE' for each new chat.")
    imp.add_argument("file", metavar="FILE", help="a file 'chats export --format json' wrote")
    search = sub.add_parser("search", parents=[common], help="messages containing words",
                            description="Prints ID, title and the matching text of each "
                                        "message found; exits 1 when there is none.")
    search.add_argument("text", nargs="+", metavar="TEXT")
    rm = sub.add_parser("rm", parents=[common], help="delete chats for good")
    rm.add_argument("ids", nargs="+", type=chat_id, metavar="ID")


def run(args: argparse.Namespace, paths: AppPaths) -> int:
    actions = {"list": _list, "export": _export, "import": _import, "search": _search,
               "rm": _rm}
    try:
        store = ConversationStore.open_in(paths.data_dir)
    except StoreError as exc:
        error(exc)
        return EXIT_FAILURE
    try:
        status = actions[args.chats_command](args, store)
        if args.chats_command == "rm" and paths.states_dir.is_dir():
            remove_orphans(paths.states_dir, store.ids())  # their kept states go with them
        return status
    except (ConversationNotFoundError, ImportFormatError) as exc:
        raise UsageError(str(exc)) from None
    except StoreError as exc:
        error(exc)
        return EXIT_FAILURE
    finally:
        store.close()


def _list(args: argparse.Namespace, store: ConversationStore) -> int:
    chats = store.list_conversations()
    if args.json:
        print(json_shown(json.dumps(
            [{"id": c.id, "title": c.title, "created_at": iso_time(c.created_at),
              "updated_at": iso_time(c.updated_at), "model": c.model,
              "messages": c.message_count} for c in chats], indent=2, ensure_ascii=False)))
        return EXIT_OK
    for chat in chats:
        print(f"{chat.id}\t{field(chat.title)}\t{_local_minute(chat.updated_at)}")
    return EXIT_OK


def _local_minute(timestamp: float) -> str:
    return local_datetime(timestamp).strftime("%Y-%m-%d %H:%M")


def _export(args: argparse.Namespace, store: ConversationStore) -> int:
    if args.all and args.ids:
        raise UsageError("give the IDs of chats to export or --all, not both")
    if not args.all and not args.ids:
        raise UsageError("which chats? Give their IDs ('lamplight chats list') or --all")
    ids = [c.id for c in store.list_conversations()] if args.all else args.ids
    conversations = [store.load(i) for i in ids]
    if args.format == "json":
        text = dumps(conversations) + "\n"
    else:
        text = "\n".join(to_markdown(c) for c in conversations)
    if args.output is None:
        # Data to a file or a pipe; on a terminal, the chats' escape sequences stay text.
        sys.stdout.write(shown(text) if sys.stdout.isatty() else text)
        return EXIT_OK
    try:
        write_private_text(Path(args.output), text)  # the chats are the user's alone
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return EXIT_OK


def _import(args: argparse.Namespace, store: ConversationStore) -> int:
    conversations = load_file(Path(args.file))
    for conversation, new_id in zip(conversations, save_imported(store, conversations),
                                    strict=True):
        print(f"imported {new_id} {field(conversation.title)}")
    return EXIT_OK


def _search(args: argparse.Namespace, store: ConversationStore) -> int:
    hits = store.search(" ".join(args.text))
    for hit in hits:
        print(f"{hit.conversation_id}\t{field(hit.title)}\t{field(hit.marked())}")
    return EXIT_OK if hits else EXIT_NOT_FOUND


def _rm(args: argparse.Namespace, store: ConversationStore) -> int:
    for conversation_id in args.ids:  # all known, or none deleted
        if not store.exists(conversation_id):
            raise ConversationNotFoundError(conversation_id)
    for conversation_id in args.ids:
        store.delete(conversation_id)
    # The terminal has no Undo: these are removed now. Chats a window marked deleted stay
    # marked, so its Undo still works.
    store.purge_deleted(args.ids)
    return EXIT_OK


class ChatRecord:
    """The conversation of one `lamplight chat` run, kept in the store as it happens.

    Without a store (`--no-save`, or a history that cannot be opened) it is kept in memory only,
    which the turns are still built from. An answer is saved before its first token and then at
    least once a second while it streams, so a killed process leaves it on disk as far as it got.
    """

    def __init__(self, store: ConversationStore | None, conversation: Conversation) -> None:
        self.store = store
        self.conversation = conversation
        self._writer = PartialWriter(store) if store is not None else None
        self._settings_changed = conversation.id is not None

    @classmethod
    def open(cls, paths: AppPaths, save: bool, continue_id: int | None) -> ChatRecord:
        """The record of a new chat, or of saved chat `continue_id` to add turns to.

        A history that cannot be opened is warned about and the chat goes on unsaved; but a chat
        to continue must be read, so then it is an error.
        """
        store: ConversationStore | None = None
        if save or continue_id is not None:
            try:
                store = ConversationStore.open_in(paths.data_dir)
            except StoreError as exc:
                if continue_id is not None:
                    raise
                warn(f"not saving this chat: {exc}")
        if continue_id is None:
            return cls(store, Conversation())
        assert store is not None
        try:
            conversation = store.load(continue_id)
        except StoreError:
            store.close()
            raise
        if not save:
            store.close()
            store = None
        return cls(store, conversation)

    def use(self, model: str, model_path: str, system_prompt: str | None,
            params: GenerationParams) -> None:
        """What the new turns are made with; `system_prompt` None keeps the chat's own."""
        conversation = self.conversation
        conversation.model, conversation.model_path = model, model_path
        conversation.params = params
        if system_prompt is not None:
            conversation.system_prompt = system_prompt

    def set_overflow(self, policy: OverflowPolicy) -> None:
        """The chat's own overflow policy from now on (saved with its next message)."""
        self.conversation.overflow = policy
        self._settings_changed = True

    def ask(self, prompt: str) -> Message:
        """Add the user's message under the last one shown; returns the answer to fill.

        When another process added turns to this chat meanwhile (two `--continue` runs, or the
        window), the chat is read again and the question follows its latest message, with a
        warning, rather than forking it.
        """
        conversation = self.conversation
        if not conversation.title:
            conversation.title = fallback_title(prompt)
        question = self._add_question(prompt)
        answer = Message("assistant", "", streaming=True, model_name=self.conversation.model,
                         parent_id=question.id)
        return self._add(answer)

    def _add_question(self, prompt: str) -> Message:
        for _ in range(_MOVED_RETRIES):
            last = self.conversation.last()
            question = Message("user", prompt, parent_id=last.id if last else None)
            try:
                return self._add(question, follows_latest=True)
            except ConversationMovedError:
                self._read_again()
        last = self.conversation.last()  # still moving: this turn goes where it was read
        return self._add(Message("user", prompt, parent_id=last.id if last else None))

    def _read_again(self) -> None:
        """The chat as the file has it now, with what this run set (model, prompt, settings)."""
        assert self.store is not None and self.conversation.id is not None
        mine = self.conversation
        try:
            fresh = self.store.load(mine.id)
        except _SAVE_ERRORS as exc:
            self._stop_saving(exc)
            return
        fresh.model, fresh.model_path, fresh.params = mine.model, mine.model_path, mine.params
        fresh.system_prompt, fresh.overflow = mine.system_prompt, mine.overflow
        self.conversation = fresh
        warn(f"chat {mine.id} was continued elsewhere meanwhile; this turn follows its latest "
             "message.")

    def _add(self, message: Message, follows_latest: bool = False) -> Message:
        if self.store is None:
            return self.conversation.add(message)
        try:
            if self._settings_changed:  # a continued chat: the model and prompt used now
                self.store.save_settings(self.conversation)
                self._settings_changed = False
            return self.store.add_message(self.conversation, message,
                                          follows_latest=follows_latest)
        except ConversationMovedError:
            raise
        except _SAVE_ERRORS as exc:
            self._stop_saving(exc)
            return self.conversation.add(message)

    def changed(self, answer: Message) -> None:
        """The answer grew."""
        if self._writer is not None:
            try:
                self._writer.changed(answer)
            except _SAVE_ERRORS as exc:
                self._stop_saving(exc)

    def finish(self, answer: Message) -> None:
        """The answer is complete, stopped or failed (with its stats or error set)."""
        answer.streaming = False
        if self.store is not None:
            try:
                self.store.finish_message(self.conversation, answer)
            except _SAVE_ERRORS as exc:
                self._stop_saving(exc)

    def interrupted(self, answer: Message) -> None:
        """The run ends while the answer is being written (Ctrl+C twice, a closed pipe)."""
        if answer.streaming:
            answer.error = answer.error or INTERRUPTED
            self.finish(answer)

    def _stop_saving(self, exc: Exception) -> None:
        # A history that fails mid-chat must not end the chat: it goes on in memory.
        warn(f"no longer saving this chat: {exc}")
        self.close()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        self.store = None
        self._writer = None
