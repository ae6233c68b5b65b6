"""Saved chats from the terminal: `lamplight chat` saves as it goes, `lamplight chats` manages.

Chats are made by the real program in a subprocess, on the real model; `chats` commands that need
no model run in this process, through `app.cli.main`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.chat.conversation import INTERRUPTED
from app.core.chat.store import ConversationStore

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 300
HANG_GUARD_S = 120  # only against a hang: the answer normally starts within seconds
QUESTION = "What is the capital of France?"
NO_CHATS = "No saved chats yet (the window and 'lamplight chat' save each chat).\n"


def lamplight(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args], input=stdin,
        capture_output=True, text=True, env=_environment(), timeout=TIMEOUT_S, check=False)


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}


def chat(data_dir: Path, *args: str) -> str:
    """One saved chat turn with the built-in model; returns the answer."""
    done = lamplight(data_dir, "chat", "--model", "builtin", "--seed", "1", *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.strip()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """`lamplight ...` in this process: (exit status, stdout, stderr)."""

    def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return status, out, err

    yield run
    root = logging.getLogger()  # main() set up logging to a file in a temporary folder
    for handler in list(root.handlers):
        if getattr(handler, "_lamplight", False):
            root.removeHandler(handler)
            handler.close()


def _one_line_error(result: tuple[int, str, str]) -> str:
    status, out, err = result
    assert status == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lamplight: error: ")
    return lines[0]


def _without_export_time(text: str) -> dict[str, Any]:
    document = json.loads(text)
    assert isinstance(document.pop("exported_at"), str)
    return dict(document)


@pytest.mark.model
def test_a_chat_is_saved_listed_and_exported_as_markdown(tmp_path: Path, cli: Any) -> None:
    answer = chat(tmp_path, "--max-tokens", "20", QUESTION)
    assert answer

    status, out, _ = cli(tmp_path, "chats", "list")
    assert status == 0
    (line,) = out.splitlines()
    assert re.fullmatch(rf"1\t{re.escape(QUESTION)}\t\d{{4}}-\d\d-\d\d \d\d:\d\d", line)

    status, out, _ = cli(tmp_path, "chats", "list", "--json")
    assert status == 0
    (item,) = json.loads(out)
    assert (item["id"], item["title"], item["messages"]) == (1, QUESTION, 2)
    assert item["model"] == "SmolLM2 135M Instruct"

    status, markdown, _ = cli(tmp_path, "chats", "export", "1")
    assert status == 0
    assert markdown.startswith(f"# {QUESTION}\n")
    assert f"### You\n\n{QUESTION}\n" in markdown
    assert f"### SmolLM2 135M Instruct\n\n{answer}" in markdown

    target = tmp_path / "chat.md"
    assert cli(tmp_path, "chats", "export", "1", "--format", "md", "-o", str(target))[:2] == \
        (0, "")
    assert target.read_text(encoding="utf-8") == markdown


@pytest.mark.model
def test_a_chat_with_no_save_is_not_kept(tmp_path: Path, cli: Any) -> None:
    assert chat(tmp_path, "--no-save", "--max-tokens", "8", QUESTION)
    assert cli(tmp_path, "chats", "list") == (0, "", NO_CHATS)
    assert cli(tmp_path, "chats", "list", "--json")[:2] == (0, "[]\n")


@pytest.mark.model
def test_continue_adds_turns_to_the_same_chat_with_its_history(tmp_path: Path,
                                                                cli: Any) -> None:
    first = lamplight(tmp_path, "chat", "--seed", "1", "--max-tokens", "16", "--stats",
                      "--system", "Answer in one sentence.", "My name is Ada.")
    assert first.returncode == 0, first.stderr
    second = lamplight(tmp_path, "chat", "--continue", "1", "--seed", "1", "--max-tokens", "16",
                       "--stats", "What is my name?")
    assert second.returncode == 0, second.stderr
    stats = [json.loads(done.stderr) for done in (first, second)]
    # The second prompt carried the first exchange (and the system prompt).
    assert stats[1]["prompt_tokens"] > stats[0]["prompt_tokens"] + \
        stats[0]["completion_tokens"]

    status, out, _ = cli(tmp_path, "chats", "list", "--json")
    assert status == 0
    (item,) = json.loads(out)
    assert (item["id"], item["title"], item["messages"]) == (1, "My name is Ada.", 4)
    store = ConversationStore.open_in(tmp_path / "data")
    try:
        conversation = store.load(1)
    finally:
        store.close()
    assert conversation.system_prompt == "Answer in one sentence."
    path = conversation.path()
    assert [m.role for m in path] == ["user", "assistant", "user", "assistant"]
    assert [path[0].content, path[2].content] == ["My name is Ada.", "What is my name?"]
    assert path[3].content == second.stdout.strip()
    assert all(m.error is None and m.stats is not None for m in path[1::2])


@pytest.mark.model
def test_json_export_imports_into_another_data_dir_unchanged(tmp_path: Path,
                                                              cli: Any) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    chat(first, "--max-tokens", "12", "--system", "Be brief.", QUESTION)
    chat(first, "--max-tokens", "12", "--continue", "1", "And of Italy?")
    chat(first, "--max-tokens", "12", "--temperature", "0.5", "Name a colour.")

    exported = tmp_path / "chats.json"
    assert cli(first, "chats", "export", "--all", "--format", "json", "-o", str(exported)) == \
        (0, "", "")
    status, out, err = cli(second, "chats", "import", str(exported))
    assert (status, err) == (0, "")
    assert out.splitlines() == ["imported 1 Name a colour.", f"imported 2 {QUESTION}"]

    status, again, _ = cli(second, "chats", "export", "--all", "--format", "json")
    assert status == 0
    assert _without_export_time(again) == \
        _without_export_time(exported.read_text(encoding="utf-8"))
    document = json.loads(again)
    assert [len(c["messages"]) for c in document["conversations"]] == [2, 4]
    assert document["conversations"][0]["settings"]["temperature"] == 0.5
    assert document["conversations"][1]["system_prompt"] == "Be brief."


@pytest.mark.model
def test_search_finds_a_word_of_the_question(tmp_path: Path, cli: Any) -> None:
    chat(tmp_path, "--max-tokens", "12", QUESTION)
    status, out, _ = cli(tmp_path, "chats", "search", "capital")
    assert status == 0
    lines = out.splitlines()
    assert f"1\t{QUESTION}\tWhat is the [capital] of France?" in lines
    assert all(line.count("\t") == 2 for line in lines)
    assert cli(tmp_path, "chats", "search", "lighthousekeeper") == \
        (1, "", "No saved chat matches 'lighthousekeeper'.\n")  # as grep


@pytest.mark.model
def test_rm_deletes_a_chat(tmp_path: Path, cli: Any) -> None:
    chat(tmp_path, "--max-tokens", "8", QUESTION)
    chat(tmp_path, "--max-tokens", "8", "Name a colour.")
    assert cli(tmp_path, "chats", "rm", "1") == (0, "", "")
    status, out, _ = cli(tmp_path, "chats", "list")
    assert status == 0
    assert [line.split("\t")[:2] for line in out.splitlines()] == [["2", "Name a colour."]]
    assert cli(tmp_path, "chats", "search", "capital")[0] == 1
    assert "no chat with id 1" in _one_line_error(cli(tmp_path, "chats", "export", "1"))


def test_a_search_without_a_match_says_so_and_exits_1_as_grep(tmp_path: Path,
                                                            cli: Any) -> None:
    """It printed nothing at all: an empty search and a broken one looked the same."""
    export = tmp_path / "one.json"
    export.write_text(json.dumps({"format": "lamplight-conversations", "version": 1,
                                  "conversations": [{
                                      "title": "Lighthouses", "created_at": "2026-01-01T00:00:00Z",
                                      "system_prompt": "", "settings": {},
                                      "messages": [{"id": 1, "parent": None, "role": "user",
                                                    "content": "Who keeps the lighthouse?"}]}]}),
                      encoding="utf-8")
    assert cli(tmp_path, "chats", "import", str(export))[0] == 0
    status, out, _ = cli(tmp_path, "chats", "search", "lighthouse")
    assert (status, out.split("\t")[:2]) == (0, ["1", "Lighthouses"])
    assert cli(tmp_path, "chats", "search", "zeppelin", "\x1b[2J") == \
        (1, "", "No saved chat matches 'zeppelin \\x1b[2J'.\n")


def test_an_empty_history_lists_nothing_and_says_so_on_stderr(tmp_path: Path, cli: Any) -> None:
    """Not a failure: exit 0 and nothing on stdout, as `ls` of an empty folder."""
    assert cli(tmp_path, "chats", "list") == (0, "", NO_CHATS)
    assert cli(tmp_path, "chats", "list", "--json") == (0, "[]\n", "")


def test_unknown_ids_and_bad_files_exit_2_with_one_line(tmp_path: Path, cli: Any) -> None:
    for args in (("chats", "export", "7"), ("chats", "rm", "7"),
                 ("chats", "export", "7", "--format", "json")):
        assert "There is no chat with id 7." in _one_line_error(cli(tmp_path, *args))
    _one_line_error(cli(tmp_path, "chats", "export", "1", "--all"))
    _one_line_error(cli(tmp_path, "chats", "export"))
    _one_line_error(cli(tmp_path, "chats", "rm", "one"))

    notes = tmp_path / "notes.json"
    notes.write_text("shopping list\n", encoding="utf-8")
    assert "notes.json is not JSON" in _one_line_error(cli(tmp_path, "chats", "import",
                                                           str(notes)))
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"format": "lamplight-conversations", "version": 9,
                                 "conversations": []}), encoding="utf-8")
    assert "newer Lamplight" in _one_line_error(cli(tmp_path, "chats", "import", str(newer)))
    assert "cannot read" in _one_line_error(cli(tmp_path, "chats", "import",
                                                str(tmp_path / "none.json")))
    assert cli(tmp_path, "chats", "list") == (0, "", NO_CHATS)  # nothing was imported


@pytest.mark.model
def test_a_chat_goes_on_unsaved_when_the_history_cannot_be_opened(tmp_path: Path,
                                                                   cli: Any) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "chats.db").write_bytes(b"not a database, " * 512)
    done = lamplight(tmp_path, "chat", "--seed", "1", "--max-tokens", "8", QUESTION)
    assert done.returncode == 0
    assert done.stdout.strip()
    (line,) = done.stderr.splitlines()
    assert line.startswith("lamplight: warning: not saving this chat: Cannot read the chat "
                           "history")
    status, out, err = cli(tmp_path, "chats", "list")
    assert (status, out) == (1, "")
    assert err.startswith("lamplight: error: Cannot read the chat history")


def test_continuing_an_unknown_chat_exits_2_before_loading_a_model(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "chat", "--continue", "7", "hi")
    assert done.returncode == 2
    assert done.stderr.strip() == "lamplight: error: There is no chat with id 7."


@pytest.mark.model
def test_a_chat_killed_mid_answer_leaves_its_partial_answer_on_disk(tmp_path: Path,
                                                                     cli: Any) -> None:
    database = tmp_path / "data" / "chats.db"
    prompt = "Write a very long story about a lighthouse keeper."
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "chat", "--data-dir", str(tmp_path), "--model", "builtin",
         "--seed", "1", "--max-tokens", "2000", prompt],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=_environment())
    try:
        partial = _wait_for_partial_answer(database, process)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=TIMEOUT_S) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
    assert partial

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT role, content, complete FROM messages ORDER BY id").fetchall()
    db.close()
    assert [(role, complete) for role, _, complete in rows] == [("user", 1), ("assistant", 0)]
    assert rows[0][1] == prompt
    assert rows[1][1].startswith(partial)  # at least what was seen before the kill

    store = ConversationStore.open_in(tmp_path / "data")
    try:
        question, answer = store.load(1).path()
    finally:
        store.close()
    assert question.content == prompt
    assert answer.content == rows[1][1]
    assert answer.error == INTERRUPTED

    status, markdown, _ = cli(tmp_path, "chats", "export", "1", "--format", "md")
    assert status == 0
    assert f"### You\n\n{prompt}" in markdown
    assert answer.content.rstrip() in markdown
    assert f"*Interrupted: {INTERRUPTED}*" in markdown


def _wait_for_partial_answer(database: Path, process: subprocess.Popen[bytes]) -> str:
    """Read the database as another program would until the streaming answer has text."""
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(f"the chat ended before it was killed: {process.stderr.read()!r}")
        try:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
                row = db.execute("SELECT content FROM messages WHERE role = 'assistant' AND "
                                 "complete = 0").fetchone()
            db.close()
        except sqlite3.OperationalError:  # no database yet, or its tables not yet made
            row = None
        if row is not None and row[0]:
            return str(row[0])
        time.sleep(0.1)
    pytest.fail(f"no partial answer in {database} after {HANG_GUARD_S} s")
