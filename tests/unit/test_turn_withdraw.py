"""A question the model refused unread (too long for the context) is taken back with
`Turn.withdraw`: `lamplight chat` keeps no failed turn for a prompt still on its command
line."""

from __future__ import annotations

from pathlib import Path

from app.core.chat.service import ChatService
from app.core.chat.store import ConversationStore
from app.core.settings.file import SettingsFile


def test_a_first_question_withdrawn_leaves_no_chat(tmp_path: Path) -> None:
    store = ConversationStore.open_in(tmp_path)
    try:
        service = ChatService(store, SettingsFile.in_memory())
        turn = service.ask(service.new(), "word " * 400)
        turn.withdraw()
        assert store.list_conversations() == []
        assert turn.done
        again = service.ask(turn.conversation, "A shorter one?")  # saved anew
        (saved,) = store.list_conversations()
        assert [m.content for m in store.load(saved.id).path()] == ["A shorter one?", ""]
        assert again.conversation.id == saved.id
    finally:
        store.close()


def test_a_later_question_withdrawn_leaves_the_chat_as_it_was(tmp_path: Path) -> None:
    store = ConversationStore.open_in(tmp_path)
    try:
        service = ChatService(store, SettingsFile.in_memory())
        first = service.ask(service.new(), "Hello?")
        first.piece("Hi.")
        first.fail("no model here")  # ended, as any answer ends
        chat_id = first.conversation.id
        assert chat_id is not None
        service.ask(first.conversation, "word " * 400).withdraw()
        assert [(m.role, m.content) for m in store.load(chat_id).path()] == \
            [("user", "Hello?"), ("assistant", "Hi.")]
        assert [(m.role, m.content) for m in first.conversation.path()] == \
            [("user", "Hello?"), ("assistant", "Hi.")]
    finally:
        store.close()


def test_an_unsaved_chat_forgets_the_question_too() -> None:
    service = ChatService(None, SettingsFile.in_memory())
    turn = service.ask(service.new(), "word " * 400)
    turn.withdraw()
    assert len(turn.conversation) == 0
