"""Conversations kept in SQLite: durable while an answer streams, searchable, versioned.

One file, `chats.db` in the data dir, in WAL mode, so the window and `lamplight chat` can both
use it and a process killed mid-write leaves a database that opens. A streaming answer is
written as it grows (`PartialWriter`, at least once a second), so a crash loses at most the
last second of it. The schema carries a version (`PRAGMA user_version`) and is brought up to
date by the migrations below, in order, each in one transaction.

Deleting a conversation only marks it; `purge_deleted` removes marked ones for good (the window
does so at start-up), which is what makes Undo possible.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import shutil
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from app.core.chat.conversation import (
    INTERRUPTED,
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
from app.core.chat.snippets import MATCH_END, MATCH_START, plain_snippet
from app.core.text import CJK
from app.core.throttle import Throttle, TimerFactory
from app.files import PRIVATE_FILE_MODE, make_private
from app.i18n import _
from app.paths import AppPaths

log = logging.getLogger(__name__)

DB_NAME = "chats.db"
PARTIAL_WRITE_INTERVAL_S = 0.5
SPEED_WINDOW = 5000  # latest messages `answer_speeds` looks at

MIGRATIONS: Sequence[str] = (
    # 1: conversations and their message trees
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        title_source TEXT NOT NULL DEFAULT 'words',
        system_prompt TEXT NOT NULL DEFAULT '',
        model TEXT,
        model_path TEXT,
        preset TEXT,
        settings TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        deleted_at REAL
    );
    CREATE INDEX conversations_by_update ON conversations (deleted_at, updated_at);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL DEFAULT '',
        chosen INTEGER NOT NULL DEFAULT 1,
        complete INTEGER NOT NULL DEFAULT 1,
        model TEXT,
        stats TEXT,
        error TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
    CREATE INDEX messages_by_parent ON messages (parent_id);
    """,
    # 2: full-text search over every message, kept in step by triggers
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        content, content='messages', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
    END;
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    """,
    # 3: documents sent with a question, and what a part-by-part summary covered
    """
    ALTER TABLE messages ADD COLUMN attachments TEXT;
    ALTER TABLE messages ADD COLUMN details TEXT;
    """,
    # 4: where a chat came from: NULL the window or the terminal, 'api' the local server
    """
    ALTER TABLE conversations ADD COLUMN source TEXT;
    """,
    # 5: a reasoning model's thinking, kept apart from its answer (not in the search index)
    """
    ALTER TABLE messages ADD COLUMN thinking TEXT NOT NULL DEFAULT '';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The chat history cannot be used; the message says why, fit for the user."""


class NewerSchemaError(StoreError):
    """The file was written by a newer Lamplight; it is left as it is."""


class StoreUnavailableError(StoreError):
    """The history cannot be used now (a full disk, an I/O error, no permission, locked), but
    is not damaged: it is left as it is."""


class ConversationMovedError(StoreError):
    """Another process added turns to the chat since it was read: read it again."""

    def __init__(self, conversation_id: int | None) -> None:
        super().__init__(_("Chat {id} was continued elsewhere meanwhile.").format(
            id=conversation_id))
        self.conversation_id = conversation_id


class ConversationNotFoundError(StoreError):
    def __init__(self, conversation_id: int) -> None:
        super().__init__(_("There is no chat with id {id}.").format(id=conversation_id))
        self.conversation_id = conversation_id


_R = TypeVar("_R")
_P = ParamSpec("_P")


def _reported(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """SQLite's own errors (a full disk, a file locked too long) as a `StoreError` that says
    what failed, and where, in words the user can act on."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            store = args[0]
            path = store.path if isinstance(store, ConversationStore) else Path(DB_NAME)
            raise StoreError(_unavailable(path, exc)) from exc

    return wrapper


def _unavailable(path: Path, exc: sqlite3.Error) -> str:
    """Why the history at `path` could not be used, and what to do, in one line."""
    detail = str(exc)
    if "full" in detail or (_error_name(exc).startswith("SQLITE_IOERR") and _disk_full(path)):
        return _("The chat history could not be saved: the disk holding {folder} is full. "
                 "Free some space and try again.").format(folder=path.parent)
    if "locked" in detail or "busy" in detail:
        return _("The chat history {path} is in use by another Lamplight that is writing to "
                 "it; try again.").format(path=path)
    if "readonly" in detail.replace(" ", "") or _error_name(exc) in ("SQLITE_PERM",
                                                                     "SQLITE_CANTOPEN"):
        return _("The chat history {path} cannot be opened for writing ({reason}).").format(
            path=path, reason=detail)
    return _("The chat history {path} could not be used ({reason}).").format(path=path,
                                                                             reason=detail)


def _error_name(exc: sqlite3.Error) -> str:
    return str(getattr(exc, "sqlite_errorname", ""))  # Python 3.11 and later


def _is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is not a database or is corrupt (not merely unusable
    now): only then is it moved aside."""
    if _error_name(exc):
        return _error_name(exc).startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT"))
    return isinstance(exc, sqlite3.DatabaseError) and any(
        words in str(exc) for words in ("not a database", "malformed", "corrupt"))


def _disk_full(path: Path, reserve: int = 1024 * 1024) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < reserve
    except OSError:
        return False


def _create_private(path: Path) -> None:
    """Create the history file readable by the user alone (SQLite gives its -wal and -shm
    files the same mode), and narrow one an older version left open to others."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
    make_private([path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm"))])


@dataclass(frozen=True)
class ConversationSummary:
    """A line of the chat list."""

    id: int
    title: str
    created_at: float
    updated_at: float
    model: str | None
    message_count: int
    source: str | None = None  # 'api': asked through the local server


@dataclass(frozen=True)
class SearchHit:
    """A message that matches a search; `snippet` is a few of its words as plain text (its
    Markdown markup taken out), the matches between `MATCH_START` and `MATCH_END`."""

    conversation_id: int
    message_id: int
    title: str
    role: str
    snippet: str
    created_at: float

    def marked(self, start: str = "[", end: str = "]") -> str:
        """The snippet with its matches between `start` and `end`."""
        return self.snippet.replace(MATCH_START, start).replace(MATCH_END, end)


class ConversationStore:
    """The chat history of one installation. Use from one thread; one per process.

    Methods that change a `Conversation` change the object and the database together.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # Set when the history could only be opened without SQLite's shared-memory file (a
        # full disk): it reads, but holds the file for this process alone until closed.
        self.exclusive = False
        if str(path) != ":memory:":
            _create_private(path)
        try:
            self._connect(exclusive=False)
        except sqlite3.Error as first:
            with contextlib.suppress(Exception):
                self._db.close()
            if _is_damage(first):
                raise StoreError(_("Cannot read the chat history {path}: {reason}").format(
                    path=path, reason=first)) from first
            # A disk that is full cannot take the 32 KB of the WAL index, and opening fails
            # although reading would not need a byte. In exclusive locking mode SQLite keeps
            # that index in memory: the chats can still be read (and written, once there is
            # space), by this process alone.
            try:
                self._connect(exclusive=True)
            except sqlite3.Error:
                with contextlib.suppress(Exception):
                    self._db.close()
                raise StoreUnavailableError(_unavailable(path, first)) from first
            self.exclusive = True
            log.warning("chat history %s opened in exclusive mode after: %s", path, first)
        except StoreError:
            with contextlib.suppress(Exception):
                self._db.close()
            raise

    def _connect(self, exclusive: bool) -> None:
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self._db.row_factory = sqlite3.Row
        if exclusive:  # before the first access to the WAL: no shared memory then
            self._db.execute("PRAGMA locking_mode = EXCLUSIVE")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        # With WAL, NORMAL survives a killed process; only a power cut may lose the last
        # commits, never the database.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    @classmethod
    def open_in(cls, data_dir: Path) -> ConversationStore:
        return cls(data_dir / DB_NAME)

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(_(
                "The chat history {path} was written by a newer Lamplight (schema {version}, "
                "this one knows {known}). Update Lamplight to open it.").format(
                    path=self.path, version=version, known=SCHEMA_VERSION))
        for number in range(version, SCHEMA_VERSION):
            log.info("chat history: migrating schema %d to %d", number, number + 1)
            with self._transaction() as db:
                for statement in _statements(MIGRATIONS[number]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    @_reported
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @_reported
    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # -- conversations ---------------------------------------------------------------------

    @_reported
    def list_conversations(self) -> list[ConversationSummary]:
        """Every chat not deleted, the most recently changed first."""
        rows = self._db.execute(
            "SELECT c.id, c.title, c.created_at, c.updated_at, c.model, c.source, "
            "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
            "FROM conversations c WHERE c.deleted_at IS NULL "
            "ORDER BY c.updated_at DESC, c.id DESC").fetchall()
        return [ConversationSummary(r["id"], r["title"], r["created_at"], r["updated_at"],
                                    r["model"], r["n"], r["source"]) for r in rows]

    @_reported
    def create(self, conversation: Conversation, touch: bool = True) -> int:
        """Save a new conversation (and any messages it already has); sets its id.

        It counts as changed now, unless `touch` is False: an imported chat keeps the time it
        was last changed where it came from.
        """
        if touch:
            conversation.updated_at = time.time()
        return self.create_all([conversation])[0]

    @_reported
    def create_all(self, conversations: Sequence[Conversation]) -> list[int]:
        """Save new conversations, keeping their times, in one transaction: all of them or,
        when anything fails (a full disk), none, so that doing it again duplicates nothing.
        Sets and returns their ids."""
        try:
            self._insert_all(conversations)
        except BaseException:
            for conversation in conversations:  # none of them was saved
                conversation.id = None
            raise
        return [c.id for c in conversations if c.id is not None]

    def _insert_all(self, conversations: Sequence[Conversation]) -> None:
        with self._transaction() as db:
            for conversation in conversations:
                cursor = db.execute(
                    "INSERT INTO conversations (title, system_prompt, model, model_path, "
                    "preset, settings, created_at, updated_at, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conversation.title, conversation.system_prompt, conversation.model,
                     conversation.model_path, conversation.preset,
                     json.dumps(settings_to_json(conversation)), conversation.created_at,
                     conversation.updated_at, conversation.source))
                assert cursor.lastrowid is not None
                conversation.id = cursor.lastrowid
                self._insert_tree(db, conversation)

    def _insert_tree(self, db: sqlite3.Connection, conversation: Conversation) -> None:
        """Insert the messages of a conversation not saved before, renumbering them."""
        messages = list(conversation.all_messages())
        chosen = conversation.chosen_ids()
        new_ids: dict[int | None, int | None] = {None: None}
        for message in messages:
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, chosen, "
                "complete, model, stats, error, created_at, attachments, details, thinking) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation.id, new_ids[message.parent_id], message.role, message.content,
                 int(message.id in chosen), int(not message.streaming), message.model_name,
                 _json_or_none(stats_to_json(message.stats)), message.error,
                 message.created_at, *_documents_json(message), message.thinking))
            new_ids[message.id] = cursor.lastrowid
        chosen_now = {new_ids[i] for i in chosen}
        for message in messages:  # the tree again, under the ids the database gave
            message.id = new_ids[message.id]
            message.parent_id = new_ids[message.parent_id]
        conversation.rebuild(messages, chosen_now)

    @_reported
    def load(self, conversation_id: int) -> Conversation:
        row = self._db.execute(
            "SELECT * FROM conversations WHERE id = ? AND deleted_at IS NULL",
            (conversation_id,)).fetchone()
        if row is None:
            raise ConversationNotFoundError(conversation_id)
        settings = _loads(row["settings"])
        conversation = Conversation(
            id=row["id"], title=row["title"], system_prompt=row["system_prompt"],
            model=row["model"], model_path=row["model_path"], preset=row["preset"],
            params=params_from_json(settings), overflow=overflow_from_json(settings),
            created_at=row["created_at"], updated_at=row["updated_at"], source=row["source"])
        messages: list[Message] = []
        chosen: set[int | None] = set()
        for r in self._db.execute(
                "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id",
                (conversation_id,)):
            complete = bool(r["complete"])
            messages.append(Message(
                role=r["role"], content=r["content"], stats=stats_from_json(_loads(r["stats"])),
                model_name=r["model"], id=r["id"], parent_id=r["parent_id"],
                created_at=r["created_at"],
                attachments=attachments_from_json(_loads(r["attachments"])),
                details=_object_or_none(_loads(r["details"])), thinking=r["thinking"],
                # Unfinished in the file means the process writing it stopped (or is another
                # process still writing): shown as the partial answer it is.
                error=r["error"] if complete else (r["error"] or INTERRUPTED)))
            if r["chosen"]:
                chosen.add(r["id"])
        conversation.rebuild(messages, chosen)
        return conversation

    @_reported
    def data_version(self) -> int:
        """A number that changes when another connection (another process: `lamplight chat`,
        a second window) commits to the history; this connection's own writes leave it."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @_reported
    def exists(self, conversation_id: int) -> bool:
        return self._db.execute(
            "SELECT 1 FROM conversations WHERE id = ? AND deleted_at IS NULL",
            (conversation_id,)).fetchone() is not None

    @_reported
    def save_settings(self, conversation: Conversation) -> None:
        """Write the title, system prompt, model, preset and settings of a saved chat."""
        if conversation.id is None:
            return
        with self._transaction() as db:
            db.execute(
                "UPDATE conversations SET title = ?, system_prompt = ?, model = ?, "
                "model_path = ?, preset = ?, settings = ? WHERE id = ?",
                (conversation.title, conversation.system_prompt, conversation.model,
                 conversation.model_path, conversation.preset,
                 json.dumps(settings_to_json(conversation)), conversation.id))

    @_reported
    def rename(self, conversation_id: int, title: str, source: str = "user") -> None:
        """Set the title. A title the user gave is never replaced by a generated one."""
        self._db.execute("UPDATE conversations SET title = ?, title_source = ? WHERE id = ?",
                         (title, source, conversation_id))

    @_reported
    def title_source(self, conversation_id: int) -> str | None:
        row = self._db.execute("SELECT title_source FROM conversations WHERE id = ?",
                               (conversation_id,)).fetchone()
        return str(row[0]) if row else None

    @_reported
    def delete(self, conversation_id: int) -> None:
        """Mark the chat deleted: gone from lists and search until `undelete` or a purge."""
        self._db.execute("UPDATE conversations SET deleted_at = ? WHERE id = ?",
                         (time.time(), conversation_id))

    @_reported
    def undelete(self, conversation_id: int) -> None:
        self._db.execute("UPDATE conversations SET deleted_at = NULL WHERE id = ?",
                         (conversation_id,))

    @_reported
    def ids(self) -> list[int]:
        """Every chat's id, also of those marked deleted and not purged yet."""
        return [int(r[0]) for r in self._db.execute("SELECT id FROM conversations")]

    @_reported
    def answer_speeds(self, limit: int = 200) -> list[tuple[str, str, float, int]]:
        """How fast the latest answers were written, newest first, as (model file, model name,
        tokens a second, tokens): complete answers with stats, by the model their chat last
        used (whose file the chat keeps). Only the last `SPEED_WINDOW` messages are looked at,
        so a long history without stats is not read to its start."""
        rows = self._db.execute(
            "SELECT c.model_path, m.model, m.stats FROM messages m "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.id > (SELECT COALESCE(MAX(id), 0) FROM messages) - ? "
            "AND m.role = 'assistant' AND m.complete = 1 AND m.stats IS NOT NULL "
            "AND c.model_path IS NOT NULL AND m.model = c.model AND c.deleted_at IS NULL "
            "ORDER BY m.id DESC LIMIT ?", (SPEED_WINDOW, limit))
        found = []
        for path, model, stats_json in rows:
            stats = stats_from_json(_loads(stats_json))
            if stats is not None and stats.completion_tokens:
                found.append((str(path), str(model), stats.tokens_per_s, stats.completion_tokens))
        return found

    @_reported
    def purge_deleted(self, ids: Sequence[int] | None = None) -> int:
        """Remove chats marked deleted (all of them, or those of `ids`) for good; returns how
        many."""
        with self._transaction() as db:
            if ids is None:
                return db.execute(
                    "DELETE FROM conversations WHERE deleted_at IS NOT NULL").rowcount
            return sum(db.execute("DELETE FROM conversations WHERE deleted_at IS NOT NULL AND "
                                  "id = ?", (i,)).rowcount for i in ids)

    # -- messages --------------------------------------------------------------------------

    @_reported
    def add_message(self, conversation: Conversation, message: Message, *,
                    follows_latest: bool = False) -> Message:
        """Add `message` (under its `parent_id`) as the chosen version, to the object and the
        file. A conversation not saved yet is saved first.

        `follows_latest`: the message is the next turn, meant to follow the last message the
        chat shows. If another process (a second `lamplight chat --continue`, the window)
        added turns since `conversation` was read, its `parent_id` is no longer that message:
        nothing is added and `ConversationMovedError` is raised, so that the caller reads the
        chat again instead of forking it silently.
        """
        if conversation.id is None:
            self.create(conversation)
        now = time.time()
        with self._transaction() as db:
            if follows_latest:
                latest = self._latest_shown(db, conversation.id)
                if latest != message.parent_id:
                    raise ConversationMovedError(conversation.id)
            db.execute("UPDATE messages SET chosen = 0 WHERE conversation_id = ? AND "
                       "parent_id IS ?", (conversation.id, message.parent_id))
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, chosen, "
                "complete, model, stats, error, created_at, attachments, details, thinking) "
                "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation.id, message.parent_id, message.role, message.content,
                 int(not message.streaming), message.model_name,
                 _json_or_none(stats_to_json(message.stats)), message.error,
                 message.created_at, *_documents_json(message), message.thinking))
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                       (now, conversation.id))
        message.id = cursor.lastrowid
        conversation.updated_at = now
        return conversation.add(message)

    @staticmethod
    def _latest_shown(db: sqlite3.Connection, conversation_id: int | None) -> int | None:
        """The id of the last message on the chat's chosen path, as the file has it now."""
        row = db.execute(
            "WITH RECURSIVE shown(id, depth) AS ("
            " SELECT id, 0 FROM messages WHERE conversation_id = ? AND parent_id IS NULL "
            " AND chosen = 1"
            " UNION ALL SELECT m.id, s.depth + 1 FROM messages m JOIN shown s "
            " ON m.parent_id = s.id WHERE m.chosen = 1) "
            "SELECT id FROM shown ORDER BY depth DESC, id DESC LIMIT 1",
            (conversation_id,)).fetchone()
        return int(row[0]) if row is not None else None

    @_reported
    def write_partial(self, message: Message) -> None:
        """Save the text a streaming answer has so far."""
        self._db.execute("UPDATE messages SET content = ?, thinking = ? WHERE id = ?",
                         (message.content, message.thinking, message.id))

    @_reported
    def reopen_message(self, message: Message) -> None:
        """An answer taken up again (a stopped summary continued): incomplete until it ends,
        so that a crash meanwhile shows it as cut off, as a new answer would."""
        self._db.execute("UPDATE messages SET complete = 0, error = NULL, stats = NULL "
                         "WHERE id = ?", (message.id,))

    @_reported
    def finish_message(self, conversation: Conversation, message: Message) -> None:
        """Save an answer that is complete, stopped or failed, with its stats or error."""
        now = time.time()
        with self._transaction() as db:
            db.execute("UPDATE messages SET content = ?, complete = 1, stats = ?, error = ?, "
                       "details = ?, thinking = ? WHERE id = ?",
                       (message.content, _json_or_none(stats_to_json(message.stats)),
                        message.error, _json_or_none(message.details), message.thinking,
                        message.id))
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                       (now, conversation.id))
        conversation.updated_at = now

    @_reported
    def choose(self, conversation: Conversation, message_id: int) -> None:
        """Show this version of a message (and, below it, the versions chosen there)."""
        conversation.choose(message_id)
        parent_id = conversation.message(message_id).parent_id
        self._db.execute("UPDATE messages SET chosen = (id = ?) WHERE conversation_id = ? AND "
                         "parent_id IS ?", (message_id, conversation.id, parent_id))

    @_reported
    def delete_message(self, conversation: Conversation, message_id: int) -> list[int]:
        """Delete a message and everything below it; returns the ids removed."""
        parent_id = conversation.message(message_id).parent_id
        removed = conversation.remove(message_id)
        replacement = conversation.chosen_child(parent_id)
        with self._transaction() as db:
            db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            if replacement is not None:
                db.execute("UPDATE messages SET chosen = (id = ?) WHERE conversation_id = ? "
                           "AND parent_id IS ?", (replacement.id, conversation.id, parent_id))
        return removed

    # -- search ----------------------------------------------------------------------------

    @_reported
    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Messages containing every word of `text` (the last one as a prefix), best first.

        The full-text index splits text into words of letters and digits, so it cannot find
        a word of a script written without spaces (Chinese, Japanese), an emoji or a word with
        symbols in it ("C++"): such words are matched as plain substrings instead, beside the
        index's words when the query has both ("Python 编程").
        """
        words = text.split()[:_MAX_QUERY_WORDS]
        if not words:
            return []
        indexed = [w for w in words if _indexable(w)]
        literal = [w for w in words if not _indexable(w)]
        likes = "".join(" AND m.content LIKE ? ESCAPE '\\'" for _word in literal)
        patterns = ["%" + re.sub(r"([%_\\])", r"\\\1", w) + "%" for w in literal]
        if not indexed:
            return self._search_substring(literal, likes, patterns, limit)
        query = " ".join(f'"{w.replace(chr(34), chr(34) * 2)}"' for w in indexed)
        if indexed[-1] == words[-1]:
            query += "*"  # the word being typed
        rows = self._db.execute(
            "SELECT m.conversation_id, m.id, c.title, m.role, m.created_at, "
            "snippet(messages_fts, 0, char(2), char(3), '…', 12) AS snippet "
            "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
            "JOIN conversations c ON c.id = m.conversation_id "
            f"WHERE messages_fts MATCH ? AND c.deleted_at IS NULL{likes} "
            "ORDER BY rank LIMIT ?", (query, *patterns, limit)).fetchall()
        return [SearchHit(r[0], r[1], r[2], r[3], plain_snippet(r[5]), r[4]) for r in rows]

    def _search_substring(self, literal: list[str], likes: str, patterns: list[str],
                          limit: int) -> list[SearchHit]:
        rows = self._db.execute(
            "SELECT m.conversation_id, m.id, c.title, m.role, m.created_at, m.content "
            "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            f"WHERE c.deleted_at IS NULL{likes} "
            "ORDER BY m.created_at DESC LIMIT ?", (*patterns, limit)).fetchall()
        return [SearchHit(r[0], r[1], r[2], r[3],
                          plain_snippet(_substring_snippet(r[5], literal[0])), r[4])
                for r in rows]


class PartialWriter:
    """Saves a streaming answer as it grows: at most every `interval_s`. The first waits an
    interval too: the answer's row was saved when it started.

    Given a `make_timer` (a front-end with an event loop), text kept back is saved when its
    interval is over even if no more comes: at least once a second while the model stalls.
    Without one, it goes with the next piece, or with the answer's end.
    """

    def __init__(self, store: ConversationStore,
                 interval_s: float = PARTIAL_WRITE_INTERVAL_S, *,
                 make_timer: TimerFactory | None = None) -> None:
        self._store = store
        self._message: Message | None = None
        timer = make_timer(self._timer_fired) if make_timer is not None else None
        self._throttle = Throttle(self._write, interval_s, first_at_once=False, timer=timer)

    def changed(self, message: Message) -> None:
        self._message = message
        self._throttle()

    def close(self) -> None:
        """The answer has ended and is saved whole: nothing kept is written after that."""
        self._throttle.cancel()

    def _timer_fired(self) -> None:
        self._throttle.flush()

    def _write(self) -> None:
        assert self._message is not None
        try:
            self._store.write_partial(self._message)
        except StoreError as exc:  # the answer goes on; saving it at the end says so
            log.warning("cannot save the answer so far: %s", exc)


_MAX_QUERY_WORDS = 32  # each word is a condition; a pasted page is not a search


def _indexable(word: str) -> bool:
    """Whether the full-text index can find `word`: it has letters or digits, none of a CJK
    script (whose words the index does not tell apart), and no symbols (emoji, "+", "$") that
    the index drops."""
    if CJK.search(word) or not any(char.isalnum() for char in word):
        return False
    return not any(unicodedata.category(char).startswith("S") for char in word)


def _substring_snippet(content: str, text: str, width: int = 40) -> str:
    at = content.find(text)
    if at < 0:
        return content[: 2 * width]
    start, end = max(0, at - width), at + len(text) + width
    return ("…" if start else "") + content[start:at] + MATCH_START + text + MATCH_END + \
        content[at + len(text):end] + ("…" if end < len(content) else "")


def _statements(script: str) -> list[str]:
    """Split a migration into statements; `sqlite3.complete_statement` keeps triggers whole."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def _json_or_none(value: object) -> str | None:
    return json.dumps(value) if value is not None else None


def _documents_json(message: Message) -> tuple[str | None, str | None]:
    """The attachments and details columns of a message."""
    return (_json_or_none(attachments_to_json(message.attachments)),
            _json_or_none(message.details))


def _object_or_none(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _loads(text: str | None) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def open_store(paths: AppPaths) -> tuple[ConversationStore, str | None]:
    """The chat history, and a message for the user when it could not be used as it was.

    A file SQLite says is damaged is moved aside (kept, never deleted) and a new one started; a
    file from a newer version, or one that cannot be used now (a full disk, no permission), is
    left alone and chats are kept in memory for this session. Chats deleted in an earlier
    session are purged by the caller (`ChatLibrary.purge`, which removes their states too).
    """
    path = paths.data_dir / DB_NAME
    try:
        store = ConversationStore(path)
    except (NewerSchemaError, StoreUnavailableError) as exc:
        return ConversationStore(Path(":memory:")), _(
            "{problem} Chats of this session will not be saved.").format(problem=exc)
    except StoreError as exc:
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{path}{suffix}")
            if part.exists():
                part.replace(Path(f"{aside}{suffix}"))
        log.warning("chat history %s unreadable (%s); moved to %s", path, exc, aside)
        return ConversationStore(path), _(
            "The chat history could not be read, so a new one was started. The old file was "
            "kept as {path}.").format(path=aside)
    if store.exclusive:
        return store, _("The disk holding {folder} is full: your chats can be read, but new "
                        "ones cannot be saved until there is space.").format(folder=path.parent)
    return store, None
