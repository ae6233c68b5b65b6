"""A model's display name: the one name the picker, the Models page, the status bar, the
terminal and a saved answer give it ("Gemma 3 270m · Q4_K_M").

It is the GGUF's `general.name` when that is believable, else the file's name cleaned up, and
the quantization after it, so that two files of one model tell apart. Both come from outside:
control and formatting characters (a newline, a right-to-left override) go, and the length is
bounded. A `general.name` is not believed when it is a training run's tag list ("Smollm2 135M
8k Lc100K Mix1 Ep2"), a placeholder ("Models", "ggml model"), one bare word, a path or too long;
then "gemma-3-270m-q4_k_m.gguf" reads "Gemma 3 270m · Q4_K_M", which for files named as on the
hub is the same name the header gives.

The display name is only ever shown. What settings, per-model overrides and `--model` key on is
`ModelEntry.name`, from the file's path, which this never changes.

Reading a header takes 25–55 ms, so it is never done while listing (the picker lists on the GUI
thread): what headers said is remembered for the session per file (its path, size and mtime),
filled by whoever reads them (`learn`, `remember`), and a file not read yet has its cleaned
file name meanwhile.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from app.core.engine.gguf import GGUFError, GGUFHeader, read_header
from app.core.models.hub import quant_of

MAX_NAME = 64  # characters of a name before its quantization; a longer general.name is not used
MAX_WORDS = 8
SEPARATOR = " · "
_REMEMBERED = 1024  # files whose names are kept; the oldest go first
# Words of a training run rather than of a model: "Ep2", "Mix1", "Lc100K", "step5000".
_RUN_TAG = re.compile(r"(?:ep|epoch|step|steps|mix|lc|ckpt|checkpoint|iter|run|seed)[-_]?\d+[km]?",
                      re.IGNORECASE)
_PLACEHOLDERS = frozenset({
    "model", "models", "ggml model", "gguf", "gguf model", "unknown", "untitled", "merged",
    "merged model", "output", "out", "test", "tmp", "llm", "base model", "hf", "main", "none",
})
_SPLIT = re.compile(r"-\d{5}-of-\d{5}$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-]+")


def clean(text: str) -> str:
    """Outside text as one plain line: control, formatting and private-use characters gone
    (a lone surrogate too), any kind of space or line break one space."""
    kept = []
    for char in text:
        kind = unicodedata.category(char)
        if kind[0] == "Z" or char in "\t\n\r\v\f":
            kept.append(" ")
        elif kind not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    return " ".join("".join(kept).split())


def _bounded(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def believable(general_name: str) -> bool:
    """Whether a header's `general.name` (cleaned) names a model well enough to be shown."""
    words = general_name.split()
    return (len(general_name) <= MAX_NAME and 2 <= len(words) <= MAX_WORDS
            and any(c.isalpha() for c in general_name)
            and general_name.casefold() not in _PLACEHOLDERS
            and not any(_RUN_TAG.fullmatch(w) for w in words)
            and "/" not in general_name and "\\" not in general_name)


def from_file_name(file_name: str) -> str:
    """A name from the file's: the extension, a split file's part number and the
    quantization off, separators as spaces ("gemma-3-270m-q4_k_m.gguf" → "Gemma 3 270m")."""
    stem = clean(file_name)
    if stem.lower().endswith(".gguf"):
        stem = stem[:-len(".gguf")]
    stem = _SPLIT.sub("", stem)
    quant = quant_of(stem)
    if quant:
        start = stem.upper().rfind(quant)
        stem = stem[:start] + stem[start + len(quant):]
    words = _SEPARATORS.sub(" ", stem).strip(" .")
    if not words:
        words = clean(file_name) or "model"
    if not any(c.isupper() for c in words):
        words = words[0].upper() + words[1:]
    return _bounded(words)


def display_name(file_name: str, general_name: str | None = None,
                 quantization: str | None = None) -> str:
    """The name to show for a model file: its believable `general_name` or its cleaned
    `file_name`, then the quantization (the header's, else the one the file name says)."""
    name = clean(general_name or "")
    base = name if name and believable(name) else from_file_name(file_name)
    quant = clean(quantization or "")[:16] or quant_of(file_name)
    if quant and quant.casefold() not in base.casefold().split():
        return f"{base}{SEPARATOR}{quant}"
    return base


def header_display_name(path: Path, header: GGUFHeader) -> str:
    return display_name(path.name, header.name, header.quantization)


# -- what headers said, per file, for this session ---------------------------------------------

Signature = tuple[int, int]
_lock = threading.Lock()  # headers are read on worker threads; listing reads on the GUI's
_known: OrderedDict[str, tuple[Signature, str]] = OrderedDict()


def signature_of(path: Path) -> Signature | None:
    """What tells a file changed since it was read: its size and modification time; None
    when it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _store(path: Path, signature: Signature, name: str) -> None:
    with _lock:
        key = str(path.absolute())
        _known[key] = (signature, name)
        _known.move_to_end(key)
        while len(_known) > _REMEMBERED:
            _known.popitem(last=False)


def remember(path: Path, header: GGUFHeader) -> str:
    """Keep what `header` (just read from `path`) says the model is called; its name."""
    name = header_display_name(path, header)
    signature = signature_of(path)
    if signature is not None:
        _store(path, signature, name)
    return name


def known(path: Path) -> str | None:
    """The display name of `path` if its header was read (or found unreadable) since the file
    last changed; None if it was not. Reads no header."""
    signature = signature_of(path)
    with _lock:
        found = _known.get(str(path.absolute()))
    return found[1] if found is not None and found[0] == signature else None


def of(path: Path) -> str:
    """The display name of `path`: as its header said, else from its file name. Reads no
    header."""
    return known(path) or display_name(path.name)


def learn(paths: Iterable[Path]) -> None:
    """Read the headers of the files not known yet and remember their names (blocking: 25–55
    ms a file; run it off the GUI thread). An unreadable file is remembered by its file name,
    so it is not read again until it changes."""
    for path in paths:
        signature = signature_of(path)
        if signature is None or known(path) is not None:
            continue
        try:
            remember(path, read_header(path))
        except (GGUFError, OSError):
            _store(path, signature, display_name(path.name))
