"""Item 8 of the hardening issue: settings.json with a BOM is read, one that cannot be read is
left where it is (and not overwritten), and nesting or NaN is damage named in one line, never a
RecursionError in every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.settings.file import SETTINGS_FILE, SettingsFile
from tests.unprivileged import without_read_override

REPO = Path(__file__).resolve().parents[2]


def test_a_byte_order_mark_is_no_damage(tmp_path: Path) -> None:
    path = tmp_path / SETTINGS_FILE
    path.write_text(json.dumps({"version": 1, "values": {"sampling.temperature": 0.3}}),
                    encoding="utf-8-sig")
    settings = SettingsFile.load(tmp_path)
    assert settings.problems == []
    assert settings.get("sampling.temperature") == 0.3
    assert [p.name for p in tmp_path.iterdir()] == [SETTINGS_FILE]


def test_a_settings_file_that_cannot_be_read_stays_where_it_is(tmp_path: Path) -> None:
    """A folder where the file should be: reading fails, which is not damage."""
    (tmp_path / SETTINGS_FILE).mkdir()
    settings = SettingsFile.load(tmp_path)
    (problem,) = settings.problems
    assert problem.startswith(f"{SETTINGS_FILE} cannot be read (")
    assert settings.read_only
    settings.set("sampling.temperature", 0.5)
    settings.save()  # changes apply to this session; nothing is written
    assert [p.name for p in tmp_path.iterdir()] == [SETTINGS_FILE]
    assert (tmp_path / SETTINGS_FILE).is_dir()


@pytest.mark.integration
@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_settings_file_without_read_permission_is_not_renamed(tmp_path: Path) -> None:
    """Mode 000 in a folder the user may write: the old code renamed it as damaged."""
    path = tmp_path / SETTINGS_FILE
    path.write_text(json.dumps({"version": 1, "values": {}}), encoding="utf-8")
    path.chmod(0o000)
    code = ("import sys; from pathlib import Path; from app.core.settings.file import SettingsFile;"
            "s = SettingsFile.load(Path(sys.argv[1])); print(s.read_only); print(*s.problems)")
    done = subprocess.run([*without_read_override(), sys.executable, "-c", code, str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    read_only, problem = done.stdout.splitlines()
    assert read_only == "True"
    assert problem.startswith(f"{SETTINGS_FILE} cannot be read (permission denied)")
    assert [p.name for p in tmp_path.iterdir()] == [SETTINGS_FILE]


@pytest.mark.parametrize(("content", "reason"), [
    ('{"version": 1, "values": ' + "[" * 50_000 + "]" * 50_000 + "}",
     "nested more than 64 levels deep"),
    ('{"version": 1, "values": {"sampling.temperature": NaN}}', "NaN is not a JSON number"),
])
def test_nesting_and_nan_are_damage_named_in_one_line(tmp_path: Path, content: str,
                                                      reason: str) -> None:
    (tmp_path / SETTINGS_FILE).write_text(content, encoding="utf-8")
    settings = SettingsFile.load(tmp_path)
    (problem,) = settings.problems
    assert reason in problem and "\n" not in problem
    assert settings.values == {}
    assert not settings.read_only
    (aside,) = tmp_path.iterdir()  # kept, under another name, for the user
    assert aside.name.startswith(f"{SETTINGS_FILE}.bad-")


@pytest.mark.integration
@pytest.mark.model
def test_a_command_runs_with_a_deeply_nested_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / SETTINGS_FILE).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    done = subprocess.run([sys.executable, "-m", "app", "--data-dir", str(tmp_path), "chat",
                           "--max-tokens", "4", "--no-save", "Hello"], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("lamplight: warning: settings: settings.json could not be used: "
                              "it is not valid JSON (it is nested more than 64 levels deep)")
