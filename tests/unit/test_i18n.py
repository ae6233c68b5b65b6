"""app.i18n: which language a locale name or the environment asks for, what the Language
setting means, and a missing catalog that leaves the messages in English."""

from __future__ import annotations

import locale
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from app import i18n

_ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No locale variable set, and a system locale that names nothing we have."""
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(locale, "getlocale", lambda *args: ("fr_FR", "UTF-8"))
    return monkeypatch


@pytest.fixture
def catalog_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small compiled zh_CN catalog, where the app reads its catalogs."""
    catalog = Catalog(locale="zh_CN", domain=i18n.DOMAIN)
    catalog.add("usage: ", "用法：")
    catalog.add(("%(n)d part", "%(n)d parts"), ("%(n)d 个部分",))
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{i18n.DOMAIN}.mo").open("wb") as file:
        write_mo(file, catalog)
    monkeypatch.setattr(i18n, "locale_dir", lambda: str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(("name", "language"), [
    ("zh_CN.UTF-8", "zh_CN"), ("zh_CN", "zh_CN"), ("zh-Hans", "zh_CN"), ("zh_TW.Big5", "zh_CN"),
    ("zh_HK", "zh_CN"), ("zh", "zh_CN"), ("en_US.UTF-8", "en"), ("en_GB@euro", "en"),
    ("en", "en"), ("C", "en"), ("C.UTF-8", "en"), ("POSIX", "en"), ("fr_FR.UTF-8", None),
    ("de", None), ("", None), (None, None),
])
def test_a_locale_name_asks_for_one_of_our_languages(name: str | None,
                                                     language: str | None) -> None:
    assert i18n.supported(name) == language


@pytest.mark.parametrize(("variables", "language"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    # LANGUAGE comes first, and is a list of preferences: its first language we have.
    ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"LANGUAGE": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),
    # A LANGUAGE naming nothing we have falls through to the next variable.
    ({"LANGUAGE": "fr:de", "LC_ALL": "zh_CN.UTF-8"}, "zh_CN"),
    # Then LC_ALL, LC_MESSAGES and LANG, in gettext's order.
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"LC_MESSAGES": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    # The first of them that is set decides, even for a language we lack: English then.
    ({"LC_ALL": "fr_FR.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
])
def test_the_environment_asks_in_gettext_order(environment: pytest.MonkeyPatch,
                                               variables: dict[str, str],
                                               language: str) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)
    assert i18n.system_language() == language


def test_without_locale_variables_the_system_locale_decides(
        environment: pytest.MonkeyPatch) -> None:
    assert i18n.system_language() == "en"  # fr_FR: not ours
    environment.setattr(locale, "getlocale", lambda *args: ("zh_CN", "UTF-8"))
    assert i18n.system_language() == "zh_CN"
    environment.setattr(locale, "getlocale", lambda *args: (None, None))
    assert i18n.system_language() == "en"

    def broken(*args: object) -> tuple[str, str]:
        raise ValueError("unknown locale")

    environment.setattr(locale, "getlocale", broken)
    assert i18n.system_language() == "en"


def test_the_setting_names_a_language_or_follows_the_system(
        environment: pytest.MonkeyPatch) -> None:
    environment.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.resolve("en") == "en"
    assert i18n.resolve("zh_CN") == "zh_CN"
    assert i18n.resolve("system") == "zh_CN"
    for odd in ("klingon", "", None, 3):
        assert i18n.resolve(odd) == "zh_CN"  # not a language of ours: the system's
    environment.setenv("LANG", "C")
    assert i18n.resolve("system") == "en"
    assert i18n.resolve("zh_CN") == "zh_CN"  # the setting over the environment


def test_a_catalog_translates_and_english_needs_none(catalog_dir: Path) -> None:
    assert i18n.set_language("zh_CN") == "zh_CN"
    assert i18n.current() == "zh_CN" and i18n.is_chinese()
    assert i18n._("usage: ") == "用法："
    assert i18n.ngettext("%(n)d part", "%(n)d parts", 1) % {"n": 1} == "1 个部分"
    assert i18n.ngettext("%(n)d part", "%(n)d parts", 5) % {"n": 5} == "5 个部分"
    assert i18n._("not in the catalog") == "not in the catalog"
    assert i18n._("") == ""  # not the catalog's header
    assert i18n.N_("usage: ") == "usage: "  # marked only; translated where shown

    assert i18n.set_language("en") == "en"
    assert not i18n.is_chinese()
    assert i18n._("usage: ") == "usage: "
    assert i18n.ngettext("%(n)d part", "%(n)d parts", 5) % {"n": 5} == "5 parts"


def test_a_missing_catalog_leaves_english_not_an_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "locale_dir", lambda: str(tmp_path / "nowhere"))
    i18n.set_language("zh_CN")
    assert i18n._("usage: ") == "usage: "
    assert i18n.ngettext("%(n)d part", "%(n)d parts", 2) % {"n": 2} == "2 parts"


def test_system_follows_the_environment_when_set(environment: pytest.MonkeyPatch,
                                                 catalog_dir: Path) -> None:
    environment.setenv("LANGUAGE", "zh_CN")
    assert i18n.set_language("system") == "zh_CN"
    assert i18n._("usage: ") == "用法："
    environment.setenv("LANGUAGE", "en")
    assert i18n.set_language("system") == "en"
    assert i18n._("usage: ") == "usage: "
