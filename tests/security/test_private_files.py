"""Item 3 of the hardening issue: what the user wrote (chats, the WAL, saved model states,
settings, presets, logs, exports) is readable by the user alone, whatever the umask, and what
an older version left open to others is narrowed when the app starts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")]
REPO = Path(__file__).resolve().parents[2]

# Everything the app writes but the models, through the same code the window uses.
_WRITE_EVERYTHING = """
import array, sys
from pathlib import Path
from app.cli import main
from app.core.engine.states import Snapshot, StateCache
from app.core.chat.presets import PresetLibrary
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from app.qt.state import save_state

paths = AppPaths.under(Path(sys.argv[1])).ensure()
settings = SettingsFile.load(paths.config_dir)
settings.set("sampling.temperature", 0.3)
settings.save()
PresetLibrary(paths.config_dir).save("Mine", "Be brief.", {})
save_state(paths.state_file, model="builtin")
cache = StateCache(paths.states_dir, ram_bytes=0, disk_bytes=1 << 20, min_tokens=1)
cache.keep("chat-1", "0123456789abcdef", Snapshot(array.array("i", [1, 2, 3]), b"kv" * 100))
cache.flush()
"""


def _run(args: list[str], umask: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, env=env, timeout=300,
                          preexec_fn=lambda: os.umask(umask), check=False)


def _modes(root: Path) -> dict[str, int]:
    """Every folder and file under `root` but the models folder, by relative path."""
    found = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if relative.parts[0] == "models" or relative.parts[-1] == "export.json":
            continue
        found[str(relative)] = stat.S_IMODE(path.stat().st_mode)
    return found


@pytest.mark.model
@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_what_the_user_wrote_is_theirs_alone_whatever_the_umask(tmp_path: Path,
                                                               umask: int) -> None:
    data = tmp_path / "lamplight"
    done = _run([sys.executable, "-c", _WRITE_EVERYTHING, str(data)], umask)
    assert done.returncode == 0, done.stderr
    done = _run([sys.executable, "-m", "app", "--data-dir", str(data), "chat", "--seed", "1",
                 "--max-tokens", "8", "Hello"], umask)
    assert done.returncode == 0, done.stderr
    export = tmp_path / "export.json"
    done = _run([sys.executable, "-m", "app", "--data-dir", str(data), "chats", "export", "1",
                 "--format", "json", "-o", str(export)], umask)
    assert done.returncode == 0, done.stderr

    modes = _modes(data)
    expected = {"config", "config/settings.json", "config/presets.json", "config/state.json",
                "data", "data/chats.db", "logs", "logs/lamplight.log", "cache", "cache/states"}
    assert expected <= set(modes)
    assert any(name.startswith("cache/states/chat-1.") for name in modes)
    wrong = {name: oct(mode) for name, mode in modes.items()
             if mode != (0o700 if (data / name).is_dir() else 0o600)}
    assert wrong == {}
    assert stat.S_IMODE(export.stat().st_mode) == 0o600


def test_files_an_older_version_left_open_are_narrowed(tmp_path: Path) -> None:
    data = tmp_path / "lamplight"
    for folder in ("config", "data", "logs", "cache/states"):
        (data / folder).mkdir(parents=True, mode=0o755)
        (data / folder).chmod(0o755)
    for name in ("config/settings.json", "data/chats.db", "data/chats.db-wal",
                 "logs/lamplight.log", "cache/states/chat-1.0123456789abcdef.kvstate"):
        (data / name).write_bytes(b"")
        (data / name).chmod(0o644)
    (data / "data" / "chats.db").unlink()  # an empty file is no database; start a real one
    done = _run([sys.executable, "-m", "app", "--data-dir", str(data), "chats", "list"], 0o022)
    assert done.returncode == 0, done.stderr
    wrong = {name: oct(mode) for name, mode in _modes(data).items()
             if mode != (0o700 if (data / name).is_dir() else 0o600)}
    assert wrong == {}


def test_the_history_and_its_wal_are_private_while_in_use(tmp_path: Path) -> None:
    """SQLite gives -wal and -shm the mode of the database: the file is created 0600 first."""
    from app.core.chat.conversation import Conversation, Message
    from app.core.chat.store import ConversationStore

    previous = os.umask(0o022)
    try:
        store = ConversationStore.open_in(tmp_path)
        store.add_message(Conversation(title="Private"), Message("user", "A secret"))
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        store.close()
    finally:
        os.umask(previous)
    assert modes == {"chats.db": 0o600, "chats.db-wal": 0o600, "chats.db-shm": 0o600}
