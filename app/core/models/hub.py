"""What the Hugging Face Hub has: search GGUF repos and list their files with size and hash.

Everything here goes through the real `huggingface_hub` client, so `HF_ENDPOINT`, `HF_TOKEN` and
`HF_HUB_OFFLINE` work as everywhere in the hub ecosystem. The endpoint and the offline switch are
read at each call, not when `huggingface_hub` happens to be imported: a test, or a user who sets
`HF_ENDPOINT` for a mirror, gets what the environment says now. The client is imported lazily; the
app makes no network call until the user asks for something from the hub.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEFAULT_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "on", "yes", "true"}

# Quantization as it appears in GGUF file names: Q4_K_M, IQ3_XXS, Q8_0, F16, BF16, TQ1_0...
_QUANT = re.compile(r"(?<![A-Za-z0-9])(I?Q\d(?:_[A-Z0-9]+)*|TQ\d_\d|F16|F32|BF16)(?![A-Za-z0-9])",
                    re.IGNORECASE)
_SPLIT = re.compile(r"-\d{5}-of-(\d{5})\.gguf$", re.IGNORECASE)


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


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def is_offline() -> bool:
    return (os.environ.get("HF_HUB_OFFLINE") or "").strip().lower() in _TRUE


def require_online() -> None:
    if is_offline():
        raise OfflineError("HF_HUB_OFFLINE is set, so the hub is not contacted. "
                           "Unset it to search or download models.")


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
        raise NetworkError(f"Cannot reach the hub at {endpoint()} for {what}: "
                           f"{exc or type(exc).__name__}") from exc


def _api() -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint())


def search(query: str, limit: int = 30) -> list[RepoSummary]:
    """GGUF repos whose name contains `query`, most downloaded first."""
    require_online()
    with translated_errors(f"the search for '{query}'"):
        found = list(_api().list_models(search=query or None, filter="gguf", sort="downloads",
                                        limit=limit))
    return [RepoSummary(m.id, int(m.downloads or 0), int(m.likes or 0), bool(m.gated),
                        m.last_modified) for m in found]


def repo_files(repo: str, revision: str | None = None) -> RepoFiles:
    """A repo's GGUF files with size and SHA-256, pinned to the commit the hub reports."""
    require_online()
    with translated_errors(repo):
        info = _api().model_info(repo, revision=revision, files_metadata=True)
    files = []
    for sibling in info.siblings or ():
        if not sibling.rfilename.lower().endswith(".gguf"):
            continue
        lfs = sibling.lfs
        size = lfs.size if lfs is not None else sibling.size
        files.append(RemoteFile(repo, sibling.rfilename, int(size or 0),
                                lfs.sha256 if lfs is not None else None, str(info.sha)))
    card = info.card_data.to_dict() if info.card_data is not None else {}
    license_ = card.get("license")
    return RepoFiles(repo, str(info.sha), bool(info.gated), str(license_) if license_ else None,
                     sorted(files, key=lambda f: f.filename.lower()))
