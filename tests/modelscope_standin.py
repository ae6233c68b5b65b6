"""A local stand-in for ModelScope (modelscope.cn), for tests.

It speaks the part of ModelScope's HTTP API that its official client (`modelscope_hub`) uses to
search models (`/openapi/v1/models`) and list a repo's files (`/api/v1/models/{id}/repo/files`),
and the address that client downloads a file from (`/api/v1/models/{id}/repo?FilePath=…`), with
Range. Everything else is the hub stand-in's (tests/hubstandin.py): repos and files are added the
same way, and the same faults can be armed (`drop_after`, `ignore_range`, `throttle`, wrong
advertised hashes), so a pull through ModelScope is tested as hard as one from the hub.

The answers are shaped as ModelScope's are: `{"Code": 200, "Data": {"Files": [...]},
"Success": true}` with PascalCase fields for the legacy API, `{"success": true, "data": {...}}`
for the OpenAPI one. Revisions are branch names ("master") or the repo's fixed commit.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.hubstandin import HubStandIn, _Handler, _RefusalError, _Repo

_FILES = "/repo/files"
_MODELS = "/api/v1/models/"


class _ModelScopeHandler(_Handler):
    def _route(self, body: bool) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if self.command == "POST":
            raise _RefusalError(404, None, f"no route for POST {url.path}")
        if url.path == "/openapi/v1/models":
            return self._json(self.server.hub._rewritten("search", self._search(query)), body)
        if url.path.startswith(_MODELS) and url.path.endswith(_FILES):
            repo = self._ms_repo(url.path[len(_MODELS):-len(_FILES)], query)
            return self._json(self.server.hub._rewritten("files", self._files(repo)), body)
        if url.path.startswith(_MODELS) and url.path.endswith("/repo"):
            repo = self._ms_repo(url.path[len(_MODELS):-len("/repo")], query)
            return self._resolve(repo, query.get("FilePath", [""])[0], body)
        raise _RefusalError(404, None, f"no route for {self.command} {url.path}")

    def _ms_repo(self, repo_id: str, query: dict[str, list[str]]) -> _Repo:
        repo = self.server.hub._repos.get(repo_id)
        if repo is None:
            raise _RefusalError(404, None, f"model {repo_id} does not exist")
        revision = query.get("Revision", ["master"])[0]
        if revision not in ("master", repo.sha):
            raise _RefusalError(404, None, f"revision {revision} does not exist")
        return repo

    def _files(self, repo: _Repo) -> dict[str, Any]:
        files = [{"Name": name.rsplit("/", 1)[-1], "Path": name, "Type": "blob",
                  "Size": f.size, "Sha256": f.sha256 if f.lfs else "", "IsLFS": f.lfs,
                  "Revision": repo.sha, "CommittedDate": int(time.time()),
                  "CommitMessage": "upload", "Mode": "33188"}
                 for name, f in sorted(repo.files.items())]
        return {"Code": 200, "Data": {"Files": files}, "Message": "success",
                "RequestId": "stand-in", "Success": True}

    def _search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        words = query.get("search", [""])[0].lower().split()
        found = [r for r in self.server.hub._repos.values()
                 if all(w in r.repo_id.lower() for w in words)]
        found.sort(key=lambda r: r.downloads, reverse=True)
        size = int(query.get("page_size", ["10"])[0])
        models = [{"id": r.repo_id, "downloads": r.downloads, "likes": r.likes,
                   "private": False, "license": r.license} for r in found[:size]]
        return {"success": True, "request_id": "stand-in",
                "data": {"models": models, "total_count": len(found), "page_number": 1,
                         "page_size": size}}


class ModelScopeStandIn(HubStandIn):
    """ModelScope on 127.0.0.1 at a free port; `url` is its `MODELSCOPE_ENDPOINT`."""

    handler_class = _ModelScopeHandler
