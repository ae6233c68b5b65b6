"""`lamplight remotes`, and models of a connection in `models list`, `chat` and `summarize`, as
a user runs them: separate processes against a real `lamplight serve` (the built-in SmolLM2,
model id "builtin") on 127.0.0.1.

Two servers serve the module: an open one, and one that wants an API key (it never loads a
model: it refuses before). Keys go to the test's credential-store file (conftest), never to
connections.json, a log or the terminal.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served_lamplight import lamplight_serve

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 300
SECRET = "sk-test-secret-0123456789"
SERVER_KEY = "server-key-0123456789"


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}


def lamplight(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
                          input=stdin, capture_output=True, text=True, env=environment(),
                          timeout=TIMEOUT_S, check=False)


def one_line(done: subprocess.CompletedProcess[str], status: int) -> str:
    """The one line a failure prints (exit `status`), with nothing on stdout."""
    assert done.returncode == status, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lamplight: error: ")
    assert done.stdout == ""
    return lines[0]


def serve(root: Path, *extra: str) -> Iterator[str]:
    """`lamplight serve` on a free port under `root`: yields its base URL, then stops it."""
    root.mkdir(parents=True, exist_ok=True)
    with lamplight_serve(root / "data", *extra, env=environment()) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("locked")
    key_file = root / "key.txt"
    key_file.write_text(SERVER_KEY + "\n")
    yield from serve(root, "--api-key-file", str(key_file))


@pytest.fixture
def keyring_file() -> Path:
    return Path(os.environ["LAMPLIGHT_TEST_KEYRING"])


def closed_port() -> int:
    """A port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def add(data_dir: Path, name: str, url: str, key: str | None = None) -> None:
    args = ("--key-stdin",) if key is not None else ()
    done = lamplight(data_dir, "remotes", "add", name, url, *args,
                     stdin=f"{key}\n" if key is not None else "")
    assert done.returncode == 0, done.stderr


def test_add_list_test_rm_keep_the_key_in_the_credential_store_only(
        server: str, tmp_path: Path, keyring_file: Path) -> None:
    outputs: list[str] = []

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = lamplight(tmp_path, "remotes", *args, stdin=stdin)
        outputs.extend([done.stdout, done.stderr])
        return done

    added = run("add", "box", server, "--key-stdin", "--parallel", "2", stdin=f"{SECRET}\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout == ""
    assert added.stderr.splitlines() == [
        f"Added connection 'box' ({server}), with its key in the credential store."]
    assert SECRET in keyring_file.read_text()
    saved = (tmp_path / "config" / "connections.json").read_text()
    assert json.loads(saved)["connections"] == [
        {"name": "box", "url": server, "parallel": 2, "n_ctx": 0}]

    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"box\t{server}\tparallel 2\tkey: yes"]

    tested = run("test", "box")
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.splitlines() == ["builtin@box\tctx 4096"]

    again = run("add", "box", server)  # the same URL: its key is kept
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith(f"Replaced connection 'box' ({server}), keeping its key")
    assert run("list").stdout.endswith("key: yes\n")

    removed = run("rm", "box")
    assert removed.returncode == 0, removed.stderr
    assert run("list").stdout == ""
    assert SECRET not in keyring_file.read_text()

    unknown = run("rm", "box")
    assert "No connection named 'box' (connections: none yet" in one_line(unknown, 2)
    log = tmp_path / "logs" / "lamplight.log"
    outputs.append(log.read_text() if log.is_file() else "")
    assert not any(SECRET in text for text in outputs)


def test_a_key_without_a_credential_store_is_refused_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMPLIGHT_TEST_KEYRING", "none")
    done = lamplight(tmp_path, "remotes", "add", "box", "http://127.0.0.1:9/v1", "--key-stdin",
                     stdin=f"{SECRET}\n")
    assert "no credential store" in one_line(done, 1)
    assert SECRET not in done.stderr
    assert lamplight(tmp_path, "remotes", "list").stdout == ""  # nothing was added

    empty = lamplight(tmp_path, "remotes", "add", "box", "http://127.0.0.1:9/v1", "--key-stdin",
                      stdin="\n")
    assert "got no key" in one_line(empty, 2)


def test_models_list_shows_a_connections_models_and_survives_one_down(
        server: str, tmp_path: Path) -> None:
    add(tmp_path, "box", server)
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    add(tmp_path, "dead", dead)
    done = lamplight(tmp_path, "models", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("builtin\t")  # the local models first, as before
    assert f"builtin@box\tbuiltin@box\t-\t-\t-\tctx 4096\tremote: box ({server})" in lines
    assert len(lines[0].split("\t")) == len(lines[-1].split("\t"))  # the same columns
    warnings = done.stderr.strip().splitlines()
    assert len(warnings) == 1, done.stderr
    assert warnings[0].startswith(f"lamplight: warning: Cannot reach 'dead' ({dead})")


@pytest.mark.model
def test_a_chat_with_a_model_of_a_connection_is_saved_and_continued(
        server: str, tmp_path: Path) -> None:
    add(tmp_path, "box", server)
    done = lamplight(tmp_path, "chat", "--model", "builtin@box", "--seed", "1", "--max-tokens",
                     "16", "--stats", "Say hi")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    stats = json.loads(done.stderr)
    assert stats["completion_tokens"] > 0 and stats["seed"] == 1

    def chats() -> list[dict[str, object]]:
        listed = lamplight(tmp_path, "chats", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        found: list[dict[str, object]] = json.loads(listed.stdout)
        return found

    [chat] = chats()
    assert chat["model"] == "builtin@box" and chat["messages"] == 2
    # No --model: the chat's own model of the connection answers again (not the local one).
    more = lamplight(tmp_path, "chat", "--continue", str(chat["id"]), "--seed", "2",
                     "--max-tokens", "8", "And again?")
    assert more.returncode == 0, more.stderr
    [chat] = chats()
    assert chat["model"] == "builtin@box" and chat["messages"] == 4


@pytest.mark.model
def test_summarize_with_a_model_of_a_connection(server: str, tmp_path: Path) -> None:
    add(tmp_path, "box", server)
    text = tmp_path / "note.txt"
    text.write_text("The meeting moved to Thursday at ten. Bring the budget figures.\n")
    done = lamplight(tmp_path, "summarize", str(text), "--model", "builtin@box", "--seed", "1",
                     "--length", "short", "--no-save", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_a_model_or_connection_that_does_not_exist_is_one_line(
        server: str, tmp_path: Path) -> None:
    add(tmp_path, "box", server)
    line = one_line(lamplight(tmp_path, "chat", "--model", "nope@box", "hi"), 2)
    assert "has no model 'nope' (it has: builtin)" in line
    line = one_line(lamplight(tmp_path, "chat", "--model", "builtin@nowhere", "hi"), 2)
    assert "No connection named 'nowhere' (connections: box;" in line
    line = one_line(lamplight(tmp_path, "summarize", "-", "--model", "builtin@nowhere",
                              stdin="Some text."), 2)
    assert "No connection named 'nowhere'" in line
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    add(tmp_path, "dead", dead)
    line = one_line(lamplight(tmp_path, "chat", "--model", "builtin@dead", "hi"), 1)
    assert line.startswith(f"lamplight: error: Cannot reach 'dead' ({dead})")
    line = one_line(lamplight(tmp_path, "remotes", "test", "dead"), 1)
    assert "Cannot reach 'dead'" in line


def test_a_wrong_key_is_one_line_that_says_so(locked: str, tmp_path: Path) -> None:
    add(tmp_path, "locked", locked, key="not-the-key-0000")
    line = one_line(lamplight(tmp_path, "chat", "--model", "builtin@locked", "hi"), 1)
    assert "refused the API key (401" in line
    assert "not-the-key" not in line
    assert "refused the API key" in one_line(lamplight(tmp_path, "remotes", "test", "locked"), 1)
    add(tmp_path, "locked", locked, key=SERVER_KEY)  # the right one: the server answers
    tested = lamplight(tmp_path, "remotes", "test", "locked")
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.splitlines() == ["builtin@locked\tctx 4096"]
