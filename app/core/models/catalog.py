"""The curated catalog: a short list of instruct models that `lamplight models pull NAME` fetches.

The hub can be searched, but a newcomer needs a few good, ungated choices of several sizes, each
naming one exact file, so that a name means the same bytes for everyone. The list is data
(`resources/catalog.json`), checked here when it is loaded: a bad edit fails with a message naming
the entry and the field, not later as a failed download. Its sizes are for showing and for "will
it fit"; a download is verified against the size and SHA-256 the hub reports, not against them.

An entry may say where ModelScope keeps the same file (`modelscope_repo`), for when ModelScope is
the model source, and may describe the model in Chinese too (`description_zh`), shown when the
app speaks Chinese.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any, get_type_hints

from app.core.models import sources
from app.i18n import _, is_chinese
from app.paths import resources_dir

CATALOG_FILE = "catalog.json"
VERSION = 1
_REPO = re.compile(r"[^/\s]+/[^/\s]+")  # owner/name


class CatalogError(ValueError):
    """The catalog cannot be read or an entry is malformed; the message says which and why."""


@dataclass(frozen=True)
class CatalogEntry:
    name: str  # short slug used on the command line: "qwen2.5-1.5b-instruct"
    label: str
    family: str
    params: str  # as people say it: "1.5B"
    repo: str  # "owner/name" on the hub
    file: str  # exact file name in the repo
    quant: str
    size_bytes: int
    context_length: int  # trained context, in tokens
    license: str
    description: str
    # Thinks before it answers: a thinking section (<think>…</think>) comes before the answer.
    # Optional in the file, false when absent.
    reasoning: bool = False
    # The description for readers of Chinese, written for them (not word for word). Optional.
    description_zh: str | None = None
    # "owner/name" of the repo on ModelScope that holds the same file. Optional: absent when
    # ModelScope has no such repo that the publisher (or a known uploader) keeps.
    modelscope_repo: str | None = None

    @property
    def key(self) -> str:
        """`repo/file`: what the entry points at, unambiguously."""
        return f"{self.repo}/{self.file}"

    def repo_on(self, kind: str) -> str | None:
        """The repo that holds the file on a source of this kind (`sources.KINDS`); None when
        that source has none (ModelScope, for an entry without `modelscope_repo`)."""
        return self.modelscope_repo if kind == sources.MODELSCOPE else self.repo

    @property
    def keys(self) -> tuple[str, ...]:
        """`repo/file` on every source that has the file: where it may be installed."""
        return tuple(dict.fromkeys(f"{repo}/{self.file}" for repo in
                                   (self.repo, self.modelscope_repo) if repo))

    def shown_description(self) -> str:
        """The description in the app's language: the Chinese one when it speaks Chinese."""
        return self.description_zh if is_chinese() and self.description_zh else \
            self.description


# A field's type; an optional one (`str | None`) is checked as its type when it is present.
_TYPES: dict[str, type] = {name: (str if hint == (str | None) else hint)
                           for name, hint in get_type_hints(CatalogEntry).items()}
_OPTIONAL = frozenset(f.name for f in fields(CatalogEntry) if f.default is not MISSING)


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """The entries of the catalog at `path` (default: the shipped one), in file order."""
    path = path if path is not None else resources_dir() / CATALOG_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(_("cannot read the model catalog {path}: {why}").format(
            path=path, why=exc)) from exc
    except json.JSONDecodeError as exc:
        raise CatalogError(_("the model catalog {path} is not valid JSON: {why}").format(
            path=path, why=exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise CatalogError(_("the model catalog {path} has no \"models\" list").format(
            path=path))
    if data.get("version") != VERSION:
        raise CatalogError(_("the model catalog {path} has version {found}; this version of "
                             "Lamplight reads version {version}").format(
            path=path, found=repr(data.get("version")), version=VERSION))
    entries = [_entry(i, raw) for i, raw in enumerate(data["models"], start=1)]
    names: set[str] = set()
    keys: set[str] = set()
    for e in entries:
        if e.name.lower() in names:
            raise CatalogError(_("catalog entry {name}: another entry has the same name").format(
                name=repr(e.name)))
        own = {k.lower(): k for k in reversed(e.keys)}  # its own repos may differ by case
        for lower, key in own.items():
            if lower in keys:
                raise CatalogError(_("catalog entry {name}: another entry points at {key} too")
                                   .format(name=repr(e.name), key=key))
            keys.add(lower)
        names.add(e.name.lower())
    return entries


def _entry(index: int, raw: object) -> CatalogEntry:
    if not isinstance(raw, dict):
        raise CatalogError(_("catalog entry #{index} is not an object").format(index=index))
    name = raw.get("name")
    where = _("catalog entry {name}").format(name=repr(name)) \
        if isinstance(name, str) and name.strip() else \
        _("catalog entry #{index}").format(index=index)
    values: dict[str, Any] = {}
    for field, kind in _TYPES.items():
        if field not in raw:
            if field in _OPTIONAL:
                continue  # the dataclass's default
            raise CatalogError(_("{where}: \"{field}\" is missing").format(
                where=where, field=field))
        value = raw[field]
        shown = repr(value)[:100]
        if kind is bool and not isinstance(value, bool):
            raise CatalogError(_("{where}: \"{field}\" must be true or false, not {value}")
                               .format(where=where, field=field, value=shown))
        if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            raise CatalogError(_("{where}: \"{field}\" must be a positive whole number, not "
                                 "{value}").format(where=where, field=field, value=shown))
        if kind is str and (not isinstance(value, str) or not value.strip()):
            raise CatalogError(_("{where}: \"{field}\" must be a non-empty string, not {value}")
                               .format(where=where, field=field, value=shown))
        values[field] = value
    for field in ("repo", "modelscope_repo"):
        if field in values and not _REPO.fullmatch(values[field]):
            raise CatalogError(_("{where}: \"{field}\" must look like owner/name, not {value}")
                               .format(where=where, field=field, value=repr(values[field])))
    if not values["file"].lower().endswith(".gguf"):
        raise CatalogError(_("{where}: \"file\" must be a .gguf file, not {value}").format(
            where=where, value=repr(values["file"])))
    return CatalogEntry(**values)


def find_entry(entries: Iterable[CatalogEntry], key: str) -> CatalogEntry | None:
    """The entry whose name, repo ("owner/name") or "repo/file" is `key`, ignoring case; its
    ModelScope repo counts as its repo.

    A repo that holds more than one catalog entry does not choose between them: None.
    """
    wanted = key.strip().lower()
    pool = list(entries)
    for e in pool:
        if wanted == e.name.lower() or wanted in (k.lower() for k in e.keys):
            return e
    by_repo = [e for e in pool
               if wanted in (e.repo.lower(), (e.modelscope_repo or "").lower())]
    return by_repo[0] if len(by_repo) == 1 else None


@functools.cache
def shipped_label(repo: str, file: str) -> str | None:
    """The shipped catalog's name for the model `file` of `repo` ("Gemma 3 1B Instruct"), so
    that a model downloaded from the catalog keeps the name it was chosen by; None for any
    other file. The catalog is read once."""
    try:
        entries = load_catalog()
    except CatalogError:
        return None
    entry = find_entry(entries, f"{repo}/{file}")
    return entry.label if entry is not None else None
