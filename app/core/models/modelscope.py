"""What ModelScope (modelscope.cn) has: search GGUF repos and list their files with size and hash.

ModelScope is the model hub people in China reach when the Hugging Face Hub is out of reach. It
speaks a protocol of its own, so it is asked through its own client, `modelscope_hub` (the
official SDK that the `modelscope` package itself now delegates to; light: requests, tqdm,
filelock, cryptography): `HubApi.list_repos` to search and `HubApi.list_repo_files` for a repo's
files, each with its size and SHA-256. `MODELSCOPE_ENDPOINT` moves it elsewhere, as the client
reads it (a test's stand-in).

Downloads do not go through the client: they are ours (`download.py`, resumable with Range and
verified against the SHA-256 listed here), from the address the client itself downloads a file
from (`file_url`). No ModelScope login is sent, nor read: Lamplight offers public models only.
The client keeps an install id and logins in `~/.modelscope`; it is given a throwaway folder of
its own instead, so it leaves nothing behind in the user's home and reads no login from it.

The client is imported when first needed (it takes a few tenths of a second).
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core.models import hub, sources
from app.core.models.sources import Source
from app.i18n import _

log = logging.getLogger(__name__)

DEFAULT_REVISION = "master"  # ModelScope's default branch
# A search asks for this many repos, of which only those with GGUF in their name are kept: the
# client documents no filter for GGUF files, and GGUF repos there are named so ("…-GGUF").
SEARCH_PAGE = 100
# The address a file is downloaded from: `LegacyClient.get_download_url` of the client, written
# out here so that building it needs no client (tests check that the two agree).
_FILE_URL = "{endpoint}/api/v1/models/{repo}/repo?Revision={revision}&FilePath={path}"


def _quiet() -> None:
    """The client's own log lines go to our log file, not to stderr (it adds a handler of its
    own to its logger when it has none)."""
    from modelscope_hub.utils.logger import get_logger

    client = get_logger()
    for handler in list(client.handlers):
        if type(handler) is logging.StreamHandler:
            client.removeHandler(handler)
    client.propagate = True


@contextmanager
def _client(source: Source) -> Iterator[Any]:
    """A `modelscope_hub.HubApi` for `source`, anonymous, with a throwaway folder of its own."""
    from modelscope_hub import HubApi, HubConfig

    _quiet()
    with tempfile.TemporaryDirectory(prefix="lamplight-modelscope-") as folder:
        config = HubConfig(endpoint=source.endpoint, token="", config_dir=Path(folder),
                           cache_dir=Path(folder))
        yield HubApi(config=config, user_agent={"app": "lamplight"})


@contextmanager
def translated_errors(what: str, source: Source) -> Iterator[None]:
    """Turn the client's exceptions into `hub.HubError`s whose message a user can act on."""
    from modelscope_hub import errors

    try:
        yield
    except errors.NotExistError as exc:
        raise hub.NotFoundError(_("{what}: no such repo or file on ModelScope.").format(
            what=what)) from exc
    except (errors.AuthenticationError, errors.PermissionDeniedError) as exc:
        raise hub.GatedError(_("{what} needs a ModelScope login, which Lamplight does not "
                               "send: it downloads public models only.").format(what=what)
                             ) from exc
    except errors.NetworkError as exc:  # timeouts too
        hub.check_reachable(fresh=True, source=source)  # no network, or no server: in words
        raise hub.NetworkError(_("The connection to ModelScope at {where} broke off for "
                                 "{what} ({why}).").format(where=source.endpoint, what=what,
                                                           why=exc)) from exc
    except errors.APIError as exc:
        status = getattr(exc, "status_code", None) or "?"
        raise hub.HubError(_("ModelScope refused {what} (HTTP {status}).").format(
            what=what, status=status)) from exc
    except (errors.HubError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # The client parses the answer into its own objects: one it cannot read ends here.
        log.warning("unreadable ModelScope answer for %s", what, exc_info=True)
        raise hub.HubError(_("ModelScope's answer about {what} cannot be read ({why}).")
                           .format(what=what, why=type(exc).__name__)) from exc


def _modelscope(source: Source | None) -> Source:
    source = source or Source(sources.MODELSCOPE)
    if source.kind != sources.MODELSCOPE:
        raise ValueError(f"{source.kind} is not ModelScope")
    return source


def _updated(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def search(query: str, limit: int = 30, source: Source | None = None) -> list[hub.RepoSummary]:
    """ModelScope's repos whose name says GGUF, found by `query`, most downloaded first: at
    most `limit` (itself at most `hub.MAX_RESULTS`). Results with an impossible repo id are
    left out."""
    source = _modelscope(source)
    hub.require_online()
    hub.check_reachable(source=source)
    limit = max(1, min(limit, hub.MAX_RESULTS))
    summaries: list[hub.RepoSummary] = []
    with translated_errors(_("the search for '{query}'").format(query=query[:100]), source), \
            _client(source) as api:
        page = api.list_repos("model", search=query or "GGUF", page_size=SEARCH_PAGE)
        for info in itertools.islice(page.items, SEARCH_PAGE):
            repo_id = info.repo_id
            if not isinstance(repo_id, str) or "gguf" not in repo_id.lower():
                continue
            try:
                repo = hub.validate_repo_id(repo_id)
            except hub.InvalidRepoError as exc:
                log.warning("leaving out a ModelScope search result: %s", exc)
                continue
            summaries.append(hub.RepoSummary(repo, hub.bounded_count(info.downloads),
                                             hub.bounded_count(info.likes), False,
                                             _updated(info.last_modified)))
    summaries.sort(key=lambda s: s.downloads, reverse=True)
    return summaries[:limit]


def repo_files(repo: str, revision: str | None = None,
               source: Source | None = None) -> hub.RepoFiles:
    """A ModelScope repo's GGUF files with size and SHA-256, on `revision` (its default branch
    when None).

    `repo` is checked first (`hub.InvalidRepoError`). A file described in a way that cannot be
    used (a name leaving the folder, an impossible size or hash) is left out and named in
    `refused`, as `hub.repo_files` does.
    """
    source = _modelscope(source)
    hub.validate_repo_id(repo)
    revision = revision or DEFAULT_REVISION
    hub.require_online()
    hub.check_reachable(source=source)
    files: list[hub.RemoteFile] = []
    refused: dict[str, str] = {}
    with translated_errors(repo, source), _client(source) as api:
        listed = api.list_repo_files(repo, "model", revision=revision, recursive=True)
        ggufs = [f for f in itertools.islice(listed, hub.MAX_FILES * 10)
                 if not f.is_dir and isinstance(f.path, str)
                 and f.path.lower().endswith(".gguf")]
        for entry in ggufs[:hub.MAX_FILES]:
            try:
                files.append(hub.RemoteFile(repo, entry.path, entry.size,
                                            entry.sha256 or None, revision, source))
            except hub.UntrustedAnswerError as exc:
                log.warning("leaving out a file of %s: %s", repo, exc)
                if len(refused) < 20:
                    refused[entry.path[:hub.MAX_FILE_NAME]] = str(exc)
    return hub.RepoFiles(repo, revision, False, None,
                         sorted(files, key=lambda f: f.filename.lower()), refused)


def file_url(remote: hub.RemoteFile) -> str:
    """Where ModelScope serves `remote`'s bytes (it answers Range requests there)."""
    return _FILE_URL.format(endpoint=_modelscope(remote.source).endpoint, repo=remote.repo,
                            revision=urllib.parse.quote_plus(remote.revision),
                            path=urllib.parse.quote_plus(remote.filename))


def check_answer(status: int, what: str) -> None:
    """A download's HTTP status as a `hub.HubError` when it is an error (the hub client's
    check reads the hub's own error headers, which ModelScope does not send)."""
    if status < 400:
        return
    if status == 404:
        raise hub.NotFoundError(_("{what}: no such repo or file on ModelScope.").format(
            what=what))
    if status in (401, 403):
        raise hub.GatedError(_("{what} needs a ModelScope login, which Lamplight does not "
                               "send: it downloads public models only.").format(what=what))
    raise hub.HubError(_("ModelScope refused {what} (HTTP {status}).").format(
        what=what, status=status))
