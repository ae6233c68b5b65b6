"""Search and list a repo's files on whichever source the user chose: the hub and its mirrors
(`hub.py`, the hub's own client) or ModelScope (`modelscope.py`, ModelScope's own client). Both
answer in the same terms (`hub.RepoSummary`, `hub.RepoFiles`), each file carrying its source, so
that the rest of the app (the catalog, the search, downloads and their resumption) never asks
which one it is talking to."""

from __future__ import annotations

from app.core.models import hub, modelscope, sources
from app.core.models.sources import Source


def search(query: str, source: Source | None = None, limit: int = 30) -> list[hub.RepoSummary]:
    """GGUF repos found by `query` on `source` (the hub when None), most downloaded first."""
    source = source or sources.HUGGING_FACE
    if source.kind == sources.MODELSCOPE:
        return modelscope.search(query, limit, source)
    return hub.search(query, limit, source)


def repo_files(repo: str, source: Source | None = None,
               revision: str | None = None) -> hub.RepoFiles:
    """`repo`'s GGUF files on `source` (the hub when None), each with size and SHA-256."""
    source = source or sources.HUGGING_FACE
    if source.kind == sources.MODELSCOPE:
        return modelscope.repo_files(repo, revision, source)
    return hub.repo_files(repo, revision, source)
