"""One display name for a model everywhere: from a believable `general.name` with the
quantization, else the file's name cleaned up; outside text, so cleaned and bounded; the key
that settings use never changes with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.engine.gguf import read_header
from app.core.models import names
from app.core.models.library import import_model, list_models, resolve_model


@pytest.mark.parametrize(("file_name", "general_name", "quant", "shown"), [
    # Gemma's header and its file name agree: one name, whichever is known.
    ("gemma-3-270m-q4_k_m.gguf", "Gemma 3 270m", "Q4_K_M", "Gemma 3 270m · Q4_K_M"),
    ("gemma-3-270m-q4_k_m.gguf", None, None, "Gemma 3 270m · Q4_K_M"),
    ("Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", None, None, "Qwen2.5 1.5B Instruct · Q4_K_M"),
    ("Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", "Qwen2.5 1.5B Instruct", "Q4_K_M",
     "Qwen2.5 1.5B Instruct · Q4_K_M"),
    # A training run's tags are not a name: the file's is better.
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "Smollm2 135M 8k Lc100K Mix1 Ep2", "Q4_1",
     "SmolLM2 135M Instruct · Q4_1"),
    # llama.cpp's default output name says nothing; the header does.
    ("ggml-model-Q4_K_M.gguf", "Llama 3.2 1B Instruct", "Q4_K_M",
     "Llama 3.2 1B Instruct · Q4_K_M"),
    ("model.gguf", "Models", "Q8_0", "Model · Q8_0"),
    ("model.gguf", "Mistral", None, "Model"),  # one bare word names no model
    ("Llama-3-8B-Q4_K_M.gguf", "Llama 3 8B Q4_K_M", "Q4_K_M", "Llama 3 8B Q4_K_M"),
    ("big-00001-of-00003.gguf", None, None, "Big"),
])
def test_the_display_name(file_name: str, general_name: str | None, quant: str | None,
                          shown: str) -> None:
    assert names.display_name(file_name, general_name, quant) == shown


def test_a_crafted_name_is_cleaned_and_bounded() -> None:
    sneaky = "Good\u202e Model\n\x1b[31mred\x00 \u200bname"
    shown = names.display_name("x.gguf", sneaky, "Q4_0\n\x1b")
    assert shown == "Good Model [31mred name · Q4_0"
    long = names.display_name("x.gguf", "Very " * 200, "Q4_0")
    assert long == "X · Q4_0"  # too long to be believed
    stem = names.display_name("a" * 5000 + "\n.gguf")
    assert len(stem) <= names.MAX_NAME and stem.endswith("…") and "\n" not in stem
    assert names.display_name("\u202e\x07.gguf") == ".gguf"


def test_a_model_is_named_from_its_header_once_read_and_keeps_its_key(
        tmp_path: Path, gemma_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    link = tmp_path / "ggml-model-Q4_K_M.gguf"  # named as llama.cpp names its output
    link.symlink_to(gemma_path)
    entry = import_model(models, link, copy=False)  # the import reads the header
    assert entry.display_name == "Gemma 3 270m · Q4_K_M"
    assert entry.name == "ggml-model-Q4_K_M"  # what settings and --model key on
    [listed] = [e for e in list_models(models) if not e.builtin]
    assert listed.display_name == entry.display_name and listed.name == entry.name

    other = models / "copy" / "ggml-model-Q4_K_M.gguf"
    other.parent.mkdir()
    other.symlink_to(gemma_path)
    fresh = resolve_model(str(other), models)
    assert fresh.display_name == "Ggml model · Q4_K_M"  # no header read yet: the file's name
    names.learn([fresh.path])
    assert fresh.display_name == "Gemma 3 270m · Q4_K_M"
    assert names.header_display_name(gemma_path, read_header(gemma_path)) == fresh.display_name


def test_an_unreadable_file_is_named_by_its_file_and_read_once(tmp_path: Path) -> None:
    broken = tmp_path / "half-downloaded.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))
    names.learn([broken])
    assert names.known(broken) == "Half downloaded"
    broken.write_bytes(b"GGUF" + bytes(65))  # changed: not known any more
    assert names.known(broken) is None


def test_the_terminal_names_its_model_as_the_window_does(tmp_path: Path,
                                                        gemma_path: Path) -> None:
    from app.cli.models import resolve_installed
    from app.paths import AppPaths

    paths = AppPaths.under(tmp_path / "app").ensure()
    (paths.models_dir / "ggml-model-Q4_K_M.gguf").symlink_to(gemma_path)
    # What `chat --model` and `summarize --model` save with each answer.
    entry = resolve_installed("ggml-model-Q4_K_M", paths)
    assert entry.display_name == "Gemma 3 270m · Q4_K_M"


def test_a_model_downloaded_from_the_catalog_keeps_the_catalog_s_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The catalog row said "Gemma 3 1B Instruct"; once downloaded the same model was named from
    its file ("Gemma 3 1b It · Q4_K_M")."""
    from app.core.models.catalog import load_catalog
    from app.core.models.library import ModelEntry

    entry = next(e for e in load_catalog() if e.label == "Gemma 3 1B Instruct")
    downloaded = ModelEntry(entry.name, entry.label, tmp_path / entry.repo / entry.file,
                            repo=entry.repo)
    assert downloaded.display_name == f"Gemma 3 1B Instruct · {entry.quant}"
    other = ModelEntry("x", "x", tmp_path / entry.repo / "gemma-3-1b-it-Q8_0.gguf",
                       repo=entry.repo)  # another file of the same repo: named from its file
    assert not other.display_name.startswith("Gemma 3 1B Instruct")
