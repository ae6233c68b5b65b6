"""The server's models: named by id or the window's name, never by a path; `serve --model`'s
listed first."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.chat.api import ServedModels
from app.core.models.library import ModelNotFoundError, resolve_model
from app.core.settings.file import SettingsFile
from tests.scripted_engine import ScriptedEngine


def _served(models: Path, *extra: Path) -> ServedModels:
    entries = tuple(resolve_model(str(p), models) for p in extra)
    return ServedModels(models, SettingsFile.in_memory(), window_engine=False,
                        make_engine=ScriptedEngine, extra=entries)


def test_the_model_serve_was_started_with_is_listed_first(tmp_path: Path) -> None:
    models, outside = tmp_path / "models", tmp_path / "elsewhere"
    models.mkdir()
    outside.mkdir()
    (models / "zeta.gguf").write_bytes(b"GGUF")  # listing reads no header
    (outside / "mine.gguf").write_bytes(b"GGUF")
    assert [e.name for e in _served(models).entries()] == ["builtin", "zeta"]
    assert [e.name for e in _served(models, models / "zeta.gguf").entries()] == \
        ["zeta", "builtin"]
    assert [e.name for e in _served(models, outside / "mine.gguf").entries()] == \
        ["mine", "builtin", "zeta"]


def test_a_model_is_found_by_id_or_shown_name_never_by_path(tmp_path: Path,
                                                             smollm2_path: Path) -> None:
    served = _served(tmp_path)
    assert served.find("builtin").builtin
    assert served.find("SmolLM2 135M Instruct").builtin
    assert served.find("BUILTIN").builtin
    for name in (str(smollm2_path), smollm2_path.name, "../builtin", ""):
        with pytest.raises(ModelNotFoundError):
            served.find(name)
