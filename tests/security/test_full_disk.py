"""Item 7 (and 5) of the hardening issue: on a full disk, reading the history works, writing
says the disk is full and where, an import saves all of its chats or none, and nothing prints
a traceback. The data folder is on a real full tmpfs (tests/fulldisk.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.chat.transfer import dumps
from tests.fulldisk import Done, full_disk_run

pytestmark = [pytest.mark.integration]

LOG_WARNING = "lamplight: warning: cannot write the log "


def _seed(tmp_path: Path, chats: int = 5) -> Path:
    """A data folder with `chats` saved chats, closed cleanly (no -wal or -shm left)."""
    seed = tmp_path / "seed"
    (seed / "data").mkdir(parents=True)
    store = ConversationStore.open_in(seed / "data")
    for number in range(chats):
        conversation = Conversation(title=f"lighthouse {number}")
        question = store.add_message(conversation,
                                     Message("user", f"Where is lighthouse {number}?"))
        store.add_message(conversation, Message("assistant", "On the cape.",
                                                parent_id=question.id))
    store.close()
    return seed


def _count(data_dir: Path) -> int:
    store = ConversationStore.open_in(data_dir / "data")
    try:
        assert store.integrity_check() == "ok"
        return len(store.list_conversations())
    finally:
        store.close()


def _quiet(done: Done) -> list[str]:
    """stderr without the one line saying the log cannot be written; no traceback anywhere."""
    assert "Traceback" not in done.stderr and "Logging error" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    return [line for line in lines if not line.startswith(LOG_WARNING)]


def test_reading_the_history_works_on_a_full_disk(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    results, after = full_disk_run(tmp_path, [
        ["chats", "list"], ["chats", "list", "--json"],
        ["chats", "export", "--all", "--format", "json"], ["chats", "export", "2"],
        ["chats", "search", "lighthouse"]], seed=seed)
    listing, as_json, export, markdown, search = results
    for done in results:
        assert done.returncode == 0, done.stderr
        assert _quiet(done) == []
    assert [line.split("\t")[1] for line in listing.stdout.splitlines()] == [
        f"lighthouse {n}" for n in (4, 3, 2, 1, 0)]
    assert len(json.loads(as_json.stdout)) == 5
    assert len(json.loads(export.stdout)["conversations"]) == 5
    assert markdown.stdout.startswith("# lighthouse 1")
    assert len(search.stdout.splitlines()) == 5
    assert _count(after) == 5


def test_writing_on_a_full_disk_says_the_disk_is_full_and_where(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    (done,), after = full_disk_run(tmp_path, [["chats", "rm", "2"]], seed=seed)
    assert done.returncode == 1
    (line,) = _quiet(done)
    assert line.startswith("lamplight: error: The chat history could not be saved: the disk "
                           "holding ")
    assert "full-disk/lamplight/data is full" in line
    assert _count(after) == 5


def test_an_import_on_a_full_disk_saves_all_of_its_chats_or_none(tmp_path: Path) -> None:
    """400 chats, with room for some of them: the import fails with one line and saves none,
    so importing the file again later adds each chat once."""
    seed = _seed(tmp_path, chats=1)
    export = tmp_path / "many.json"
    chats = []
    for number in range(400):
        conversation = Conversation(title=f"imported {number}")
        conversation.add(Message("user", f"question {number} " + "words " * 200))
        chats.append(conversation)
    export.write_text(dumps(chats), encoding="utf-8")
    (done, listing), after = full_disk_run(
        tmp_path, [["chats", "import", str(export)], ["chats", "list"]], seed=seed,
        leave_bytes=400 * 1024)
    assert done.returncode == 1
    assert done.stdout == ""  # no chat reported as imported
    (line,) = _quiet(done)
    assert "the disk holding" in line and "is full" in line
    assert listing.stdout.count("\n") == 1
    assert _count(after) == 1


@pytest.mark.model
def test_a_chat_on_a_full_disk_answers_and_says_it_is_not_saved(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    (new, continued), after = full_disk_run(tmp_path, [
        ["chat", "--seed", "1", "--max-tokens", "8", "Hello"],
        ["chat", "--continue", "2", "--seed", "1", "--max-tokens", "8", "And now?"]], seed=seed)
    for done in (new, continued):
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip()
        (line,) = _quiet(done)
        assert line.startswith("lamplight: warning: no longer saving this chat: The chat "
                               "history could not be saved: the disk holding ")
    assert _count(after) == 5
