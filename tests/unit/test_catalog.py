"""The curated model catalog: the shipped file is sane, broken ones say what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.models.catalog import CatalogEntry, CatalogError, find_entry, load_catalog

GOOD: dict[str, Any] = {
    "name": "tiny-instruct",
    "label": "Tiny Instruct",
    "family": "Tiny",
    "params": "1B",
    "repo": "someone/Tiny-Instruct-GGUF",
    "file": "Tiny-Instruct-Q4_K_M.gguf",
    "quant": "Q4_K_M",
    "size_bytes": 800_000_000,
    "context_length": 8192,
    "license": "apache-2.0",
    "description": "A test entry.",
}


def write(tmp_path: Path, *models: Any, **top: Any) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"version": 1, "checked": "2026-01-01", "notes": "",
                                "models": list(models), **top}), "utf-8")
    return path


def entry(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


# --- the shipped catalog ---

@pytest.fixture(scope="module")
def shipped() -> list[CatalogEntry]:
    return load_catalog()


def test_the_shipped_catalog_loads_as_a_short_list(shipped: list[CatalogEntry]) -> None:
    assert 8 <= len(shipped) <= 24
    assert all(isinstance(e, CatalogEntry) for e in shipped)


def test_the_shipped_files_are_single_gguf_files_of_their_quant(
        shipped: list[CatalogEntry]) -> None:
    for e in shipped:
        assert e.file.endswith(".gguf"), e.name
        assert "-of-0" not in e.file, f"{e.name} is a split file"
        assert e.quant.lower() in e.file.lower(), e.name
        assert e.repo.count("/") == 1, e.name


def test_the_shipped_sizes_and_contexts_are_plausible(shipped: list[CatalogEntry]) -> None:
    for e in shipped:
        assert 300_000_000 <= e.size_bytes <= 7_000_000_000, e.name
        assert 4096 <= e.context_length <= 1_048_576, e.name


def test_the_shipped_names_are_unique_command_line_slugs(shipped: list[CatalogEntry]) -> None:
    names = [e.name for e in shipped]
    assert len(set(names)) == len(names)
    for name in names:
        assert name == name.lower() and " " not in name and "/" not in name, name
    assert len({e.key.lower() for e in shipped}) == len(shipped)


def test_the_shipped_catalog_covers_families_and_sizes(shipped: list[CatalogEntry]) -> None:
    assert len({e.family for e in shipped}) >= 5
    params = [float(e.params.removesuffix("B")) for e in shipped]
    assert min(params) <= 1
    assert max(params) >= 7


def test_the_shipped_catalog_is_ordered_smallest_first(shipped: list[CatalogEntry]) -> None:
    sizes = [e.size_bytes for e in shipped]
    assert sizes == sorted(sizes)


def test_the_shipped_reasoning_models_are_marked_and_say_so(shipped: list[CatalogEntry]) -> None:
    thinking = {e.name for e in shipped if e.reasoning}
    assert {"qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "deepseek-r1-distill-qwen-1.5b",
            "deepseek-r1-distill-qwen-7b"} <= thinking
    for e in shipped:
        if e.reasoning:  # the description tells the user what the wait before an answer is
            assert "think" in e.description.lower(), e.name


def test_the_shipped_file_has_its_header(tmp_path: Path) -> None:
    from app.paths import resources_dir

    data = json.loads((resources_dir() / "catalog.json").read_text("utf-8"))
    assert data["version"] == 1
    assert data["checked"] and "SHA-256" in data["notes"]


# --- broken catalogs ---

def test_a_good_temporary_catalog_loads(tmp_path: Path) -> None:
    [e] = load_catalog(write(tmp_path, GOOD))
    assert e == CatalogEntry(**GOOD)
    assert e.key == "someone/Tiny-Instruct-GGUF/Tiny-Instruct-Q4_K_M.gguf"


def test_a_missing_file_or_bad_json_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(bad)
    assert issubclass(CatalogError, ValueError)


def test_the_top_level_shape_is_checked(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match='no "models" list'):
        load_catalog(write(tmp_path, models={"a": 1}))
    with pytest.raises(CatalogError, match="version 2"):
        load_catalog(write(tmp_path, GOOD, version=2))


def test_a_missing_field_names_the_entry_and_the_field(tmp_path: Path) -> None:
    broken = entry(name="no-size")
    del broken["size_bytes"]
    with pytest.raises(CatalogError, match=r"'no-size'.*\"size_bytes\" is missing"):
        load_catalog(write(tmp_path, GOOD, broken))


def test_an_entry_without_a_usable_name_is_named_by_its_position(tmp_path: Path) -> None:
    broken = dict(GOOD)
    del broken["name"]
    with pytest.raises(CatalogError, match=r"entry #2: \"name\" is missing"):
        load_catalog(write(tmp_path, entry(name="first"), broken))
    with pytest.raises(CatalogError, match=r"entry #1 is not an object"):
        load_catalog(write(tmp_path, "tiny"))


@pytest.mark.parametrize(("field", "value", "says"), [
    ("size_bytes", "800 MB", "positive whole number"),
    ("size_bytes", 8.5e8, "positive whole number"),
    ("size_bytes", True, "positive whole number"),
    ("context_length", 0, "positive whole number"),
    ("repo", 42, "non-empty string"),
    ("label", "  ", "non-empty string"),
    ("license", None, "non-empty string"),
    ("repo", "no-owner", "owner/name"),
    ("repo", "a/b/c", "owner/name"),
    ("file", "model.bin", ".gguf"),
    ("reasoning", "yes", "true or false"),
    ("reasoning", 1, "true or false"),
    ("reasoning", None, "true or false"),
    ("description_zh", "", "non-empty string"),
    ("description_zh", 3, "non-empty string"),
    ("modelscope_repo", "no-owner", "owner/name"),
    ("modelscope_repo", "", "non-empty string"),
])
def test_a_wrong_value_names_the_entry_and_the_field(
        tmp_path: Path, field: str, value: Any, says: str) -> None:
    with pytest.raises(CatalogError, match="tiny-instruct") as caught:
        load_catalog(write(tmp_path, entry(**{field: value})))
    assert f'"{field}"' in str(caught.value)
    assert says in str(caught.value)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    twin = entry(repo="other/Repo-GGUF")
    with pytest.raises(CatalogError, match=r"'tiny-instruct'.*same name"):
        load_catalog(write(tmp_path, GOOD, twin))
    shouting = entry(name="TINY-instruct", repo="other/Repo-GGUF")
    with pytest.raises(CatalogError, match="same name"):
        load_catalog(write(tmp_path, GOOD, shouting))


def test_two_entries_for_the_same_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"'copy'.*Tiny-Instruct-Q4_K_M\.gguf too"):
        load_catalog(write(tmp_path, GOOD, entry(name="copy")))


def test_reasoning_is_optional_and_false_when_absent(tmp_path: Path) -> None:
    plain, thinking = load_catalog(write(tmp_path, GOOD, entry(
        name="tiny-thinking", file="Tiny-Thinking-Q4_K_M.gguf", reasoning=True)))
    assert "reasoning" not in GOOD and plain.reasoning is False
    assert thinking.reasoning is True
    [off] = load_catalog(write(tmp_path, entry(reasoning=False)))
    assert off.reasoning is False


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    [e] = load_catalog(write(tmp_path, entry(sha256="ab" * 32)))
    assert e.name == "tiny-instruct"


# --- finding entries ---

def test_find_entry_by_name_repo_or_repo_and_file(shipped: list[CatalogEntry]) -> None:
    qwen = find_entry(shipped, "qwen2.5-1.5b-instruct")
    assert qwen is not None
    assert qwen.repo == "Qwen/Qwen2.5-1.5B-Instruct-GGUF"
    assert find_entry(shipped, "qwen/qwen2.5-1.5b-instruct-gguf") is qwen
    assert find_entry(shipped, f"  {qwen.repo}/{qwen.file} ") is qwen
    assert find_entry(shipped, "QWEN2.5-1.5B-INSTRUCT") is qwen
    assert find_entry(shipped, "qwen") is None
    assert find_entry(shipped, "") is None
    assert find_entry(shipped, "Qwen/Qwen2.5-1.5B-Instruct-GGUF/other.gguf") is None


def test_a_repo_with_two_entries_does_not_pick_one(tmp_path: Path) -> None:
    q8 = entry(name="tiny-q8", file="Tiny-Instruct-Q8_0.gguf", quant="Q8_0")
    entries = load_catalog(write(tmp_path, GOOD, q8))
    assert find_entry(entries, GOOD["repo"]) is None
    assert find_entry(entries, f"{GOOD['repo']}/Tiny-Instruct-Q8_0.gguf") == entries[1]
    assert find_entry(iter(entries), "tiny-q8") == entries[1]


# --- Chinese models, Chinese descriptions, ModelScope (issue 24, item 5) ---

def test_the_shipped_catalog_has_the_chinese_families(shipped: list[CatalogEntry]) -> None:
    families = {e.family for e in shipped}
    assert {"Qwen2.5", "Qwen3", "DeepSeek R1 Distill", "GLM-4", "MiniCPM", "InternLM3"} <= \
        families
    for e in shipped:
        assert e.description_zh, f"{e.name} has no Chinese description"
        assert any("\u4e00" <= c <= "\u9fff" for c in e.description_zh), e.name
        if e.modelscope_repo is not None:
            assert e.modelscope_repo.count("/") == 1, e.name


def test_the_shipped_qwen_entries_name_their_modelscope_repo(
        shipped: list[CatalogEntry]) -> None:
    for e in shipped:
        if e.repo.startswith("Qwen/"):  # Qwen publishes the same files on ModelScope
            assert e.modelscope_repo == e.repo, e.name


def test_the_source_decides_the_repo_and_the_language_the_description(tmp_path: Path) -> None:
    from app import i18n

    both, hub_only = load_catalog(write(tmp_path, entry(
        modelscope_repo="Someone-CN/Tiny-Instruct-GGUF", description_zh="一个测试条目。"),
        entry(name="hub-only", file="Other-Q4_K_M.gguf")))
    assert both.repo_on("huggingface") == both.repo_on("mirror") == GOOD["repo"]
    assert both.repo_on("modelscope") == "Someone-CN/Tiny-Instruct-GGUF"
    assert hub_only.repo_on("modelscope") is None and hub_only.description_zh is None
    assert both.keys == (both.key, "Someone-CN/Tiny-Instruct-GGUF/Tiny-Instruct-Q4_K_M.gguf")
    # Found by its ModelScope repo too: a model pulled from there keeps its catalog name.
    assert find_entry([both, hub_only], "someone-cn/tiny-instruct-gguf") is both
    assert find_entry([both, hub_only],
                      "Someone-CN/Tiny-Instruct-GGUF/Tiny-Instruct-Q4_K_M.gguf") is both
    assert both.shown_description() == "A test entry."
    try:
        i18n.set_language(i18n.CHINESE)
        assert both.shown_description() == "一个测试条目。"
        assert hub_only.shown_description() == "A test entry."  # none in Chinese: English
    finally:
        i18n.set_language(i18n.ENGLISH)


def test_a_modelscope_repo_another_entry_uses_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="points at"):
        load_catalog(write(tmp_path, GOOD, entry(
            name="mirror-of-it", repo="other/Repo-GGUF", modelscope_repo=GOOD["repo"])))
