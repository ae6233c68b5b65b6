"""The chat library: deleting marks, Undo brings back, purging removes the chats for good and
their kept model states with them, at once."""

from __future__ import annotations

import array
from pathlib import Path

from app.core.chat.conversation import Conversation, Message
from app.core.chat.library import ChatLibrary
from app.core.chat.store import ConversationStore
from app.core.engine.states import Snapshot, StateCache, chat_session
from app.paths import AppPaths


def _chat(store: ConversationStore, title: str) -> int:
    conversation = Conversation(title=title)
    store.add_message(conversation, Message("user", f"About {title}"))
    assert conversation.id is not None
    return conversation.id


def _keep_state(states_dir: Path, conversation_id: int) -> None:
    cache = StateCache(states_dir, ram_bytes=0, disk_bytes=1 << 20, min_tokens=1)
    cache.keep(chat_session(conversation_id), "0123456789abcdef",
               Snapshot(array.array("i", [1, 2, 3]), b"kv"))
    cache.flush()


def test_a_purge_removes_deleted_chats_and_their_states_at_once(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    store = ConversationStore.open_in(paths.data_dir)
    library = ChatLibrary(store, paths.states_dir)
    gone, kept = _chat(store, "gone"), _chat(store, "kept")
    for conversation_id in (gone, kept):
        _keep_state(paths.states_dir, conversation_id)
    library.delete(gone)
    assert [c.id for c in library.chats()] == [kept]
    library.undelete(gone)  # Undo, while it lasts
    assert sorted(c.id for c in library.chats()) == [gone, kept]
    library.delete(gone)
    assert len(list(paths.states_dir.iterdir())) == 2  # marked only: Undo needs the state
    assert library.purge() == 1
    library.undelete(gone)  # too late
    assert [c.id for c in library.chats()] == [kept]
    assert [p.name.split(".")[0] for p in paths.states_dir.iterdir()] == [chat_session(kept)]
    store.close()


def test_remove_deletes_known_chats_for_good_or_none(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    store = ConversationStore.open_in(paths.data_dir)
    library = ChatLibrary(store, paths.states_dir)
    first, second = _chat(store, "first"), _chat(store, "second")
    _keep_state(paths.states_dir, first)
    library.delete(second)  # marked by a window: its Undo must still work
    library.remove([first])
    assert list(paths.states_dir.iterdir()) == []
    library.undelete(second)
    assert [c.id for c in library.chats()] == [second]
    store.close()
