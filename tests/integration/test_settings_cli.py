"""`lamplight chat` uses the settings the window saved (settings.json), flags over them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import lamplight

pytestmark = [pytest.mark.integration, pytest.mark.model]


def write_settings(root: Path, values: dict[str, object]) -> None:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "settings.json").write_text(
        json.dumps({"version": 1, "values": values}), encoding="utf-8")


def test_chat_loads_with_the_saved_context_and_sampling(tmp_path: Path) -> None:
    write_settings(tmp_path, {"model.n_ctx": 512, "sampling.max_tokens": 5})
    done = lamplight(tmp_path, "chat", "--stats", "--no-save", "Count from one to fifty.")
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stderr.splitlines()[-1])
    assert stats["completion_tokens"] <= 5  # the saved max tokens
    too_long = "word " * 600
    done = lamplight(tmp_path, "chat", "--no-save", too_long)
    assert done.returncode == 2
    assert "tokens long" in done.stderr  # the saved context (the default 4096 would fit it)
    done = lamplight(tmp_path, "chat", "--no-save", "--ctx", "2048", "--max-tokens", "3",
                     too_long)
    assert done.returncode == 0, done.stderr  # the flags win


def test_a_bad_settings_file_is_one_warning_and_the_defaults(tmp_path: Path) -> None:
    write_settings(tmp_path, {"sampling.temperature": "hot"})
    done = lamplight(tmp_path, "chat", "--no-save", "--max-tokens", "3", "Hello")
    assert done.returncode == 0, done.stderr
    [warning] = done.stderr.splitlines()
    assert warning.startswith("lamplight: warning: settings: ") and "Temperature" in warning
