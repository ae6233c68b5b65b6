"""Item 1 of the hardening issue, for names other than the hub's (tests/security/
test_hostile_models.py has those): a path built from outside input resolves inside its
folder, and a name from a chat never becomes a path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.chat import library as library_module
from app.core.chat.store import StoreError
from app.files import UnsafePathError, child_path, safe_file_name
from app.qt import dialogs
from app.qt.main_window import MainWindow


@pytest.mark.parametrize("name", [
    "../outside.gguf", "/etc/passwd", "\\\\server\\share\\x.gguf", "C:\\Windows\\x.gguf",
    "c:x.gguf", "a/../../b.gguf", "a//b.gguf", "./a.gguf", "a\\..\\b.gguf", "nul.gguf",
    "bad\x00name.gguf", "", "a/",
])
def test_names_that_would_leave_their_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsafePathError):
        child_path(tmp_path, name)


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "elsewhere").symlink_to(tmp_path.parent)
    with pytest.raises(UnsafePathError, match="leads out of"):
        child_path(tmp_path / "models", "elsewhere/x.gguf")
    assert child_path(tmp_path / "models", "owner/repo", "x.gguf") == \
        tmp_path / "models" / "owner" / "repo" / "x.gguf"


@pytest.mark.parametrize(("title", "expected"), [
    ("../../.ssh/authorized_keys", "ssh authorized_keys"),
    ("/etc/passwd", "etc passwd"),
    ("C:\\Windows\\system32", "C Windows system32"),
    ("CON", "chat"), ("..", "chat"), ("", "chat"),
    ("Notes: <b>bold</b> | x?", "Notes b bold b x"),
])
def test_a_chat_title_becomes_a_plain_file_name(title: str, expected: str) -> None:
    assert safe_file_name(title, fallback="chat") == expected


@pytest.mark.qt
def test_the_window_suggests_a_plain_file_name_and_reports_a_failed_import(
        window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chats = tmp_path / "chats.json"
    chats.write_text(json.dumps({"format": "lamplight-conversations", "version": 1,
                                 "conversations": [{"title": "../../../etc/cron.d/x",
                                                    "messages": [{"id": 1, "role": "user",
                                                                  "content": "Hi"}]}]}),
                     encoding="utf-8")
    (chat_id,) = window.import_conversations(str(chats))
    suggested: list[str] = []

    def ask(_parent: object, name: str) -> tuple[str, str]:
        suggested.append(name)
        return "", ""

    monkeypatch.setattr(dialogs, "export_path", ask)
    window.export_conversation(chat_id)
    assert suggested == ["etc cron.d x"]

    def full(*_: object) -> list[int]:
        raise StoreError("The chat history could not be saved: the disk holding /data is full.")

    monkeypatch.setattr(library_module, "save_imported", full)
    assert window.import_conversations(str(chats)) == []
    assert not window.error_banner.isHidden()
    assert "the disk holding /data is full" in window.error_banner.label.text()
