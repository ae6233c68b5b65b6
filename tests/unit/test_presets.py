"""Presets: the built-ins, the user's own in presets.json, and how they change generation."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from app.core.chat.conversation import params_from_json
from app.core.chat.presets import PRESETS_FILE, Preset, PresetError, PresetLibrary
from app.core.documents.language import LANGUAGES
from app.core.engine.base import GenerationParams
from app.core.settings.schema import BY_KEY


def test_the_five_builtins_come_first_in_their_order(tmp_path: Path) -> None:
    presets = PresetLibrary(tmp_path).all()
    assert [p.key for p in presets] == ["general", "translate", "summarize", "qa", "writing"]
    assert [p.name for p in presets] == [
        "General chat", "Translate", "Summarize", "Questions and answers", "Writing"]
    assert all(p.builtin and p.system_prompt for p in presets)
    assert not (tmp_path / PRESETS_FILE).exists()  # nothing is written until the user saves


def test_only_translate_needs_a_language_and_fills_it(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path)
    translate = library.get("translate")
    assert translate is not None and translate.needs_language
    assert [p.key for p in library.all() if p.needs_language] == ["translate"]
    french = translate.prompt_for("French")
    assert "French" in french and "{language}" not in french
    assert "English" in translate.prompt_for(None)


def test_a_user_prompt_with_other_braces_is_filled_without_formatting() -> None:
    preset = Preset("user:json", "JSON", 'Reply as {"text": ...} in {language}.')
    assert preset.prompt_for("German") == 'Reply as {"text": ...} in German.'


def test_apply_overrides_only_what_the_preset_sets(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path)
    base = GenerationParams(temperature=0.7, top_k=20, max_tokens=300)
    translate, general = library.get("translate"), library.get("general")
    assert translate is not None and general is not None
    assert translate.apply(base) == GenerationParams(temperature=0.2, top_k=20, max_tokens=300)
    assert general.apply(base) == base
    odd = Preset("user:x", "X", "", {"temperature": 1.2, "no_such_setting": 3})
    assert odd.apply(base) == GenerationParams(temperature=1.2, top_k=20, max_tokens=300)


def test_languages_are_distinct_and_english_first() -> None:
    assert LANGUAGES[0] == "English"
    assert len(LANGUAGES) == len(set(LANGUAGES)) >= 20
    assert {"Chinese (Simplified)", "Chinese (Traditional)", "Japanese", "Ukrainian"} <= set(
        LANGUAGES)


def test_a_saved_preset_persists_sorted_after_the_builtins(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path)
    saved = library.save("Pirate talk", "Talk like a pirate.", {"temperature": 1.1})
    library.save("code review", "Review code.", {})
    assert saved == Preset("user:pirate-talk", "Pirate talk", "Talk like a pirate.",
                           {"temperature": 1.1}, builtin=False)

    reopened = PresetLibrary(tmp_path)
    assert [p.name for p in reopened.all()][5:] == ["code review", "Pirate talk"]
    assert reopened.get("user:pirate-talk") == saved
    data = json.loads((tmp_path / PRESETS_FILE).read_text("utf-8"))
    assert data["version"] == 1
    assert {"name": "Pirate talk", "system_prompt": "Talk like a pirate.",
            "params": {"temperature": 1.1}} in data["presets"]
    assert list(tmp_path.iterdir()) == [tmp_path / PRESETS_FILE]  # no temporary file left


def test_saving_the_same_name_overwrites(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path)
    library.save("Pirate talk", "Arr.", {})
    again = library.save("pirate  talk", "Arr, matey.", {"top_k": 10})
    users = [p for p in PresetLibrary(tmp_path).all() if not p.builtin]
    assert users == [again]
    assert again.name == "pirate talk" and again.params == {"top_k": 10}


def test_a_deleted_preset_stays_deleted(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path)
    keep = library.save("Keep", "k", {})
    gone = library.save("Gone", "g", {})
    library.delete(gone.key)
    assert library.get(gone.key) is None
    assert [p for p in PresetLibrary(tmp_path).all() if not p.builtin] == [keep]
    library.delete("user:never-was")  # nothing to do, no error


def test_builtins_cannot_be_deleted_or_shadowed(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path)
    with pytest.raises(PresetError, match="built in"):
        library.delete("translate")
    for name in ("Translate", "general CHAT"):
        with pytest.raises(PresetError, match="built-in preset"):
            library.save(name, "mine", {})
    for name in ("", "   "):
        with pytest.raises(PresetError, match="needs a name"):
            library.save(name, "mine", {})
    assert len(PresetLibrary(tmp_path).all()) == 5


def test_unknown_and_invalid_params_are_dropped(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path)
    saved = library.save("Odd", "", {"temperature": 1, "top_k": 2.5, "seed": None,
                                     "max_tokens": True, "n_ctx": 8192})
    assert saved.params == {"temperature": 1.0, "seed": None}
    assert isinstance(saved.params["temperature"], float)


@pytest.mark.parametrize("raw", [
    {"top_k": 40.0, "seed": 7.0, "max_tokens": 100},  # JSON's whole numbers, either way
    {"temperature": 3, "top_p": "0.5", "min_p": float("nan"), "repeat_penalty": None},
    {"seed": -1, "max_tokens": 0, "top_k": True, "bogus": 1},
])
def test_a_preset_keeps_what_a_chat_keeps(tmp_path: Path, raw: dict[str, object]) -> None:
    """One validator: a preset's settings and a chat's own accept the same values."""
    saved = PresetLibrary(tmp_path).save("Same", "", dict(raw))
    assert saved.apply(GenerationParams()) == (params_from_json(raw) or GenerationParams())
    for name, value in saved.params.items():  # converted as the setting keeps it: 40.0 is 40
        assert value is None or type(value).__name__ == BY_KEY[f"sampling.{name}"].kind


@pytest.mark.parametrize("content", [
    "{not json",
    "[]",
    '{"version": 1, "presets": {"name": "x"}}',
    '{"version": 99, "presets": []}',
    "\udcff",
])
def test_a_damaged_file_means_no_user_presets(tmp_path: Path, content: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / PRESETS_FILE).write_bytes(content.encode("utf-8", "surrogateescape"))
    with caplog.at_level(logging.WARNING, logger="app.core.chat.presets"):
        library = PresetLibrary(tmp_path)
    assert len(library.all()) == 5
    assert caplog.records and PRESETS_FILE in caplog.text
    library.save("Fresh", "start over", {})  # and saving replaces the damaged file
    assert [p.name for p in PresetLibrary(tmp_path).all()][5:] == ["Fresh"]


def test_bad_entries_are_skipped_one_by_one(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    entries = [
        {"name": "Good", "system_prompt": "fine", "params": {"temperature": 0.5, "bogus": 1}},
        {"name": "No prompt"},
        {"name": 7, "system_prompt": "x"},
        {"name": "Bad params", "system_prompt": "x", "params": [1, 2]},
        {"name": "Translate", "system_prompt": "shadowing a built-in"},
        "not an object",
        {"name": "No params", "system_prompt": "also fine"},
    ]
    (tmp_path / PRESETS_FILE).write_text(json.dumps({"version": 1, "presets": entries}), "utf-8")
    with caplog.at_level(logging.WARNING, logger="app.core.chat.presets"):
        library = PresetLibrary(tmp_path)
    users = [p for p in library.all() if not p.builtin]
    assert [(p.name, p.params) for p in users] == [("Good", {"temperature": 0.5}),
                                                    ("No params", {})]
    assert len([r for r in caplog.records if "invalid entry" in r.message]) == 5


def test_a_failed_write_raises_and_changes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("", "utf-8")
    library = PresetLibrary(blocker / "config")  # its folder cannot be created
    with pytest.raises(PresetError, match="could not be saved"):
        library.save("Mine", "x", {})
    assert library.get("user:mine") is None


# -- in Chinese (issue 24) ---------------------------------------------------------------------

_CHINESE_NAMES = {"General chat": "通用对话", "Translate": "翻译", "Summarize": "总结",
                  "Questions and answers": "问答", "Writing": "写作", "English": "英语",
                  "French": "法语", "Chinese (Simplified)": "简体中文",
                  "Chinese (Traditional)": "繁体中文"}


@pytest.fixture
def chinese(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The interface in Chinese, from a small catalog of the names these tests read (the
    real catalog is tested with the others, in test_translations)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from app import i18n

    root = tmp_path_factory.mktemp("locale")
    catalog = Catalog(locale="zh_CN", domain=i18n.DOMAIN)
    for english, chinese in _CHINESE_NAMES.items():
        catalog.add(english, chinese)
    (root / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    with (root / "zh_CN" / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo").open("wb") as file:
        write_mo(file, catalog)
    monkeypatch.setattr(i18n, "locale_dir", lambda: str(root))
    i18n.set_language(i18n.CHINESE)


def _is_chinese(text: str) -> bool:
    return sum("\u4e00" <= c <= "\u9fff" for c in text) > len(text) / 3


def test_builtins_speak_chinese_under_their_own_keys(tmp_path: Path, chinese: None) -> None:
    library = PresetLibrary(tmp_path)
    builtins = [p for p in library.all() if p.builtin]
    assert [p.key for p in builtins] == ["general", "translate", "summarize", "qa", "writing"]
    assert [p.name for p in builtins] == ["通用对话", "翻译", "总结", "问答", "写作"]
    assert all(_is_chinese(p.system_prompt) for p in builtins)
    translate = library.get("translate")
    assert translate is not None and translate.name == "翻译" and translate.needs_language
    assert translate.params == {"temperature": 0.2}  # the same settings in every language


def test_chinese_translate_goes_between_chinese_and_english_by_default(
        tmp_path: Path, chinese: None) -> None:
    from app.core.chat.presets import default_target_language

    translate = PresetLibrary(tmp_path).get("translate")
    assert translate is not None
    assert default_target_language() == "Chinese (Simplified)"
    # Into Chinese; text already Chinese goes into English.
    prompt = translate.prompt_for(None)
    assert "翻译成简体中文" in prompt and "就翻译成英语" in prompt
    assert "{" not in prompt
    # A language chosen from the picker (its English name, as the chat keeps it) is named in
    # Chinese; text already in it goes into Chinese.
    french = translate.prompt_for("French")
    assert "翻译成法语" in french and "就翻译成简体中文" in french
    english = translate.prompt_for("English")
    assert "翻译成英语" in english and "就翻译成简体中文" in english
    traditional = translate.prompt_for("Chinese (Traditional)")
    assert "翻译成繁体中文" in traditional and "就翻译成英语" in traditional


def test_english_translate_is_unchanged(tmp_path: Path) -> None:
    from app.core.chat.presets import default_target_language

    translate = PresetLibrary(tmp_path).get("translate")
    assert translate is not None and translate.name == "Translate"
    assert default_target_language() == "English"
    assert translate.prompt_for(None).startswith(
        "You are a translator. Translate the text the user sends into English.")
    assert "into French." in translate.prompt_for("French")


def test_user_presets_are_never_translated(tmp_path: Path, chinese: None) -> None:
    library = PresetLibrary(tmp_path)
    mine = library.save("My {language} helper", "Answer in {language}.", {})
    assert mine.name == "My {language} helper"
    assert mine.prompt_for("French") == "Answer in French."  # the name as the chat keeps it
    assert PresetLibrary(tmp_path).get(mine.key) == mine


def test_a_builtin_name_in_either_language_is_refused_but_an_old_preset_is_kept(
        tmp_path: Path, chinese: None) -> None:
    from app import i18n

    library = PresetLibrary(tmp_path)
    for name in ("翻译", "Translate", "写作"):
        with pytest.raises(PresetError, match=r"built-in preset"):
            library.save(name, "mine", {})
    i18n.set_language(i18n.ENGLISH)
    saved = library.save("翻译", "saved while the interface was English", {})
    i18n.set_language(i18n.CHINESE)  # the preset stays: a user's preset is never dropped
    assert PresetLibrary(tmp_path).get(saved.key) == saved


def test_a_chat_started_with_a_preset_keeps_it_across_a_language_switch(
        tmp_path: Path, chinese: None) -> None:
    from app import i18n
    from app.core.chat.service import ChatService
    from app.core.chat.store import ConversationStore
    from app.core.settings.file import SettingsFile

    store = ConversationStore.open_in(tmp_path)
    service = ChatService(store, SettingsFile.in_memory())
    library = PresetLibrary(tmp_path)
    translate = library.get("translate")
    assert translate is not None
    conversation = service.new()
    service.apply_preset(conversation, translate, "French")
    chinese_prompt = conversation.system_prompt
    assert conversation.preset == "translate" and "法语" in chinese_prompt

    i18n.set_language(i18n.ENGLISH)
    again = library.get(conversation.preset or "")
    assert again is not None and again.name == "Translate"  # found by its key, now English
    assert conversation.system_prompt == chinese_prompt  # the chat keeps its own copy
    service.close()
    store.close()
