"""The SQLite store: branches, partial answers, migrations, search, soft delete."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.core.chat.conversation import INTERRUPTED, Attachment, Conversation, Message
from app.core.chat.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ConversationNotFoundError,
    ConversationStore,
    PartialWriter,
    StoreError,
    open_store,
)
from app.core.engine import GenerationParams, GenerationStats
from app.paths import AppPaths


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore.open_in(tmp_path)


def _chat(store: ConversationStore, *texts: str, **fields: object) -> Conversation:
    conversation = Conversation(**fields)
    for i, text in enumerate(texts):
        last = conversation.last()
        store.add_message(conversation, Message("user" if i % 2 == 0 else "assistant", text,
                                                parent_id=last.id if last else None))
    return conversation


def test_a_chat_comes_back_with_its_settings_and_stats(store: ConversationStore) -> None:
    params = GenerationParams(temperature=0.3, max_tokens=64)
    c = _chat(store, "Hello", title="Greeting", system_prompt="Be kind.", model="SmolLM2",
              model_path="/m/smol.gguf", preset="general", params=params)
    answer = store.add_message(c, Message("assistant", "", streaming=True, model_name="SmolLM2",
                                          parent_id=c.path()[0].id))
    answer.content, answer.streaming = "Hi there", False
    answer.stats = GenerationStats(5, 3, 0.1, 0.2, "stop")
    store.finish_message(c, answer)

    again = store.load(c.id)
    assert (again.title, again.system_prompt, again.model, again.model_path, again.preset,
            again.params) == ("Greeting", "Be kind.", "SmolLM2", "/m/smol.gguf", "general",
                              params)
    shown = again.path()
    assert [(m.role, m.content) for m in shown] == [("user", "Hello"), ("assistant", "Hi there")]
    assert shown[1].stats == answer.stats and shown[1].model_name == "SmolLM2"
    assert shown[1].error is None


def test_versions_and_the_chosen_branch_are_kept(store: ConversationStore) -> None:
    c = _chat(store, "Q1", "A1", "Q2", "A2a")
    _, a1, q2, _ = c.path()
    store.add_message(c, Message("assistant", "A2b", parent_id=q2.id))
    q2b = store.add_message(c, Message("user", "Q2b", parent_id=a1.id))
    store.add_message(c, Message("assistant", "A2c", parent_id=q2b.id))
    store.choose(c, q2.id)

    again = store.load(c.id)
    assert [m.content for m in again.path()] == ["Q1", "A1", "Q2", "A2b"]
    assert len(again) == 7
    store.choose(again, q2b.id)
    assert [m.content for m in store.load(c.id).path()] == ["Q1", "A1", "Q2b", "A2c"]


def test_deleting_a_message_removes_it_and_what_follows_from_file_and_search(
        store: ConversationStore) -> None:
    c = _chat(store, "alpha question", "beta answer", "gamma question", "delta answer")
    _, _, q2, _ = c.path()
    store.delete_message(c, q2.id)
    assert [m.content for m in store.load(c.id).path()] == ["alpha question", "beta answer"]
    assert store.search("gamma") == [] and store.search("delta") == []
    assert [h.marked() for h in store.search("beta")] == ["[beta] answer"]


def test_a_partial_answer_is_on_disk_and_shows_as_interrupted(tmp_path: Path) -> None:
    store = ConversationStore.open_in(tmp_path)
    c = _chat(store, "Tell me a story")
    answer = store.add_message(c, Message("assistant", "", streaming=True,
                                          parent_id=c.path()[0].id))
    writer = PartialWriter(store, interval_s=0)
    answer.content = "Once upon"
    writer.changed(answer)
    # Another connection, as a later process would open it, with the first one never closed.
    other = ConversationStore.open_in(tmp_path)
    shown = other.load(c.id).path()
    assert shown[1].content == "Once upon" and shown[1].error == INTERRUPTED
    assert other.integrity_check() == "ok"


def test_the_partial_writer_writes_at_most_once_per_interval(store: ConversationStore) -> None:
    c = _chat(store, "Q")
    answer = store.add_message(c, Message("assistant", "", streaming=True,
                                          parent_id=c.path()[0].id))
    writer = PartialWriter(store, interval_s=3600)
    answer.content = "not yet"
    writer.changed(answer)
    assert store.load(c.id).path()[1].content == ""


def test_search_matches_words_and_prefixes_and_skips_deleted_chats(
        store: ConversationStore) -> None:
    a = _chat(store, "How do I parse JSON in Python?", "Use the json module.", title="JSON")
    b = _chat(store, "Recipe for pancakes", title="Food")
    hits = store.search("pyth")
    assert [(h.conversation_id, h.title, h.role) for h in hits] == [(a.id, "JSON", "user")]
    assert "[Python]" in hits[0].marked()
    assert [h.message_id for h in store.search("json module")] == [a.path()[1].id]
    assert store.search('pan"cakes') == []  # quotes in the query are text, not syntax
    assert store.search("   ") == []
    store.delete(b.id)
    assert store.search("pancakes") == []
    store.undelete(b.id)
    assert [h.conversation_id for h in store.search("pancakes")] == [b.id]


def test_search_finds_chinese_text_inside_a_sentence(store: ConversationStore) -> None:
    c = _chat(store, "请帮我总结这篇关于机器学习的文章")
    hits = store.search("机器学习")
    assert [h.conversation_id for h in hits] == [c.id]
    assert "[机器学习]" in hits[0].marked()


def test_list_is_newest_first_and_deleted_chats_can_be_restored_until_purged(
        store: ConversationStore) -> None:
    first = _chat(store, "one", title="First")
    second = _chat(store, "two", title="Second")
    assert [s.title for s in store.list_conversations()] == ["Second", "First"]
    store.add_message(first, Message("assistant", "reply", parent_id=first.path()[0].id))
    assert [(s.title, s.message_count) for s in store.list_conversations()] == [
        ("First", 2), ("Second", 1)]
    store.delete(second.id)
    assert [s.title for s in store.list_conversations()] == ["First"]
    with pytest.raises(ConversationNotFoundError):
        store.load(second.id)
    store.undelete(second.id)
    store.delete(first.id)
    assert store.purge_deleted() == 1
    store.undelete(first.id)
    assert [s.title for s in store.list_conversations()] == ["Second"]
    assert store._db.execute("SELECT count(*) FROM messages").fetchone()[0] == 1


def test_rename_records_that_the_user_chose_the_title(store: ConversationStore) -> None:
    c = _chat(store, "hello", title="hello")
    assert store.title_source(c.id) == "words"
    store.rename(c.id, "My chat")
    assert store.title_source(c.id) == "user"
    assert store.load(c.id).title == "My chat"


def test_an_older_schema_is_migrated_and_its_messages_become_searchable(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO conversations (id, title, created_at, updated_at) "
               "VALUES (1, 'Old', 0, 0)")
    db.execute("INSERT INTO messages (conversation_id, role, content, created_at) "
               "VALUES (1, 'user', 'a message from before search existed', 0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()

    store = ConversationStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert [h.title for h in store.search("before search")] == ["Old"]
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer Lamplight"):
        ConversationStore(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="Cannot read the chat history"):
        ConversationStore(path)
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_the_app_sets_an_unreadable_history_aside_and_starts_a_new_one(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    damaged = paths.data_dir / "chats.db"
    damaged.write_bytes(b"this is not sqlite" * 100)
    store, problem = open_store(paths)
    assert problem is not None and "kept as" in problem
    kept = [p for p in paths.data_dir.iterdir() if p.name.startswith("chats.db.unreadable-")]
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not sqlite")
    assert str(kept[0]) in problem
    _chat(store, "a new start")
    assert [s.message_count for s in store.list_conversations()] == [1]


def test_the_app_leaves_a_newer_history_alone_and_saves_nothing(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path).ensure()
    path = paths.data_dir / "chats.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    store, problem = open_store(paths)
    assert problem is not None and "will not be saved" in problem
    _chat(store, "kept in memory only")
    assert store.path == Path(":memory:")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == \
        SCHEMA_VERSION + 1


def test_a_conversation_with_versions_is_created_whole(store: ConversationStore) -> None:
    c = Conversation.of(Message("user", "Q"), Message("assistant", "A1"), title="Imported")
    q = c.path()[0]
    c.add(Message("assistant", "A2", parent_id=q.id), chosen=False)
    store.create(c)
    again = store.load(c.id)
    assert [m.content for m in again.path()] == ["Q", "A1"]
    assert [m.content for m in again.all_messages()] == ["Q", "A1", "A2"]
    assert {m.id for m in again.all_messages()} == {m.id for m in c.all_messages()}


def test_documents_and_a_summary_s_parts_are_kept(store: ConversationStore) -> None:
    conversation = Conversation()
    document = Attachment("report.pdf", "Page one.\n\nPage two.", "pdf", 12)
    question = store.add_message(conversation, Message(
        "user", "Summarize it.", attachments=(document,), details={"summary": {"length": "short"}}))
    answer = store.add_message(conversation, Message("assistant", "", streaming=True,
                                                     parent_id=question.id))
    answer.streaming = False
    answer.content = "Two pages."
    answer.details = {"name": "report.pdf", "levels": 1, "document_tokens": 12,
                      "complete": True, "parts": [{"index": 1, "start": 0, "end": 9,
                                                   "tokens": 6, "note": "One."}]}
    store.finish_message(conversation, answer)

    loaded_question, loaded_answer = store.load(conversation.id).path()  # type: ignore[arg-type]
    assert loaded_question.attachments == (document,)
    assert loaded_question.details == {"summary": {"length": "short"}}
    assert loaded_answer.details == answer.details and loaded_answer.summarized


def test_a_version_2_history_gains_the_document_columns(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("INSERT INTO conversations (id, title, created_at, updated_at) "
               "VALUES (1, 'Old', 0, 0)")
    db.execute("INSERT INTO messages (conversation_id, role, content, created_at) "
               "VALUES (1, 'user', 'hello', 0)")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()

    store = ConversationStore(path)
    [message] = store.load(1).path()
    assert message.content == "hello" and message.attachments == () and message.details is None
    store.close()


class _ManualTimer:
    """A front-end's timer, fired by hand."""

    def __init__(self, callback) -> None:  # type: ignore[no-untyped-def]
        self.callback = callback
        self.armed: float | None = None

    def start(self, delay_s: float) -> None:
        self.armed = delay_s

    def stop(self) -> None:
        self.armed = None

    def fire(self) -> None:
        self.armed = None
        self.callback()


def test_a_stalled_answer_is_saved_when_its_interval_is_over(store: ConversationStore) -> None:
    """With a front-end's timer, text kept back is written although no more comes (a model
    that stalls after a piece); closed, nothing is written after the answer's end."""
    c = _chat(store, "Q")
    answer = store.add_message(c, Message("assistant", "", streaming=True,
                                          parent_id=c.path()[0].id))
    timers: list[_ManualTimer] = []
    writer = PartialWriter(store, interval_s=3600,
                           make_timer=lambda cb: timers.append(_ManualTimer(cb)) or timers[-1])
    answer.content = "Once"
    writer.changed(answer)
    assert store.load(c.id).path()[1].content == "" and timers[0].armed is not None
    timers[0].fire()
    assert store.load(c.id).path()[1].content == "Once"

    answer.content = "Once upon"
    writer.changed(answer)
    writer.close()
    assert timers[0].armed is None  # the end is saved whole by finish_message instead
    assert store.load(c.id).path()[1].content == "Once"


def test_search_snippets_are_plain_text_with_their_matches_marked(
        store: ConversationStore) -> None:
    _chat(store, "Explain the report", "## Overview\n\n**Part 1.** The *first* part, see "
          "[the notes](https://example.org/notes).\n\n| Part | Pages |\n|---|---|\n| one | 3 |")
    assert [h.marked() for h in store.search("part")] == [
        "Overview [Part] 1. The first [part], see the notes…"]
    assert [h.marked() for h in store.search("pages")] == [
        "…part, see the notes. Part · [Pages] one · 3"]
    # A match inside a link's target shows the target.
    assert [h.marked() for h in store.search("example")] == [
        "Overview Part 1. The first part, see the notes (https://[example].org…"]
    # A substring match (a word the index cannot find) is cut out of the Markdown too.
    _chat(store, "Why is **C++** so *hard*?")
    assert [h.marked() for h in store.search("C++")] == ["Why is [C++] so hard?"]
