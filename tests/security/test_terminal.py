"""Items 4, 13 and 14 of the hardening issue, in the terminal: text from outside never sends
escape sequences to it, every flag is checked against the settings' own ranges, an empty
prompt is refused, and input that is not UTF-8 loses no turn."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.chat.store import ConversationStore

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 300
REPO = Path(__file__).resolve().parents[2]

# An OSC that retitles the terminal, a clear-screen CSI, NUL, a C1 CSI, a bell, and a
# right-to-left override that makes the rest read backwards.
HOSTILE = "Evil\x1b]0;pwned\x07\x1b[2J\x00\x9b31m\u202etxt.exe"
ESCAPED = "Evil\\x1b]0;pwned\\x07\\x1b[2J\\x00\\x9b31m\\u202etxt.exe"
RAW = ("\x1b", "\x07", "\x00", "\x9b", "\u202e")


def lamplight(data_dir: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    return subprocess.run([sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
                          input=stdin, capture_output=True, env=env, cwd=REPO,
                          timeout=TIMEOUT_S, check=False)


def _text(data: bytes) -> str:
    return data.decode("utf-8")


def _one_line_error(done: subprocess.CompletedProcess[bytes]) -> str:
    assert done.returncode == 2, done.stderr
    (line,) = _text(done.stderr).splitlines()
    assert line.startswith("lamplight: error: ")
    return line


def _hostile_history(tmp_path: Path) -> Path:
    chats = tmp_path / "hostile.json"
    chats.write_text(json.dumps({
        "format": "lamplight-conversations", "version": 1, "conversations": [{
            "title": HOSTILE, "messages": [
                {"id": 1, "parent": None, "role": "user", "content": f"lighthouse {HOSTILE}"},
                {"id": 2, "parent": 1, "role": "assistant", "content": f"Paris {HOSTILE}"}]}]}),
        encoding="utf-8")
    return chats


def test_text_from_outside_never_reaches_the_terminal_as_escape_sequences(tmp_path: Path) -> None:
    imported = lamplight(tmp_path, "chats", "import", str(_hostile_history(tmp_path)))
    listing = lamplight(tmp_path, "chats", "list")
    as_json = lamplight(tmp_path, "chats", "list", "--json")
    search = lamplight(tmp_path, "chats", "search", "lighthouse")
    for done in (imported, listing, as_json, search):
        assert done.returncode == 0, done.stderr
        out = _text(done.stdout)
        assert not any(char in out for char in RAW), out
    assert _text(imported.stdout) == f"imported 1 {ESCAPED}\n"
    assert _text(listing.stdout).split("\t")[1] == ESCAPED
    assert json.loads(as_json.stdout)[0]["title"] == HOSTILE  # the same JSON, escaped
    assert ESCAPED in _text(search.stdout)


def test_an_export_is_data_in_a_pipe_and_text_on_a_terminal(tmp_path: Path) -> None:
    assert lamplight(tmp_path, "chats", "import", str(_hostile_history(tmp_path))).returncode == 0
    piped = lamplight(tmp_path, "chats", "export", "1")
    assert HOSTILE in _text(piped.stdout)  # what was written, byte for byte
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    done = subprocess.run([sys.executable, "-m", "app", "--data-dir", str(tmp_path), "chats",
                           "export", "1"], stdout=terminal, stderr=subprocess.PIPE, env=env,
                          cwd=REPO, timeout=TIMEOUT_S, check=False)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal's other end is closed: all was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert done.returncode == 0, done.stderr
    text = shown.decode("utf-8")
    assert ESCAPED in text
    assert not any(char in text for char in RAW)


@pytest.mark.parametrize(("args", "expected"), [
    (("chat", "--ctx", "0", "hi"), "argument --ctx: must be a whole number from 256 to 262144"),
    (("chat", "--ctx", "63", "hi"), "argument --ctx: must be a whole number from 256 to"),
    (("chat", "--temperature", "-5", "hi"), "argument --temperature: must be a number from 0 "
                                            "to 2, not '-5'"),
    (("chat", "--temperature", "nan", "hi"), "not 'nan'"),
    (("chat", "--temperature", "inf", "hi"), "not 'inf'"),
    (("chat", "--seed", "-1", "hi"), "argument --seed: must be a whole number from 0 to"),
    (("chat", "--max-tokens", "0", "hi"), "argument --max-tokens: must be a whole number from 1"),
    (("chat", "--continue", "99999999999999999999", "hi"), "there is no chat with id"),
    (("chat", ""), "the prompt is empty"),
    (("chat", "  \n "), "the prompt is empty"),
    (("summarize", "--ctx", "0", "notes.txt"), "argument --ctx: must be a whole number"),
    (("chats", "export", "99999999999999999999"), "there is no chat with id"),
    (("chats", "rm", "-3"), "there is no chat with id"),
])
def test_every_flag_is_checked_as_the_settings_are(tmp_path: Path, args: tuple[str, ...],
                                                   expected: str) -> None:
    assert expected in _one_line_error(lamplight(tmp_path, *args))


@pytest.mark.model
def test_input_that_is_not_utf8_loses_no_turn(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "chat", "--seed", "1", "--max-tokens", "4",
                     stdin=b"Hello\nCaf\xe9 au lait?\nGoodbye\n")
    assert done.returncode == 0, done.stderr
    (warning,) = _text(done.stderr).splitlines()
    assert warning == ("lamplight: warning: line 2 of the input is not valid UTF-8; its bad "
                       "bytes are shown as \ufffd")
    store = ConversationStore.open_in(tmp_path / "data")
    conversation = store.load(1)
    store.close()
    questions = [m.content for m in conversation.path() if m.role == "user"]
    assert questions == ["Hello", "Caf\ufffd au lait?", "Goodbye"]
