"""The chat library: the saved chats as a list, and what is done to them as a whole (search,
rename, delete with Undo, purge, import, export). The window's sidebar and `lamplight chats`
both go through it; neither writes the store itself.

Deleting only marks a chat, which is what makes Undo possible; `purge` removes marked chats for
good, with their evaluated model states (`<cache>/states/chat-<id>.*`), at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from app.core.chat.conversation import Conversation
from app.core.chat.store import (
    ConversationNotFoundError,
    ConversationStore,
    ConversationSummary,
    SearchHit,
)
from app.core.chat.transfer import dumps, load_file, save_imported, to_markdown
from app.core.engine.states import remove_orphans
from app.files import write_private_text

ExportFormat = Literal["md", "json"]


class ChatLibrary:
    """Every saved chat of one history. Use from the thread that owns `store`.

    `states_dir` is where the engine keeps chats' evaluated states; None when there is none to
    tidy (tests, benchmarks).
    """

    def __init__(self, store: ConversationStore, states_dir: Path | None = None) -> None:
        self.store = store
        self.states_dir = states_dir
        self._seen_version: int | None = None

    def changed_elsewhere(self) -> bool:
        """Whether another process wrote to the history since the chats were last listed or
        this was last asked. Cheap: a front-end may ask every few seconds."""
        version = self.store.data_version()
        seen, self._seen_version = self._seen_version, version
        return seen is not None and version != seen

    def chats(self) -> list[ConversationSummary]:
        """Every chat not deleted, the most recently changed first."""
        self._seen_version = self.store.data_version()  # what `changed_elsewhere` compares to
        return self.store.list_conversations()

    def answer_speeds(self, limit: int = 200) -> list[tuple[str, str, float, int]]:
        """The latest answers' speeds (`ConversationStore.answer_speeds`): what the Models page
        calibrates its speed estimates with."""
        return self.store.answer_speeds(limit)

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        return self.store.search(text, limit)

    def exists(self, conversation_id: int) -> bool:
        return self.store.exists(conversation_id)

    def load(self, conversation_id: int) -> Conversation:
        return self.store.load(conversation_id)

    def rename(self, conversation_id: int, title: str) -> None:
        """The user's title: never replaced by one the model makes."""
        self.store.rename(conversation_id, title)

    def delete(self, conversation_id: int) -> None:
        """Mark the chat deleted: gone from lists and search until `undelete` or `purge`."""
        self.store.delete(conversation_id)

    def undelete(self, conversation_id: int) -> None:
        self.store.undelete(conversation_id)

    def remove(self, ids: Sequence[int]) -> None:
        """Delete chats for good now (the terminal has no Undo), with their states. All are
        known, or `ConversationNotFoundError` and none is removed."""
        for conversation_id in ids:
            if not self.store.exists(conversation_id):
                raise ConversationNotFoundError(conversation_id)
        for conversation_id in ids:
            self.store.delete(conversation_id)
        self.purge(ids)

    def purge(self, ids: Sequence[int] | None = None) -> int:
        """Remove chats marked deleted (all of them, or those of `ids`) for good, and their
        evaluated states with them; returns how many chats. Chats another window marked stay
        marked when `ids` leaves them out, so its Undo still works."""
        purged = self.store.purge_deleted(ids)
        self.tidy_states()
        return purged

    def tidy_states(self) -> None:
        """Remove the states of chats that no longer exist, and what a process killed while
        writing one left behind."""
        if self.states_dir is not None and self.states_dir.is_dir():
            remove_orphans(self.states_dir, self.store.ids())

    def import_file(self, path: Path) -> list[tuple[int, Conversation]]:
        """Add the chats of a Lamplight JSON export, all or none; returns their new ids.
        Raises `ImportFormatError`, `StoreError`."""
        conversations = load_file(path)
        return list(zip(save_imported(self.store, conversations), conversations, strict=True))

    def export_text(self, ids: Sequence[int], fmt: ExportFormat) -> str:
        """The chats as Markdown (as shown) or JSON (every version; it imports again)."""
        conversations = [self.store.load(i) for i in ids]
        if fmt == "json":
            return dumps(conversations) + "\n"
        return "\n".join(to_markdown(c) for c in conversations)

    def export(self, ids: Sequence[int], fmt: ExportFormat, path: Path) -> None:
        """Write the chats to `path`, readable by the user alone. Raises `OSError`,
        `StoreError`."""
        write_private_text(path, self.export_text(ids, fmt))
