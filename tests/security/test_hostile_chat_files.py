"""Items 5, 6, 10 and 13 of the hardening issue, for chat files: an import reads only a
regular file of bounded size, refuses JSON that is too deep or not JSON (NaN, Infinity) with one
line, cleans what it keeps (lone surrogates, values out of their settings' range, dates no
platform can show), and one odd date in the history never breaks a listing."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.core.chat import transfer
from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.times import EARLIEST, LATEST

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 60  # a FIFO made the import wait for ever; a refusal takes well under a second
MEMORY_LIMIT = 2 << 30  # /dev/zero made it read until memory ran out


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def lamplight(data_dir: Path, *args: str,
              tz: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    if tz is not None:
        env["TZ"] = tz
    return subprocess.run([sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=TIMEOUT_S, env=env,
                          preexec_fn=_limit_memory, check=False)


def _one_line_error(done: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("lamplight: error: ")
    return line


def _document(*conversations: dict[str, Any]) -> dict[str, Any]:
    return {"format": "lamplight-conversations", "version": 1,
            "conversations": list(conversations)}


def _chat(**fields: Any) -> dict[str, Any]:
    chat: dict[str, Any] = {"title": "Capitals", "messages": [
        {"id": 1, "parent": None, "role": "user", "content": "Capital of France?"},
        {"id": 2, "parent": 1, "role": "assistant", "content": "Paris."}]}
    chat.update(fields)
    return chat


def test_an_import_reads_only_regular_files_of_bounded_size(tmp_path: Path) -> None:
    fifo = tmp_path / "chats.json"
    os.mkfifo(fifo)
    assert "is not a regular file" in _one_line_error(lamplight(tmp_path, "chats", "import",
                                                                str(fifo)))
    assert "is not a regular file" in _one_line_error(lamplight(tmp_path, "chats", "import",
                                                                "/dev/zero"))
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:  # sparse: no disk space, and never read
        file.truncate(transfer.MAX_IMPORT_BYTES + 1)
    assert "can be read" in _one_line_error(lamplight(tmp_path, "chats", "import", str(huge)))
    assert lamplight(tmp_path, "chats", "list").stdout == ""


@pytest.mark.parametrize(("text", "expected"), [
    ('{"format": "lamplight-conversations", "conversations": ' + "[" * 100_000 + "]" * 100_000
     + "}", "nested more than 64 levels deep"),
    (json.dumps(_document(_chat(settings={"seed": 1}))).replace('"seed": 1', '"seed": Infinity'),
     "Infinity is not a JSON number"),
    (json.dumps(_document(_chat(settings={"top_k": 1}))).replace('"top_k": 1', '"top_k": 1e999'),
     "1e999 is too large for a number"),
    (json.dumps(_document(_chat())).replace('"Paris."', "NaN"), "NaN is not a JSON number"),
])
def test_json_that_is_too_deep_or_not_json_is_refused_with_one_line(
        tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "chats.json"
    path.write_text(text, encoding="utf-8")
    line = _one_line_error(lamplight(tmp_path, "chats", "import", str(path)))
    assert "chats.json is not JSON (" in line and expected in line
    assert lamplight(tmp_path, "chats", "list").stdout == ""


def test_what_an_import_keeps_is_clean(tmp_path: Path) -> None:
    """Lone surrogates become U+FFFD (SQLite refused them: a traceback), and settings out of
    the range the settings panel allows are dropped rather than sent to llama.cpp."""
    chat = _chat(title="Caf\\ud800", settings={"temperature": -5, "seed": 10**30, "top_k": 20,
                                                "max_tokens": 0})
    text = json.dumps(_document(chat)).replace("Caf\\\\ud800", "Caf\\ud800")
    text = text.replace('"Paris."', '"Par\\udfffis."')
    path = tmp_path / "chats.json"
    path.write_text(text, encoding="utf-8")
    done = lamplight(tmp_path, "chats", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported 1 Caf\ufffd\n"
    store = ConversationStore.open_in(tmp_path / "data")
    conversation = store.load(1)
    store.close()
    assert conversation.message(2).content == "Par\ufffdis."
    assert conversation.params is not None
    assert conversation.params.top_k == 20
    assert conversation.params.temperature == 0.7  # the default: -5 is out of range
    assert conversation.params.seed is None and conversation.params.max_tokens is None


@pytest.mark.parametrize(("when", "tz"), [("0001-01-01T00:00:00Z", "America/New_York"),
                                          ("9999-12-31T23:59:59Z", "Asia/Tokyo"),
                                          ("0001-01-01T00:00:00+14:00", "UTC")])
def test_a_chat_dated_outside_what_the_platform_shows_is_clamped(tmp_path: Path, when: str,
                                                                  tz: str) -> None:
    path = tmp_path / "chats.json"
    path.write_text(json.dumps(_document(_chat(created_at=when, updated_at=when),
                                         _chat(title="Ordinary"))), encoding="utf-8")
    assert lamplight(tmp_path, "chats", "import", str(path), tz=tz).returncode == 0
    for args in (("chats", "list"), ("chats", "list", "--json"),
                 ("chats", "export", "--all", "--format", "json"), ("chats", "export", "1")):
        done = lamplight(tmp_path, *args, tz=tz)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
    store = ConversationStore.open_in(tmp_path / "data")
    assert EARLIEST <= store.load(1).updated_at <= LATEST
    store.close()


def test_one_odd_date_already_in_the_history_breaks_no_listing(tmp_path: Path) -> None:
    """A history imported by an older version may hold such dates already: every command
    shows them at the edge of the range instead of failing for every chat."""
    (tmp_path / "data").mkdir()
    store = ConversationStore.open_in(tmp_path / "data")
    for title in ("Ancient", "Future", "Ordinary"):
        conversation = Conversation(title=title)
        store.add_message(conversation, Message("user", "Hello"))
    store.close()
    db = sqlite3.connect(tmp_path / "data" / "chats.db")
    with db:
        db.execute("UPDATE conversations SET created_at = -62135596800, updated_at = "
                   "-62135596800 WHERE title = 'Ancient'")
        db.execute("UPDATE conversations SET created_at = 253402300799, updated_at = "
                   "253402300799 WHERE title = 'Future'")
    db.close()
    for tz in ("America/New_York", "Asia/Tokyo"):
        for args in (("chats", "list"), ("chats", "list", "--json"),
                     ("chats", "export", "--all", "--format", "json"),
                     ("chats", "export", "1", "2", "3")):
            done = lamplight(tmp_path, *args, tz=tz)
            assert done.returncode == 0, done.stderr
            assert "Ancient" in done.stdout and "Future" in done.stdout


def test_presets_from_a_file_keep_only_values_in_their_settings_range(tmp_path: Path) -> None:
    """The presets file is outside input too: one validator per kind of value."""
    from app.core.chat.presets import PresetLibrary

    (tmp_path / "presets.json").write_text(json.dumps({"version": 1, "presets": [
        {"name": "Odd", "system_prompt": "Hi.", "params": {
            "temperature": -5, "seed": 10**30, "top_k": 20, "max_tokens": 0}}]}),
        encoding="utf-8")
    (preset,) = [p for p in PresetLibrary(tmp_path).all() if p.name == "Odd"]
    assert preset.params == {"top_k": 20}


@pytest.mark.qt
def test_the_sidebar_lists_chats_dated_outside_what_the_platform_shows(
        window: Any, paths: Any) -> None:
    """The window groups chats by day: a history holding year 1 or 9999 must still list."""
    from app.qt.viewmodels.conversation_list_model import day_group

    now = datetime(2026, 12, 2, 12, 0)
    assert day_group(-62135596800.0, now) == "January 1970"
    assert day_group(253402300799.0, now) == "Today"  # after now: a clock moved back
    store = ConversationStore.open_in(paths.data_dir)
    for when in (-62135596800.0, 253402300799.0):
        conversation = Conversation(title=f"at {when}", created_at=when, updated_at=when)
        conversation.add(Message("user", "Hello", created_at=when))
        store.create(conversation, touch=False)
    store.close()
    window.sidebar.refresh()
    titles = [window.sidebar.model.index(row, 0).data()
              for row in range(window.sidebar.model.rowCount())]
    assert "at -62135596800.0" in titles and "at 253402300799.0" in titles
