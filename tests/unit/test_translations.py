"""The translations are complete and current: the test command fails when a `.ts` has
unfinished or removed strings after lupdate, when the `.po` lacks a message of the code, keeps
one the code dropped, or leaves one untranslated, and when the committed `.qm` or `.mo` say
something other than their sources (`scripts/translations.py` says how to bring them up to
date)."""

from __future__ import annotations

import ast
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


# -- what the extractors cannot see -------------------------------------------------------------

def _calls(root: Path) -> list[tuple[str, int, str | None, ast.Call]]:
    """Every call in `root`'s Python files, with its file, line and enclosing class."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes: dict[ast.AST, str] = {}
        for node in ast.walk(tree):  # outer classes first: a call takes its outermost's name
            if isinstance(node, ast.ClassDef):
                for inner in ast.walk(node):
                    if inner is not node:
                        classes.setdefault(inner, node.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                where = f"{path.relative_to(translations.ROOT)}:{node.lineno}"
                found.append((where, node.lineno, classes.get(node), node))
    return found


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def test_every_message_in_the_code_is_in_the_catalog() -> None:
    """Babel reads no message inside an f-string's braces (`f"{_('Copy')}"`), and a literal
    it misses is shown in English forever: every literal the core or the terminal passes to
    `_()`, `N_()` or `ngettext()` must be one Babel extracted."""
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in translations.extract()
                 if m.id}
    missed = []
    for where, _line, _class, call in _calls(translations.APP):
        if "app/qt/" in where or not isinstance(call.func, ast.Name):
            continue
        if call.func.id in {"_", "N_", "ngettext"} and call.args:
            text = _literal(call.args[0])
            if text is not None and text not in extracted:
                missed.append(f"{where}: {text!r}")
    assert not missed, "\n".join(missed)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_window_string_in_the_code_is_in_the_ts(code: str) -> None:
    """The same for the window: `self.tr("…")` (in its class's context, as lupdate reads it)
    and `QCoreApplication.translate("Context", "…")` with literals, each in the `.ts`."""
    in_ts = {(context, source) for context, source, _forms in _ts_messages(code)}
    in_ts |= {(context, source) for context, source in _ts_sources(code)}
    missed = []
    for where, _line, enclosing, call in _calls(translations.QT_SOURCES):
        name = call.func.attr if isinstance(call.func, ast.Attribute) else (
            call.func.id if isinstance(call.func, ast.Name) else "")
        if name == "tr" and call.args and enclosing is not None:
            key = (enclosing, _literal(call.args[0]))
        elif name == "translate" and len(call.args) >= 2:
            key = (_literal(call.args[0]), _literal(call.args[1]))
        else:
            continue
        if None not in key and key not in in_ts:
            missed.append(f"{where}: {key}")
    assert not missed, "\n".join(missed)


def _ts_sources(code: str) -> list[tuple[str, str]]:
    return [(context.findtext("name") or "", message.findtext("source") or "")
            for context in ET.parse(translations.ts_path(code)).getroot().iter("context")
            for message in context.iter("message")]
