"""What the Hugging Face Hub (or a mirror of it) has: search GGUF repos and list their files
with size and hash.

Everything here goes through the real `huggingface_hub` client, so `HF_ENDPOINT`, `HF_TOKEN` and
`HF_HUB_OFFLINE` work as everywhere in the hub ecosystem. The endpoint and the offline switch are
read at each call, not when `huggingface_hub` happens to be imported: a test, or a user who sets
`HF_ENDPOINT` for a mirror, gets what the environment says now. A mirror chosen as the model
source (`sources.Source`) is the client's `endpoint`, and gets `token=False` unless the user lets
it have the token. The client is imported lazily; the app makes no network call until the user
asks for something from the hub. ModelScope, which speaks another protocol, is `modelscope.py`;
`browse.py` picks between them. `HF_HUB_OFFLINE` keeps every source from being contacted.
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

from app.core.models import sources
from app.core.models.sources import Source
from app.files import UnsafePathError, plain_parts
from app.i18n import _

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = sources.HF_DEFAULT_ENDPOINT
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
# A branch or tag by name: ModelScope's files are listed and fetched by one ("master").
_REVISION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
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
        raise InvalidRepoError(_(
            "{repo} is not a hub repo id: it should be owner/name, each part up to 96 "
            "letters, digits, '-', '_' or '.', not starting or ending with '-' or '.'.")
            .format(repo=shown))
    if "--" in repo or ".." in repo or repo.endswith(".git"):
        raise InvalidRepoError(_("{repo} is not a hub repo id: '--', '..' and a '.git' ending "
                                 "are not allowed.").format(repo=repr(repo)))
    return repo


def check_file_name(filename: object) -> str:
    """`filename` if it is a hub file name that stays a relative path of plain names, of a
    bounded length; else `UntrustedAnswerError`."""
    if not isinstance(filename, str) or len(filename) > MAX_FILE_NAME:
        raise UntrustedAnswerError(_("a file name longer than any real one"))
    try:
        parts = plain_parts(filename)
    except UnsafePathError:
        raise UntrustedAnswerError(_("{name} is not a file name that stays in the models "
                                     "folder").format(name=repr(filename[:200]))) from None
    if any(len(part.encode("utf-8", errors="replace")) > _MAX_NAME_PART for part in parts):
        raise UntrustedAnswerError(_("a file name longer than any real one"))
    return filename


def bounded_count(value: object) -> int:
    """A download or like count from the hub: a number, bounded; anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, min(value, _MAX_COUNT))


def endpoint() -> str:
    """The hub's address now: `HF_ENDPOINT` when set, else huggingface.co."""
    return sources.HUGGING_FACE.endpoint


def is_offline() -> bool:
    return (os.environ.get("HF_HUB_OFFLINE") or "").strip().lower() in _TRUE


def require_online() -> None:
    """`OfflineError` when `HF_HUB_OFFLINE` is set: then no model source is contacted, the hub
    nor a mirror nor ModelScope (one switch that keeps the app off the network)."""
    if is_offline():
        raise OfflineError(_("HF_HUB_OFFLINE is set, so no model source is contacted. "
                             "Unset it to search or download models."))


# How long to wait for the hub's name to be looked up and for it to answer a connection, before
# saying there is no network: the client's own retries took 23 s to say it in worse words.
PROBE_TIMEOUT_S = 3.0
REACHED_FOR_S = 60.0  # a hub that answered is not probed again for this long
_reached: dict[str, float] = {}  # endpoint → when it last answered (time.monotonic)
_reached_lock = threading.Lock()


def check_reachable(timeout_s: float = PROBE_TIMEOUT_S, *, fresh: bool = False,
                    source: Source | None = None) -> None:
    """Fail at once, in words, when the hub (or `source`) cannot be reached: its name cannot
    be looked up (no network), or nothing answers at its address. A source that answered in
    the last minute is taken as reachable unless `fresh`. Raises `NetworkError`."""
    source = source or sources.HUGGING_FACE
    where = source.endpoint
    url = urllib.parse.urlsplit(where)
    host = url.hostname
    setting = "HF_ENDPOINT" if source.kind == sources.HUGGINGFACE else (
        "MODELSCOPE_ENDPOINT" if source.kind == sources.MODELSCOPE else _("the mirror's address"))
    not_web = _("{where} is not a web address ({setting}).").format(where=where,
                                                                    setting=setting)
    if not host or url.scheme not in ("http", "https"):
        raise NetworkError(not_web)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:
        raise NetworkError(not_web) from None
    with _reached_lock:
        last = _reached.get(where)
    if not fresh and last is not None and time.monotonic() - last < REACHED_FOR_S:
        return
    addresses = _look_up(host, port, timeout_s, source)
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
    reason = _("it did not answer in time") if isinstance(problem, TimeoutError) else \
        (getattr(problem, "strerror", None) or str(problem) or _("no address answered")).lower()
    if source.kind == sources.HUGGINGFACE:
        raise NetworkError(_("Cannot reach the hub at {where}: {reason}. Check the network "
                             "connection, or choose a mirror or ModelScope as the model source.")
                           .format(where=where, reason=reason))
    raise NetworkError(_("Cannot reach {source} at {where}: {reason}. Check the network "
                         "connection, or choose another model source.")
                       .format(source=source.label, where=where, reason=reason))


def _look_up(host: str, port: int, timeout_s: float, source: Source) -> list[Any]:
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
        if source.kind == sources.HUGGINGFACE:
            raise NetworkError(_("No network connection: the hub's address {host} cannot be "
                                 "looked up. Check the connection, or choose a mirror or "
                                 "ModelScope as the model source.").format(host=host))
        raise NetworkError(_("No network connection: the address {host} of {source} cannot be "
                             "looked up. Check the connection, or choose another model "
                             "source.").format(host=host, source=source.label))
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
    """One GGUF file of a repo at a fixed commit, as its source (the hub, a mirror, ModelScope)
    describes it."""

    repo: str
    filename: str
    size: int
    sha256: str | None  # the LFS object id; None for a file kept in git itself
    # The commit, so that a resumed download fetches the same bytes. ModelScope's files are
    # listed by branch ("master"), so there it is the branch's name: the SHA-256 still tells a
    # file changed under a paused download.
    revision: str
    source: Source = sources.HUGGING_FACE  # where it is downloaded from, and resumed from

    def __post_init__(self) -> None:
        """Everything here came from the hub, or from a note on disk written from its answer:
        checked before it names a path, sizes a download or is compared with a hash."""
        validate_repo_id(self.repo)
        check_file_name(self.filename)
        name = self.filename[-80:]
        if isinstance(self.size, bool) or not isinstance(self.size, int) \
                or not 0 <= self.size <= MAX_FILE_SIZE:
            raise UntrustedAnswerError(_("{name}: the hub gives an impossible size {size}")
                                       .format(name=name, size=self.size))
        if self.sha256 is not None and not (isinstance(self.sha256, str)
                                            and _SHA256.fullmatch(self.sha256)):
            raise UntrustedAnswerError(_("{name}: the hub's SHA-256 is not a SHA-256")
                                       .format(name=name))
        if not isinstance(self.source, Source):
            raise UntrustedAnswerError(_("{name}: no model source").format(name=name))
        revision = _REVISION_NAME if self.source.kind == sources.MODELSCOPE else _COMMIT
        if not isinstance(self.revision, str) or not revision.fullmatch(self.revision):
            raise UntrustedAnswerError(_("{name}: the hub's commit id is not a commit id")
                                       .format(name=name))

    @property
    def quant(self) -> str | None:
        return quant_of(self.filename)

    def same_bytes(self, other: RemoteFile) -> bool:
        """Whether `other` names the very bytes of this file, wherever it comes from: the same
        repo, name, size and SHA-256 (a hub file and its mirror's; not a file without one)."""
        return (self.sha256 is not None and other.sha256 is not None
                and self.sha256.lower() == other.sha256.lower() and self.size == other.size
                and self.repo == other.repo and self.filename == other.filename)

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "filename": self.filename, "size": self.size,
                "sha256": self.sha256, "revision": self.revision,
                "source": self.source.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteFile:
        """A file as `to_json` wrote it; a note from before sources existed is the hub's."""
        source = Source.from_json(data["source"]) if "source" in data else sources.HUGGING_FACE
        return cls(str(data["repo"]), str(data["filename"]), int(data["size"]),
                   str(data["sha256"]) if data.get("sha256") else None, str(data["revision"]),
                   source)


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
def translated_errors(what: str, source: Source | None = None) -> Iterator[None]:
    """Turn the client's exceptions into `HubError`s whose message a user can act on."""
    import httpx2
    from huggingface_hub import errors

    source = source or sources.HUGGING_FACE
    try:
        yield
    except errors.OfflineModeIsEnabled as exc:
        raise OfflineError(_("Cannot reach the hub for {what}: offline mode is on.")
                           .format(what=what)) from exc
    except errors.GatedRepoError as exc:
        if source.hf_token is False:  # a mirror the token is kept from
            raise GatedError(_(
                "{what} is gated, and the hub token is not sent to the mirror {url}. Allow it "
                "on the Models page (or choose Hugging Face as the source) after accepting "
                "the licence on the model's hub page.").format(what=what, url=source.endpoint)
            ) from exc
        raise GatedError(_(
            "{what} is gated: accept its licence on the model's hub page, then set HF_TOKEN "
            "to a token of that account (or run `hf auth login`).").format(what=what)) from exc
    except errors.RevisionNotFoundError as exc:
        raise NotFoundError(_("{what}: no such revision on the hub.").format(what=what)) from exc
    except errors.EntryNotFoundError as exc:
        raise NotFoundError(_("{what}: no such file in the repo.").format(what=what)) from exc
    except errors.RepositoryNotFoundError as exc:
        raise NotFoundError(_("{what}: no such repo on the hub (or it is private; "
                              "set HF_TOKEN if it is yours).").format(what=what)) from exc
    except errors.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise HubError(_("The hub refused {what} (HTTP {status}).").format(
            what=what, status=status)) from exc
    except httpx2.TransportError as exc:
        check_reachable(fresh=True, source=source)  # no network, or no hub: say so in words
        raise NetworkError(_("The connection to {source} at {where} broke off for {what} "
                             "({why}).").format(source=source.label, where=source.endpoint,
                                                what=what, why=exc or type(exc).__name__)
                           ) from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # The client parses the hub's answer into its own objects and trusts its types: an
        # answer it cannot read (or an argument it refuses, HFValidationError) ends here.
        log.warning("unreadable hub answer for %s", what, exc_info=True)
        raise HubError(_("The hub's answer about {what} cannot be read ({why}).").format(
            what=what, why=type(exc).__name__)) from exc


def _api(source: Source) -> Any:
    from huggingface_hub import HfApi

    quiet_client()
    return HfApi(endpoint=source.endpoint, token=source.hf_token)


def _speaking_hub(source: Source | None) -> Source:
    source = source or sources.HUGGING_FACE
    if not source.speaks_hub:
        raise ValueError(f"{source.kind} does not speak the hub's protocol: use browse.py")
    return source


def search(query: str, limit: int = 30, source: Source | None = None) -> list[RepoSummary]:
    """GGUF repos whose name contains `query`, most downloaded first: at most `limit` (itself at
    most `MAX_RESULTS`), whatever the hub (or the mirror `source`) sends. Results with an
    impossible repo id are left out."""
    source = _speaking_hub(source)
    require_online()
    check_reachable(source=source)
    limit = max(1, min(limit, MAX_RESULTS))
    with translated_errors(_("the search for '{query}'").format(query=query[:100]), source):
        found = list(itertools.islice(
            _api(source).list_models(search=query or None, filter="gguf", sort="downloads",
                                     limit=limit), limit))
        summaries = []
        for m in found:
            try:
                repo = validate_repo_id(m.id)
            except InvalidRepoError as exc:
                log.warning("leaving out a search result: %s", exc)
                continue
            updated = m.last_modified if isinstance(m.last_modified, datetime) else None
            summaries.append(RepoSummary(repo, bounded_count(m.downloads),
                                         bounded_count(m.likes), bool(m.gated), updated))
    return summaries


def repo_files(repo: str, revision: str | None = None,
               source: Source | None = None) -> RepoFiles:
    """A repo's GGUF files with size and SHA-256, pinned to the commit the hub (or the mirror
    `source`) reports.

    `repo` is checked first (`InvalidRepoError`). A file the hub describes in a way that cannot
    be used (a name leaving the folder, an impossible size or hash) is left out and named in
    `refused`; a commit id that is not one refuses the whole answer (`UntrustedAnswerError`).
    """
    source = _speaking_hub(source)
    validate_repo_id(repo)
    require_online()
    check_reachable(source=source)
    with translated_errors(repo, source):
        info = _api(source).model_info(repo, revision=revision, files_metadata=True)
        commit = info.sha
        if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
            raise UntrustedAnswerError(_("{repo}: the hub's commit id for it is not a commit "
                                         "id.").format(repo=repo))
        files: list[RemoteFile] = []
        refused: dict[str, str] = {}
        siblings = [s for s in itertools.islice(info.siblings or (), MAX_FILES * 10)
                    if isinstance(s.rfilename, str) and s.rfilename.lower().endswith(".gguf")]
        for sibling in siblings[:MAX_FILES]:
            lfs = sibling.lfs
            size = lfs.size if lfs is not None else sibling.size
            try:
                files.append(RemoteFile(repo, sibling.rfilename, size or 0,
                                        lfs.sha256 if lfs is not None else None, commit,
                                        source))
            except UntrustedAnswerError as exc:
                log.warning("leaving out a file of %s: %s", repo, exc)
                if len(refused) < 20:
                    refused[sibling.rfilename[:MAX_FILE_NAME]] = str(exc)
        card = info.card_data.to_dict() if info.card_data is not None else {}
        license_ = card.get("license") if isinstance(card, dict) else None
    return RepoFiles(repo, commit, bool(info.gated),
                     str(license_)[:_MAX_LICENSE] if license_ else None,
                     sorted(files, key=lambda f: f.filename.lower()), refused)
