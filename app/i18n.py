"""The language Lamplight speaks: gettext catalogs for the core's and the terminal's messages.

Every user-facing message of `app.core` and `app.cli` goes through `_()` (or `ngettext()` for a
count), so the window, which shows the core's messages too, and the terminal say the same
thing. A message defined before any language is chosen (a setting's label, a preset's name)
is marked with `N_()` where it is written and translated with `_()` where it is shown.

The catalogs are `resources/locale/<code>/LC_MESSAGES/lamplight.mo`, compiled from the `.po`
beside them (Babel: `scripts/translations.py`). The window's own strings are Qt's (`.ts` →
`.qm`, `app/qt/i18n.py`); both follow the one choice made here.

Which language: the *Language* setting ("system", "en" or "zh_CN"); "system" follows
`LANGUAGE`, `LC_ALL`, `LC_MESSAGES` and `LANG`, in gettext's order, then the system's locale.
"""

from __future__ import annotations

import gettext
import locale
import os
import threading

from app.paths import resources_dir

DOMAIN = "lamplight"
ENGLISH = "en"
CHINESE = "zh_CN"
# The languages Lamplight has, each named in itself (the way a language menu names them).
LANGUAGES: dict[str, str] = {ENGLISH: "English", CHINESE: "简体中文"}
SYSTEM = "system"

_lock = threading.Lock()
_current = ENGLISH
_catalog: gettext.NullTranslations = gettext.NullTranslations()


def locale_dir() -> str:
    return str(resources_dir() / "locale")


def supported(code: str | None) -> str | None:
    """The language of ours a locale name asks for ("zh_CN.UTF-8", "zh-Hans", "en_GB"), or
    None. Every Chinese locale gets Simplified Chinese, the one we have: nearer to what a
    reader of Traditional Chinese reads than English is."""
    if not code:
        return None
    base = code.split(".")[0].split("@")[0].replace("-", "_").lower()
    if base in {"c", "posix"}:
        return ENGLISH
    if base == "zh" or base.startswith("zh_"):
        return CHINESE
    if base == "en" or base.startswith("en_"):
        return ENGLISH
    return None


def system_language() -> str:
    """What the environment asks for, as gettext reads it: the first of `LANGUAGE` (a
    colon-separated list of preferences), `LC_ALL`, `LC_MESSAGES` and `LANG` that is set, its
    first language we have; else the system's locale; else English."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            for each in value.split(":"):
                found = supported(each)
                if found:
                    return found
            if name != "LANGUAGE":  # LANGUAGE falls through when it names nothing we have
                return ENGLISH
    try:
        found = supported(locale.getlocale()[0])
    except ValueError:
        found = None
    return found or ENGLISH


def resolve(setting: object) -> str:
    """The language a *Language* setting means: its own when we have it, else the system's."""
    if isinstance(setting, str) and setting in LANGUAGES:
        return setting
    return system_language()


def set_language(code: str) -> str:
    """Speak `code` from now on (a code of `LANGUAGES`, or "system"); returns the language
    chosen. A missing catalog is English, never an error."""
    global _current, _catalog
    chosen = resolve(code)
    catalog: gettext.NullTranslations
    if chosen == ENGLISH:
        catalog = gettext.NullTranslations()
    else:
        catalog = gettext.translation(DOMAIN, locale_dir(), languages=[chosen], fallback=True)
    with _lock:
        _current, _catalog = chosen, catalog
    return chosen


def current() -> str:
    return _current


def is_chinese() -> bool:
    return _current == CHINESE


def _(message: str) -> str:
    """`message` in the current language."""
    return _catalog.gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` of a message that counts something, in the current language."""
    return _catalog.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for the catalog without translating it: it is translated where shown."""
    return message

