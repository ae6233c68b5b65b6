"""The curated catalog: a short list of instruct models that `lamplight models pull NAME` fetches.

The hub can be searched, but a newcomer needs a few good, ungated choices of several sizes, each
naming one exact file, so that a name means the same bytes for everyone. The list is data
(`resources/catalog.json`), checked here when it is loaded: a bad edit fails with a message naming
the entry and the field, not later as a failed download. Its sizes are for showing and for "will
it fit"; a download is verified against the size and SHA-256 the hub reports, not against them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any, get_type_hints

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

    @property
    def key(self) -> str:
        """`repo/file`: what the entry points at, unambiguously."""
        return f"{self.repo}/{self.file}"


_TYPES: dict[str, type] = get_type_hints(CatalogEntry)
_OPTIONAL = frozenset(f.name for f in fields(CatalogEntry) if f.default is not MISSING)


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """The entries of the catalog at `path` (default: the shipped one), in file order."""
    path = path if path is not None else resources_dir() / CATALOG_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read the model catalog {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CatalogError(f"the model catalog {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise CatalogError(f"the model catalog {path} has no \"models\" list")
    if data.get("version") != VERSION:
        raise CatalogError(f"the model catalog {path} has version {data.get('version')!r}; "
                           f"this version of Lamplight reads version {VERSION}")
    entries = [_entry(i, raw) for i, raw in enumerate(data["models"], start=1)]
    names: set[str] = set()
    keys: set[str] = set()
    for e in entries:
        if e.name.lower() in names:
            raise CatalogError(f"catalog entry {e.name!r}: another entry has the same name")
        if e.key.lower() in keys:
            raise CatalogError(f"catalog entry {e.name!r}: another entry points at {e.key} too")
        names.add(e.name.lower())
        keys.add(e.key.lower())
    return entries


def _entry(index: int, raw: object) -> CatalogEntry:
    if not isinstance(raw, dict):
        raise CatalogError(f"catalog entry #{index} is not an object")
    name = raw.get("name")
    where = f"catalog entry {name!r}" if isinstance(name, str) and name.strip() else (
        f"catalog entry #{index}")
    values: dict[str, Any] = {}
    for field, kind in _TYPES.items():
        if field not in raw:
            if field in _OPTIONAL:
                continue  # the dataclass's default
            raise CatalogError(f"{where}: \"{field}\" is missing")
        value = raw[field]
        if kind is bool and not isinstance(value, bool):
            raise CatalogError(f"{where}: \"{field}\" must be true or false, not {value!r}")
        if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            raise CatalogError(f"{where}: \"{field}\" must be a positive whole number, "
                               f"not {value!r}")
        if kind is str and (not isinstance(value, str) or not value.strip()):
            raise CatalogError(f"{where}: \"{field}\" must be a non-empty string, not {value!r}")
        values[field] = value
    if not _REPO.fullmatch(values["repo"]):
        raise CatalogError(f"{where}: \"repo\" must look like owner/name, not {values['repo']!r}")
    if not values["file"].lower().endswith(".gguf"):
        raise CatalogError(f"{where}: \"file\" must be a .gguf file, not {values['file']!r}")
    return CatalogEntry(**values)


def find_entry(entries: Iterable[CatalogEntry], key: str) -> CatalogEntry | None:
    """The entry whose name, repo ("owner/name") or "repo/file" is `key`, ignoring case.

    A repo that holds more than one catalog entry does not choose between them: None.
    """
    wanted = key.strip().lower()
    pool = list(entries)
    for e in pool:
        if wanted in (e.name.lower(), e.key.lower()):
            return e
    by_repo = [e for e in pool if e.repo.lower() == wanted]
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
