"""Keeps the translations in step with the code: the window's `.ts` and the core's `.po`.

    .venv/bin/python scripts/translations.py update    # after changing strings in the code
    .venv/bin/python scripts/translations.py compile   # after translating: writes .qm and .mo
    .venv/bin/python scripts/translations.py check     # what the tests check, in words

`update` runs pyside6-lupdate over `app/qt` into `resources/translations/lamplight_<code>.ts`
(new strings come in unfinished, removed ones go) and Babel over the rest of `app` into
`resources/locale/lamplight.pot` and each `<code>/LC_MESSAGES/lamplight.po` (new ones empty,
removed ones dropped). Translate in Qt Linguist (`pyside6-linguist`) or any `.po` editor, then
`compile`. The compiled `.qm` and `.mo` are committed, so an install needs no build step; the
tests (tests/unit/test_translations.py) fail when any of them is behind the code.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
QT_SOURCES = APP / "qt"
TS_DIR = ROOT / "resources" / "translations"
LOCALE_DIR = ROOT / "resources" / "locale"
DOMAIN = "lamplight"
LANGUAGES = ("zh_CN",)
BIN = Path(sys.executable).parent
# Babel's default keywords (_, N_, ngettext, ...) over the core, the terminal and the server.
_BABEL_METHODS = [("**/qt/**.py", "ignore"), ("**.py", "python")]


def ts_path(code: str) -> Path:
    return TS_DIR / f"lamplight_{code}.ts"


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def run_lupdate(ts: Path, code: str) -> None:
    """Brings `ts` in step with app/qt: no line numbers (so an edit elsewhere in a file
    changes nothing), removed strings dropped."""
    subprocess.run([str(BIN / "pyside6-lupdate"), "-silent", "-locations", "none",
                    "-no-obsolete", "-target-language", code, "-extensions", "py",
                    str(QT_SOURCES), "-ts", str(ts)], check=True)


def run_lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([str(BIN / "pyside6-lrelease"), "-silent", "-removeidentical", str(ts),
                    "-qm", str(qm)], check=True)


def extract() -> Catalog:
    """Every message of the core, the terminal and the server, as Babel finds them."""
    catalog = Catalog(project="Lamplight", domain=DOMAIN, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(APP), _BABEL_METHODS, comment_tags=("TRANSLATORS:",)):
        catalog.add(message, None, [(str(Path("app") / filename), lineno)],
                    auto_comments=comments, context=context)
    return catalog


def _write_po(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True,
             include_lineno=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def read_catalog(path: Path, code: str) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=code, domain=DOMAIN)


def update() -> None:
    template = extract()
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    if pot.exists():  # the same messages keep their date: an update changes nothing then
        with pot.open("rb") as file:
            old = read_po(file, domain=DOMAIN)
        if {m.id for m in old} == {m.id for m in template}:
            template.creation_date = old.creation_date
    _write_po(template, pot)
    for code in LANGUAGES:
        TS_DIR.mkdir(parents=True, exist_ok=True)
        run_lupdate(ts_path(code), code)
        po = po_path(code)
        catalog = read_catalog(po, code) if po.exists() else Catalog(locale=code, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write_po(catalog, po)


def compile_all() -> None:
    for code in LANGUAGES:
        run_lrelease(ts_path(code), ts_path(code).with_suffix(".qm"))
        catalog = read_catalog(po_path(code), code)
        with po_path(code).with_suffix(".mo").open("wb") as file:
            write_mo(file, catalog, use_fuzzy=False)


def _ts_problems(ts: Path) -> list[str]:
    problems = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            kind = translation.get("type") if translation is not None else "unfinished"
            if kind in {"unfinished", "vanished", "obsolete"}:
                problems.append(f"{ts.name}: {kind}: {name}: {message.findtext('source')!r}")
    return problems


def _po_problems(po: Path, template: Catalog) -> list[str]:
    catalog = read_catalog(po, po.parent.parent.name)
    problems = []
    wanted = {m.id for m in template if m.id}
    have = {m.id for m in catalog if m.id}
    problems += [f"{po.name}: missing: {_key(i)!r}" for i in sorted(wanted - have, key=str)]
    problems += [f"{po.name}: obsolete: {_key(i)!r}" for i in sorted(have - wanted, key=str)]
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"{po.name}: unfinished: {_key(message.id)!r}")
    return problems


def _key(message_id: object) -> str:
    return message_id[0] if isinstance(message_id, tuple) else str(message_id)


def problems() -> list[str]:
    """What stands between the code and complete, current translations: a `.ts` that lupdate
    would change (unfinished or removed strings), a `.po` missing a message, keeping one the
    code no longer has, or leaving one untranslated, and compiled files behind their source."""
    found: list[str] = []
    template = extract()
    with tempfile.TemporaryDirectory() as tmp:
        for code in LANGUAGES:
            ts = ts_path(code)
            copy = Path(tmp) / ts.name
            copy.write_bytes(ts.read_bytes() if ts.exists() else b"")
            if ts.exists():
                run_lupdate(copy, code)
                found += _ts_problems(copy)
            else:
                found.append(f"{ts} is missing")
            po = po_path(code)
            if po.exists():
                found += _po_problems(po, template)
            else:
                found.append(f"{po} is missing")
    return found


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("update", "compile", "check"))
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.action == "update":
        update()
    elif args.action == "compile":
        compile_all()
    else:
        found = problems()
        print("\n".join(found) or "translations complete and current")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
