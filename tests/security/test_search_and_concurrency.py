"""Items 16 and 17 of the hardening issue: search finds emoji, symbols and mixed Chinese and
English; and two `lamplight chat --continue` runs on one chat never fork it silently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.paths import AppPaths
from app.qt.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    store = ConversationStore.open_in(tmp_path)
    for text in ("I love Rust 🦀 very much", "Python 编程 很有趣", "C++ templates and Go",
                 "The price is $100 today", "plain python text", "机器学习 and machine learning"):
        store.add_message(Conversation(title=text[:10]), Message("user", text))
    return store


@pytest.mark.parametrize(("query", "found"), [
    ("🦀", ["I love Rust [🦀] very much"]),
    ("rust 🦀", ["I love [Rust] 🦀 very much"]),
    ("Python 编程", ["[Python] 编程 很有趣"]),
    ("编程 python", ["[Python] 编程 很有趣"]),
    ("machine 机器", ["机器学习 and [machine] learning"]),
    ("C++", ["[C++] templates and Go"]),
    ("$100", ["The price is [$100] today"]),
    ("编程", ["Python [编程] 很有趣"]),
    ("pyth", ["[Python] 编程 很有趣", "plain [python] text"]),
    ("🦀 编程", []),
])
def test_emoji_symbols_and_mixed_scripts_are_found(store: ConversationStore, query: str,
                                                    found: list[str]) -> None:
    assert sorted(hit.marked() for hit in store.search(query)) == sorted(found)


def _lamplight(data_dir: Path, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    return subprocess.Popen([sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
                            text=True, env=env, cwd=REPO, **kwargs)


@pytest.mark.integration
@pytest.mark.model
def test_two_continue_runs_on_one_chat_never_fork_it(tmp_path: Path) -> None:
    """Run A continues chat 1 and answers; run B continues it too; A's next turn follows
    B's, with a warning, where it used to fork the chat from A's stale view."""
    (tmp_path / "data").mkdir()
    store = ConversationStore.open_in(tmp_path / "data")
    chat = Conversation(title="Lighthouses")
    question = store.add_message(chat, Message("user", "Name a lighthouse."))
    store.add_message(chat, Message("assistant", "Eddystone.", parent_id=question.id))
    store.close()
    options = ("chat", "--continue", "1", "--seed", "1", "--max-tokens", "6", "--stats")
    with _lamplight(tmp_path, *options, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE) as first:
        assert first.stdin is not None and first.stderr is not None
        try:
            first.stdin.write("From run A.\n")
            first.stdin.flush()
            assert json.loads(first.stderr.readline())["completion_tokens"] > 0  # answered
            with _lamplight(tmp_path, *options, "From run B.", stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE) as second:
                _, errors = second.communicate(timeout=TIMEOUT_S)
            assert second.returncode == 0, errors
            first.stdin.write("From run A again.\n")
            first.stdin.close()
            first.wait(timeout=TIMEOUT_S)
            rest = first.stderr.read()
        finally:
            first.kill()
    assert first.returncode == 0, rest
    assert "lamplight: warning: chat 1 was continued elsewhere meanwhile; this turn follows " \
           "its latest message." in rest
    store = ConversationStore.open_in(tmp_path / "data")
    chat = store.load(1)
    store.close()
    questions = [m.content for m in chat.path() if m.role == "user"]
    assert questions == ["Name a lighthouse.", "From run A.", "From run B.", "From run A again."]
    assert len(chat.path()) == len(list(chat.all_messages())) == 8  # one line: no fork


@pytest.mark.qt
@pytest.mark.model
def test_the_window_asks_after_turns_the_terminal_added_meanwhile(
        qtbot, window: MainWindow, paths: AppPaths) -> None:  # type: ignore[no-untyped-def]
    from tests.qt.test_conversations import ask, saved_chat, shown, start

    chat = saved_chat(paths, "Name a lighthouse.", "Eddystone.", title="Lighthouses")
    start(qtbot, window, max_tokens=6)
    assert chat.id is not None and window.controller.open_conversation(chat.id)
    elsewhere = ConversationStore.open_in(paths.data_dir)  # `lamplight chat --continue`
    other = elsewhere.load(chat.id)
    last = other.last()
    question = elsewhere.add_message(other, Message("user", "From the terminal.",
                                                    parent_id=last.id if last else None))
    elsewhere.add_message(other, Message("assistant", "Noted.", parent_id=question.id))
    elsewhere.close()
    ask(qtbot, window, "From the window.")
    assert shown(window)[:5] == ["Name a lighthouse.", "Eddystone.", "From the terminal.",
                                 "Noted.", "From the window."]
    store = ConversationStore.open_in(paths.data_dir)
    saved = store.load(chat.id)
    store.close()
    assert len(saved.path()) == len(list(saved.all_messages())) == 6  # one line: no fork
