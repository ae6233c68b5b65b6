"""The translations are complete and current: the test command fails when a `.ts` has
unfinished or removed strings after lupdate, when the `.po` lacks a message of the code, keeps
one the code dropped, or leaves one untranslated, and when the committed `.qm` or `.mo` say
something other than their sources (`scripts/translations.py` says how to bring them up to
date)."""

from __future__ import annotations

import gettext
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scripts import translations

pytestmark = pytest.mark.qt

LANGUAGES = translations.LANGUAGES
_PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\(\w+\)[sd]|%[sdn]|%L?\d")


def test_every_string_is_translated_and_none_is_left_over() -> None:
    found = translations.problems()
    assert not found, ("run `.venv/bin/python scripts/translations.py update`, translate, then "
                       "`compile`:\n" + "\n".join(found[:60]))


def _ts_messages(code: str) -> list[tuple[str, str, list[str]]]:
    """(context, source, translations) of every finished message of the `.ts`."""
    out = []
    for context in ET.parse(translations.ts_path(code)).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            node = message.find("translation")
            if node is None or node.get("type"):
                continue
            forms = [f.text or "" for f in node.iter("numerusform")] or [node.text or ""]
            out.append((name, message.findtext("source") or "", forms))
    return out


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_compiled_qm_says_what_the_ts_says(code: str) -> None:
    from PySide6.QtCore import QTranslator

    translator = QTranslator()
    assert translator.load(str(translations.ts_path(code).with_suffix(".qm")))
    stale = []
    for context, source, forms in _ts_messages(code):
        if "%n" in source:
            got = translator.translate(context, source, None, 2)
        else:
            got = translator.translate(context, source)
        got = got or source  # lrelease leaves out a translation that is the source itself
        if got != forms[0]:
            stale.append(f"{context}: {source!r}: {got!r}, not {forms[0]!r}")
    assert not stale, "run `scripts/translations.py compile`:\n" + "\n".join(stale[:40])


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_compiled_mo_says_what_the_po_says(code: str) -> None:
    po = translations.read_catalog(translations.po_path(code), code)
    with translations.po_path(code).with_suffix(".mo").open("rb") as file:
        mo = gettext.GNUTranslations(file)
    stale = []
    for message in po:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            got = mo.ngettext(message.id[0], message.id[1], 1)
            want = message.string[0]
        else:
            got, want = mo.gettext(message.id), message.string
        if got != want:
            stale.append(f"{message.id!r}: {got!r}, not {want!r}")
    assert not stale, "run `scripts/translations.py compile`:\n" + "\n".join(stale[:40])


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


@pytest.mark.parametrize("code", LANGUAGES)
def test_translations_keep_every_placeholder(code: str) -> None:
    """A translation that drops or misspells `{name}` or `%n` would show the wrong thing or
    raise when formatted."""
    wrong = [f"{context}: {source!r} → {forms[0]!r}"
             for context, source, forms in _ts_messages(code)
             for form in forms if _placeholders(form) != _placeholders(source)]
    po = translations.read_catalog(translations.po_path(code), code)
    for message in po:
        if not message.id:
            continue
        source = message.id[1] if isinstance(message.id, tuple) else message.id  # the plural
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wrong += [f"{source!r} → {s!r}" for s in strings
                  if set(_placeholders(s)) != set(_placeholders(source))]
    assert not wrong, "\n".join(wrong[:40])


def test_the_catalogs_are_where_the_app_reads_them() -> None:
    from app import i18n
    from app.qt.i18n import translations_dir

    assert Path(translations_dir()) == translations.TS_DIR
    assert Path(i18n.locale_dir()) == translations.LOCALE_DIR
