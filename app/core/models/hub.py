"""What the Hugging Face Hub has: search GGUF repos and list their files with size and hash.

Everything here goes through the real `huggingface_hub` client, so `HF_ENDPOINT`, `HF_TOKEN` and
`HF_HUB_OFFLINE` work as everywhere in the hub ecosystem. The endpoint and the offline switch are
read at each call, not when `huggingface_hub` happens to be imported: a test, or a user who sets
`HF_ENDPOINT` for a mirror, gets what the environment says now. The client is imported lazily; the
app makes no network call until the user asks for something from the hub.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.files import UnsafePathError, plain_parts

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "on", "yes", "true"}

# Quantization as it appears in GGUF file names: Q4_K_M, IQ3_XXS, Q8_0, F16, BF16, TQ1_0...
_QUANT = re.compile(r"(?<![A-Za-z0-9])(I?Q\d(?:_[A-Z0-9]+)*|TQ\d_\d|F16|F32|BF16)(?![A-Za-z0-9])",
                    re.IGNORECASE)
_SPLIT = re.compile(r"-\d{5}-of-(\d{5})\.gguf$", re.IGNORECASE)

# What the hub allows in a repo id (huggingface_hub's `validate_repo_id`, ASCII only), with the
# owner required: "owner/name", each 1–96 characters, starting and ending with a letter, a digit
# or "_", without "--" or "..".
_REPO_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
_REPO_ID = re.compile(rf"({_REPO_PART})/({_REPO_PART})")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
MAX_FILE_NAME = 512  # characters in a hub file name, folders included
_MAX_NAME_PART = 200  # bytes in each of its parts (file systems allow 255)
MAX_FILE_SIZE = 1 << 42  # 4.4 TB: more than any one GGUF file (an unsplit 405B F16 is 810 GB)
_MAX_COUNT = 10**15  # downloads and likes: a bound, so that a hostile number stays printable
MAX_RESULTS = 100  # repos a search returns
MAX_FILES = 2_000  # GGUF files of one repo (the biggest have a few hundred)
_MAX_LICENSE = 100


class HubError(Exception):
    """The hub could not give what was asked; the message says why in plain words."""


class OfflineError(HubError):
    """`HF_HUB_OFFLINE` is set: the hub is not asked at all."""


class NotFoundError(HubError):
    """No such repo, revision or file on the hub."""


class GatedError(HubError):
    """The repo needs an accepted licence and a token."""


class NetworkError(HubError):
    """The hub could not be reached, or the connection broke and retries did not help."""


class InvalidRepoError(HubError):
    """Not a repo id the hub could have: owner/name in the hub's characters."""


class UntrustedAnswerError(HubError):
    """The hub (or a note written from its answer) describes a file in a way that cannot be
    used: a name that would leave the models folder, an impossible size, hash or commit."""


def validate_repo_id(repo: object) -> str:
    """`repo` if it is an "owner/name" the hub allows; else `InvalidRepoError` saying why.

    Checked here, before the hub client sees it, so that a bad id is one plain line and never
    a path: a repo id becomes two folder names in the models folder.
    """
    if not isinstance(repo, str) or not _REPO_ID.fullmatch(repo):
        shown = repr(repo[:120] if isinstance(repo, str) else repo)[:130]  # escapes controls
        raise InvalidRepoError(
            f"{shown} is not a hub repo id: it should be owner/name, each part up to 96 "
            "letters, digits, '-', '_' or '.', not starting or ending with '-' or '.'.")
    if "--" in repo or ".." in repo or repo.endswith(".git"):
        raise InvalidRepoError(f"{repo!r} is not a hub repo id: '--', '..' and a '.git' ending "
                               "are not allowed.")
    return repo


def check_file_name(filename: object) -> str:
    """`filename` if it is a hub file name that stays a relative path of plain names, of a
    bounded length; else `UntrustedAnswerError`."""
    if not isinstance(filename, str) or len(filename) > MAX_FILE_NAME:
        raise UntrustedAnswerError("a file name longer than any real one")
    try:
        parts = plain_parts(filename)
    except UnsafePathError:
        raise UntrustedAnswerError(f"{filename[:200]!r} is not a file name that stays in the "
                                   "models folder") from None
    if any(len(part.encode("utf-8", errors="replace")) > _MAX_NAME_PART for part in parts):
        raise UntrustedAnswerError("a file name longer than any real one")
    return filename


def _count(value: object) -> int:
    """A download or like count from the hub: a number, bounded; anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, min(value, _MAX_COUNT))


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def is_offline() -> bool:
    return (os.environ.get("HF_HUB_OFFLINE") or "").strip().lower() in _TRUE


def require_online() -> None:
    if is_offline():
        raise OfflineError("HF_HUB_OFFLINE is set, so the hub is not contacted. "
                           "Unset it to search or download models.")


# How long to wait for the hub's name to be looked up and for it to answer a connection, before
# saying there is no network: the client's own retries took 23 s to say it in worse words.
PROBE_TIMEOUT_S = 3.0
REACHED_FOR_S = 60.0  # a hub that answered is not probed again for this long
_reached: dict[str, float] = {}  # endpoint → when it last answered (time.monotonic)
_reached_lock = threading.Lock()


def check_reachable(timeout_s: float = PROBE_TIMEOUT_S, *, fresh: bool = False) -> None:
    """Fail at once, in words, when the hub cannot be reached: its name cannot be looked up
    (no network), or nothing answers at its address. A hub that answered in the last minute
    is taken as reachable unless `fresh`. Raises `NetworkError`."""
    where = endpoint()
    url = urllib.parse.urlsplit(where)
    host = url.hostname
    if not host or url.scheme not in ("http", "https"):
        raise NetworkError(f"{where} is not a web address (HF_ENDPOINT).")
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:
        raise NetworkError(f"{where} is not a web address (HF_ENDPOINT).") from None
    with _reached_lock:
        last = _reached.get(where)
    if not fresh and last is not None and time.monotonic() - last < REACHED_FOR_S:
        return
    addresses = _look_up(host, port, timeout_s)
    problem: OSError | None = None
    for family, kind, proto, _name, address in addresses[:4]:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.settimeout(timeout_s)
                probe.connect(address)
        except OSError as exc:
            problem = exc
            continue
        with _reached_lock:
            _reached[where] = time.monotonic()
        return
    reason = "it did not answer in time" if isinstance(problem, TimeoutError) else \
        (getattr(problem, "strerror", None) or str(problem) or "no address answered").lower()
    raise NetworkError(f"Cannot reach the hub at {where}: {reason}. Check the network "
                       "connection, or set HF_ENDPOINT to a mirror.")


def _look_up(host: str, port: int, timeout_s: float) -> list[Any]:
    """The addresses of `host`, looked up on a thread of its own: the system's resolver has no
    timeout of its own and can take half a minute to give up."""
    found: list[Any] = []

    def resolve() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            found.append(exc)

    thread = threading.Thread(target=resolve, name="hub-lookup", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not found or isinstance(found[0], BaseException) or not found[0]:
        raise NetworkError(f"No network connection: the hub's address {host} cannot be looked "
                           "up. Check the connection, or set HF_ENDPOINT to a mirror.")
    return list(found[0])


def quiet_client() -> None:
    """The hub client's own log lines ("Retrying in 1s [Retry 1/5]", eleven for one search
    while offline) go to the log file with ours, not to stderr."""
    import huggingface_hub.utils  # noqa: F401  (it sets up the handler this takes away)

    client = logging.getLogger("huggingface_hub")
    for handler in list(client.handlers):
        if type(handler) is logging.StreamHandler:  # its own, to stderr
            client.removeHandler(handler)
    client.propagate = True


def quant_of(filename: str) -> str | None:
    """The quantization named in a GGUF file name ("Q4_K_M"), upper-cased; None if absent."""
    found = _QUANT.findall(filename.rsplit("/", 1)[-1])
    return found[-1].upper() if found else None


def split_parts(filename: str) -> int:
    """How many files a split GGUF ("...-00001-of-00003.gguf") is made of; 1 when not split."""
    match = _SPLIT.search(filename)
    return int(match.group(1)) if match else 1


@dataclass(frozen=True)
class RemoteFile:
    """One GGUF file of a repo at a fixed commit, as the hub describes it."""

    repo: str
    filename: str
    size: int
    sha256: str | None  # the LFS object id; None for a file kept in git itself
    revision: str  # the commit, so that a resumed download fetches the same bytes

    def __post_init__(self) -> None:
        """Everything here came from the hub, or from a note on disk written from its answer:
        checked before it names a path, sizes a download or is compared with a hash."""
        validate_repo_id(self.repo)
        check_file_name(self.filename)
        name = self.filename[-80:]
        if isinstance(self.size, bool) or not isinstance(self.size, int) \
                or not 0 <= self.size <= MAX_FILE_SIZE:
            raise UntrustedAnswerError(f"{name}: the hub gives an impossible size {self.size}")
        if self.sha256 is not None and not (isinstance(self.sha256, str)
                                            and _SHA256.fullmatch(self.sha256)):
            raise UntrustedAnswerError(f"{name}: the hub's SHA-256 is not a SHA-256")
        if not isinstance(self.revision, str) or not _COMMIT.fullmatch(self.revision):
            raise UntrustedAnswerError(f"{name}: the hub's commit id is not a commit id")

    @property
    def quant(self) -> str | None:
        return quant_of(self.filename)

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "filename": self.filename, "size": self.size,
                "sha256": self.sha256, "revision": self.revision}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteFile:
        return cls(str(data["repo"]), str(data["filename"]), int(data["size"]),
                   str(data["sha256"]) if data.get("sha256") else None, str(data["revision"]))


@dataclass(frozen=True)
class RepoSummary:
    """A search result: a repo with GGUF files."""

    repo: str
    downloads: int
    likes: int
    gated: bool
    updated: datetime | None


@dataclass(frozen=True)
class RepoFiles:
    repo: str
    revision: str
    gated: bool
    license: str | None
    files: list[RemoteFile]
    # GGUF files the hub described in a way that cannot be used: name → why (a few at most).
    refused: dict[str, str] = field(default_factory=dict)

    def find(self, filename: str) -> RemoteFile | None:
        return next((f for f in self.files if f.filename == filename), None)


@contextmanager
def translated_errors(what: str) -> Iterator[None]:
    """Turn the client's exceptions into `HubError`s whose message a user can act on."""
    import httpx2
    from huggingface_hub import errors

    try:
        yield
    except errors.OfflineModeIsEnabled as exc:
        raise OfflineError(f"Cannot reach the hub for {what}: offline mode is on.") from exc
    except errors.GatedRepoError as exc:
        raise GatedError(
            f"{what} is gated: accept its licence on the model's hub page, then set HF_TOKEN "
            "to a token of that account (or run `hf auth login`).") from exc
    except errors.RevisionNotFoundError as exc:
        raise NotFoundError(f"{what}: no such revision on the hub.") from exc
    except errors.EntryNotFoundError as exc:
        raise NotFoundError(f"{what}: no such file in the repo.") from exc
    except errors.RepositoryNotFoundError as exc:
        raise NotFoundError(f"{what}: no such repo on the hub (or it is private; "
                            "set HF_TOKEN if it is yours).") from exc
    except errors.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise HubError(f"The hub refused {what} (HTTP {status}).") from exc
    except httpx2.TransportError as exc:
        check_reachable(fresh=True)  # no network, or no hub: say so in words
        raise NetworkError(f"The connection to the hub at {endpoint()} broke off for {what} "
                           f"({exc or type(exc).__name__}).") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # The client parses the hub's answer into its own objects and trusts its types: an
        # answer it cannot read (or an argument it refuses, HFValidationError) ends here.
        log.warning("unreadable hub answer for %s", what, exc_info=True)
        raise HubError(f"The hub's answer about {what} cannot be read "
                       f"({type(exc).__name__}).") from exc


def _api() -> Any:
    from huggingface_hub import HfApi

    quiet_client()
    return HfApi(endpoint=endpoint())


def search(query: str, limit: int = 30) -> list[RepoSummary]:
    """GGUF repos whose name contains `query`, most downloaded first: at most `limit` (itself at
    most `MAX_RESULTS`), whatever the hub sends. Results with an impossible repo id are left
    out."""
    require_online()
    check_reachable()
    limit = max(1, min(limit, MAX_RESULTS))
    with translated_errors(f"the search for '{query[:100]}'"):
        found = list(itertools.islice(
            _api().list_models(search=query or None, filter="gguf", sort="downloads",
                               limit=limit), limit))
        summaries = []
        for m in found:
            try:
                repo = validate_repo_id(m.id)
            except InvalidRepoError as exc:
                log.warning("leaving out a search result: %s", exc)
                continue
            updated = m.last_modified if isinstance(m.last_modified, datetime) else None
            summaries.append(RepoSummary(repo, _count(m.downloads), _count(m.likes),
                                         bool(m.gated), updated))
    return summaries


def repo_files(repo: str, revision: str | None = None) -> RepoFiles:
    """A repo's GGUF files with size and SHA-256, pinned to the commit the hub reports.

    `repo` is checked first (`InvalidRepoError`). A file the hub describes in a way that cannot
    be used (a name leaving the folder, an impossible size or hash) is left out and named in
    `refused`; a commit id that is not one refuses the whole answer (`UntrustedAnswerError`).
    """
    validate_repo_id(repo)
    require_online()
    check_reachable()
    with translated_errors(repo):
        info = _api().model_info(repo, revision=revision, files_metadata=True)
        commit = info.sha
        if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
            raise UntrustedAnswerError(f"{repo}: the hub's commit id for it is not a commit id.")
        files: list[RemoteFile] = []
        refused: dict[str, str] = {}
        siblings = [s for s in itertools.islice(info.siblings or (), MAX_FILES * 10)
                    if isinstance(s.rfilename, str) and s.rfilename.lower().endswith(".gguf")]
        for sibling in siblings[:MAX_FILES]:
            lfs = sibling.lfs
            size = lfs.size if lfs is not None else sibling.size
            try:
                files.append(RemoteFile(repo, sibling.rfilename, size or 0,
                                        lfs.sha256 if lfs is not None else None, commit))
            except UntrustedAnswerError as exc:
                log.warning("leaving out a file of %s: %s", repo, exc)
                if len(refused) < 20:
                    refused[sibling.rfilename[:MAX_FILE_NAME]] = str(exc)
        card = info.card_data.to_dict() if info.card_data is not None else {}
        license_ = card.get("license") if isinstance(card, dict) else None
    return RepoFiles(repo, commit, bool(info.gated),
                     str(license_)[:_MAX_LICENSE] if license_ else None,
                     sorted(files, key=lambda f: f.filename.lower()), refused)
