from __future__ import annotations

from pathlib import Path

import pytest

from app.paths import DATA_DIR_ENV, AppPaths, resources_dir


def test_a_data_dir_holds_every_folder(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "root").ensure()
    for folder in (paths.config_dir, paths.data_dir, paths.models_dir, paths.logs_dir,
                   paths.cache_dir):
        assert folder.is_dir()
        assert folder.is_relative_to(tmp_path / "root")
    assert paths.log_file.parent == paths.logs_dir
    assert paths.state_file.parent == paths.config_dir


def test_the_argument_wins_over_the_environment(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert AppPaths.resolve().data_dir == tmp_path / "env" / "data"
    assert AppPaths.resolve(tmp_path / "arg").data_dir == tmp_path / "arg" / "data"


def test_without_either_the_platform_folders_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV)
    paths = AppPaths.resolve()
    assert "Lamplight" in str(paths.data_dir)
    assert paths.models_dir == paths.data_dir / "models"


def test_resources_are_found_in_a_checkout() -> None:
    assert (resources_dir() / "icons" / "lamplight.svg").is_file()
