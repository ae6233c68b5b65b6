"""A local stand-in for the Hugging Face Hub, for tests and benchmarks.

It speaks the part of the hub's HTTP protocol that the real `huggingface_hub` client uses to
search, describe and download model repos, so the app is tested through the very client it ships
with rather than through mocks. It can also misbehave on request: hang up mid-body, ignore
`Range`, advertise a wrong SHA-256, serve slowly, or answer anything at all (`rewrite`: hostile
names, sizes, hashes, commits, endless result lists).

Standard library only. File bodies go out with `socket.sendfile` when no fault or throttle is
armed, so a benchmark measures the client, not this server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_TIME = "2024-06-01T12:00:00.000Z"  # the one format `huggingface_hub.utils.parse_datetime` reads
# The client quotes revisions and tree paths with safe="" but leaves the "/" of repo ids as is.
_API = re.compile(r"^/api/models/(?P<repo>[^/]+(?:/[^/]+)?)"
                  r"(?:/(?P<kind>revision|tree|paths-info)/(?P<rev>[^/]+)(?:/(?P<sub>.*))?)?$")
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+(?:/[^/]+)?)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

# Tests add the same 100 MB model to a fresh server each time: hash each file once per process.
_HASHES: dict[tuple[str, int, int], str] = {}


def _digest(content: bytes | Path, algo: str, prefix: bytes = b"") -> str:
    h = hashlib.new(algo, prefix)
    if isinstance(content, bytes):
        h.update(content)
    else:
        with content.open("rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    return h.hexdigest()


def sha256_of(content: bytes | Path) -> str:
    """The SHA-256 the hub would advertise for `content` (cached per path, size and mtime)."""
    if isinstance(content, bytes):
        return _digest(content, "sha256")
    st = content.stat()
    key = (str(content.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = _digest(content, "sha256")
    return _HASHES[key]


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # as sent, query included
    headers: dict[str, str]  # keys lower-cased
    status: int


class _File:
    def __init__(self, content: bytes | Path, lfs: bool, advertised_sha256: str | None) -> None:
        self.content, self.lfs = content, lfs
        self.size = len(content) if isinstance(content, bytes) else content.stat().st_size
        # Hashed now, in the caller's thread, not during the first request a benchmark times.
        self.sha256 = advertised_sha256 or sha256_of(content)
        # What git stores for an LFS file; the git blob id of that is the file's `blobId`.
        self.pointer = (f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
                        f"size {self.size}\n").encode()
        blob, blob_size = (self.pointer, len(self.pointer)) if lfs else (content, self.size)
        self.blob_id = _digest(blob, "sha1", b"blob %d\0" % blob_size)

    def entry(self, name: str, *, sibling: bool) -> dict[str, Any]:
        """As `siblings` of model info (with ?blobs=true), or as tree and paths-info list it."""
        lfs = {"sha256" if sibling else "oid": self.sha256, "size": self.size,
               "pointerSize": len(self.pointer)}
        entry: dict[str, Any] = (
            {"rfilename": name, "size": self.size, "blobId": self.blob_id} if sibling
            else {"type": "file", "oid": self.blob_id, "size": self.size, "path": name})
        return entry | {"lfs": lfs} if self.lfs else entry


@dataclass
class _Repo:
    repo_id: str
    gated: bool = False
    downloads: int = 0
    likes: int = 0
    tags: list[str] = field(default_factory=lambda: ["gguf"])
    license: str | None = "apache-2.0"
    # Replaced, never mutated, so handler threads can iterate it without a lock.
    files: dict[str, _File] = field(default_factory=dict)

    @property
    def sha(self) -> str:
        return hashlib.sha1(self.repo_id.encode()).hexdigest()

    def info(self, *, siblings: bool, blobs: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "_id": self.sha[:24], "id": self.repo_id, "modelId": self.repo_id,
            "author": self.repo_id.split("/")[0] if "/" in self.repo_id else None,
            "sha": self.sha, "lastModified": _TIME, "createdAt": _TIME, "private": False,
            "gated": "auto" if self.gated else False, "disabled": False,
            "downloads": self.downloads, "likes": self.likes, "tags": list(self.tags),
            "library_name": "gguf", "pipeline_tag": "text-generation",
            "cardData": {"license": self.license} if self.license else {},
        }
        if siblings:
            data["siblings"] = [f.entry(n, sibling=True) if blobs else {"rfilename": n}
                                for n, f in sorted(self.files.items())]
        return data

    def tree(self, sub: str, recursive: bool) -> list[dict[str, Any]]:
        prefix = f"{sub.strip('/')}/" if sub.strip("/") else ""
        files, folders = [], {}
        for name, f in sorted(self.files.items()):
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix):].split("/")
            for depth in range(1, len(parts) if recursive else min(2, len(parts))):
                path = prefix + "/".join(parts[:depth])
                folders[path] = {"type": "directory", "size": 0, "path": path,
                                 "oid": hashlib.sha1(path.encode()).hexdigest()}
            if recursive or len(parts) == 1:
                files.append(f.entry(name, sibling=False))
        return [*folders.values(), *files]


class HubStandIn:
    """The hub on 127.0.0.1 at a free port; `url` is its `HF_ENDPOINT`. Start it, or use `with`.

    Repo ids are "owner/name"; revisions "main" and the repo's fixed commit `sha` exist.
    Gated repos need `Authorization: Bearer <token>`: `token` when set, else any token at all.
    """

    def __init__(self) -> None:
        self.token: str | None = None
        self.url = ""
        self.rate: int | None = None  # see throttle()
        self.stopping = threading.Event()
        self._repos: dict[str, _Repo] = {}  # replaced, never mutated, as _Repo.files
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._drops: dict[tuple[str, str], list[int]] = {}
        self._ignore_range: dict[tuple[str, str], int] = {}
        self._rewrites: dict[str, Callable[[Any], Any]] = {}
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HubStandIn:
        self.stopping.clear()
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="hub-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        # Clients (the hub client's process-wide session among them) keep connections alive:
        # cut them, so that no handler thread waits forever for a next request.
        with self._lock:
            still_open = list(self._connections)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> HubStandIn:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def add_repo(self, repo_id: str, *, gated: bool = False, downloads: int = 0, likes: int = 0,
                 tags: list[str] | None = None, license: str | None = "apache-2.0") -> None:
        """Create the repo or set its attributes; its files stay. Tags always include "gguf"."""
        with self._lock:
            repo = self._repos.get(repo_id) or _Repo(repo_id)
            repo.gated, repo.downloads, repo.likes, repo.license = gated, downloads, likes, license
            repo.tags = list(dict.fromkeys([*(tags or []), "gguf"]))
            self._repos = {**self._repos, repo_id: repo}

    def add_file(self, repo_id: str, filename: str, content: bytes | Path, *,
                 advertised_sha256: str | None = None, lfs: bool = True) -> None:
        """Add or replace a file (creating the repo). A Path is served from disk as it is then.

        `advertised_sha256` is what model info, the tree and the ETag claim; the real bytes
        are served regardless. Files with `lfs=False` are plain git blobs: no lfs block, and
        their ETag is the git blob sha1.
        """
        file = _File(content, lfs, advertised_sha256)
        with self._lock:
            repo = self._repos.get(repo_id) or _Repo(repo_id)
            repo.files = {**repo.files, filename: file}
            self._repos = {**self._repos, repo_id: repo}

    def drop_after(self, repo_id: str, filename: str, nbytes: int, times: int = 1) -> None:
        """The next `times` GETs of the file send headers and `nbytes` of body, then hang up."""
        with self._lock:
            self._drops.setdefault((repo_id, filename), []).extend([nbytes] * times)

    def ignore_range(self, repo_id: str, filename: str, times: int = 1) -> None:
        """The next `times` GETs of the file answer 200 with all of it, whatever `Range` says."""
        with self._lock:
            key = (repo_id, filename)
            self._ignore_range[key] = self._ignore_range.get(key, 0) + times

    def rewrite(self, route: str, edit: Callable[[Any], Any] | None) -> None:
        """Pass the JSON answers of `route` through `edit` before they are sent: "search" (the
        list of models), "info" (a repo's model info). `edit` gets the answer and returns what
        to send instead, whatever it is: a hostile hub. None stops rewriting."""
        with self._lock:
            if edit is None:
                self._rewrites.pop(route, None)
            else:
                self._rewrites[route] = edit

    def _rewritten(self, route: str, data: Any) -> Any:
        with self._lock:
            edit = self._rewrites.get(route)
        return data if edit is None else edit(data)

    def throttle(self, bytes_per_second: int | None) -> None:
        """Pace each file body to this rate, those under way included; None lifts the limit."""
        self.rate = bytes_per_second

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the requests answered so far, oldest first."""
        with self._lock:
            return list(self._requests)

    # -- for the handler threads -----------------------------------------------------------------

    def _take_faults(self, repo_id: str, filename: str) -> tuple[int | None, bool]:
        """Use up the faults armed for one GET: (hang up after n bytes or None, ignore Range)."""
        key = (repo_id, filename)
        with self._lock:
            drops = self._drops.get(key)
            ignore = self._ignore_range.get(key, 0) > 0
            if ignore:
                self._ignore_range[key] -= 1
            return (drops.pop(0) if drops else None), ignore

    def _record(self, entry: RequestRecord) -> None:
        with self._lock:
            self._requests.append(entry)

    def _track(self, conn: socket.socket, is_open: bool) -> None:
        with self._lock:
            (self._connections.add if is_open else self._connections.discard)(conn)

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        return scheme == "Bearer" and bool(token.strip()) and self.token in (None, token.strip())


class _RefusalError(Exception):
    """An error answer as the hub gives it: `X-Error-Code` picks the client's exception."""

    def __init__(self, status: int, code: str | None, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() cuts idle keep-alive connections instead of joining them
    request_queue_size = 64

    def __init__(self, hub: HubStandIn) -> None:
        self.hub = hub
        # A stand-in of another protocol (tests/modelscope_standin.py) answers with its own.
        super().__init__(("127.0.0.1", 0), getattr(hub, "handler_class", _Handler))

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can take seconds.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up while we wait for their next request land here: not worth stderr.
        log.debug("hub stand-in: connection from %s ended badly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real hub: every answer has Content-Length
    disable_nagle_algorithm = True  # else headers-then-body writes stall on delayed ACKs
    server: _Server
    _answered = False

    def setup(self) -> None:
        super().setup()
        self.server.hub._track(self.connection, True)

    def finish(self) -> None:
        self.server.hub._track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("hub stand-in: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch(body=True)

    def do_HEAD(self) -> None:
        self._dispatch(body=False)

    def do_POST(self) -> None:
        self._dispatch(body=True)

    def _dispatch(self, body: bool) -> None:
        self._answered = False
        try:
            self._route(body)
        except _RefusalError as refusal:
            self._json({"error": refusal.message}, body, refusal.status,
                       {**refusal.headers, "X-Error-Message": refusal.message}
                       | ({"X-Error-Code": refusal.code} if refusal.code else {}))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (a cancel): nothing to answer
        except Exception:
            log.exception("hub stand-in failed on %s %s", self.command, self.path)
            if self._answered:
                self._hang_up()  # mid-body: a short body the client notices beats a hang
            else:
                self._json({"error": "the hub stand-in failed; see its log"}, body, 500)

    def _route(self, body: bool) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        form: dict[str, list[str]] = {}
        if self.command == "POST":  # read it all first, so that keep-alive stays in step
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        if url.path == "/api/models" and self.command == "GET":
            data: Any = self.server.hub._rewritten("search", self._list_models(query))
        elif (match := _RESOLVE.match(url.path)) and self.command != "POST":
            return self._resolve(self._repo(match), unquote(match["file"]), body)
        elif match := _API.match(url.path):
            data = self._api(self._repo(match), match, query, form)
        else:
            raise _RefusalError(404, None, f"no route for {self.command} {url.path}")
        return self._json(data, body)

    def _api(self, repo: _Repo, match: re.Match[str], query: dict[str, list[str]],
             form: dict[str, list[str]]) -> Any:
        kind, get = match["kind"], self.command == "GET"
        if kind in (None, "revision") and get:
            return self.server.hub._rewritten(
                "info", repo.info(siblings=True, blobs=query.get("blobs") == ["true"]))
        if kind == "tree" and get:
            sub = unquote(match["sub"] or "")
            entries = repo.tree(sub, recursive=query.get("recursive") == ["true"])
            if sub and not entries:
                raise _RefusalError(404, "EntryNotFound", f"{sub} not in {repo.repo_id}")
            return entries
        if kind == "paths-info" and not get:
            wanted = set(form.get("paths", []))
            return [e for e in repo.tree("", recursive=True) if e["path"] in wanted]
        raise _RefusalError(404, None, f"no route for {self.command} {self.path}")

    def _list_models(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        search = query.get("search", [""])[0].lower()
        author = query.get("author", [None])[0]
        filters = {f.lower() for f in query.get("filter", [])}
        found = [r for r in self.server.hub._repos.values()
                 if search in r.repo_id.lower()
                 and author in (None, r.repo_id.split("/")[0])
                 and filters <= {t.lower() for t in r.tags} | {"gguf"}]  # "gguf": the library
        sort = query.get("sort", ["downloads"])[0]  # dates are all equal here: by downloads
        keys: dict[str, Callable[[_Repo], Any]] = {"likes": lambda r: r.likes,
                                                    "id": lambda r: r.repo_id}
        found.sort(key=keys.get(sort, lambda r: r.downloads),
                   reverse=query.get("direction") != ["1"])
        full = query.get("full") == ["true"]
        items = [r.info(siblings=full) for r in found[:int(query.get("limit", ["1000"])[0])]]
        if expand := query.get("expand"):
            items = [{k: v for k, v in i.items() if k in {"_id", "id", *expand}} for i in items]
        return items

    def _repo(self, match: re.Match[str]) -> _Repo:
        """The repo, if it exists and may be read at that revision."""
        hub, repo_id = self.server.hub, unquote(match["repo"])
        repo = hub._repos.get(repo_id)
        if repo is None:
            raise _RefusalError(404, "RepoNotFound", f"Repository {repo_id} not found")
        auth = self.headers.get("Authorization")
        if repo.gated and not hub._authorized(auth):
            raise _RefusalError(403 if auth else 401, "GatedRepo",
                                f"Access to model {repo_id} is restricted. You must have access "
                                "to it and be authenticated to access it. Please log in.")
        revision = unquote(match["rev"] or "main")
        if revision not in ("main", repo.sha):
            raise _RefusalError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return repo

    def _resolve(self, repo: _Repo, filename: str, body: bool) -> None:
        file = repo.files.get(filename)
        if file is None:
            raise _RefusalError(404, "EntryNotFound", f"{filename} not in {repo.repo_id}")
        etag = f'"{file.sha256 if file.lfs else file.blob_id}"'
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes",
                   "ETag": etag, "X-Repo-Commit": repo.sha}
        if file.lfs:  # on the real hub, on the redirect to the CDN; the client prefers these
            headers |= {"X-Linked-Etag": etag, "X-Linked-Size": str(file.size)}
        drop, ignore = (self.server.hub._take_faults(repo.repo_id, filename)
                        if self.command == "GET" else (None, False))
        start, end, status = 0, file.size - 1, 200
        wanted = _RANGE.match(self.headers.get("Range") or "")
        if wanted and any(wanted.groups()) and file.size and not ignore:
            first, last = wanted.groups()
            if first:
                start, end = int(first), min(int(last or end), end)
            else:  # "bytes=-N": the last N bytes
                start = max(file.size - int(last), 0)
            if start > end:
                raise _RefusalError(416, None, "Requested range not satisfiable",
                                    {"Content-Range": f"bytes */{file.size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{file.size}"
        self._head(status, headers, end - start + 1)
        if body:
            self._send_file(file, start, end - start + 1, drop)

    def _send_file(self, file: _File, start: int, length: int, drop: int | None) -> None:
        count = length if drop is None else min(drop, length)
        if isinstance(file.content, bytes):
            view = memoryview(file.content)
            self._pump(lambda offset, n: view[offset:offset + n], start, count)
        else:
            with file.content.open("rb") as f:
                if drop is None and self.server.hub.rate is None:
                    if self.connection.sendfile(f, start, count) < count:
                        raise OSError("file shrank while being served")
                else:
                    def read(offset: int, n: int) -> bytes:
                        f.seek(offset)
                        return f.read(n)
                    self._pump(read, start, count)
        if drop is not None:
            self._hang_up()

    def _pump(self, read: Callable[[int, int], bytes | memoryview], start: int,
              count: int) -> None:
        """Send `count` bytes from `start`, paced to the hub's rate as it is at each chunk."""
        hub = self.server.hub
        sent, mark_time, mark_sent, mark_rate = 0, time.monotonic(), 0, hub.rate
        while sent < count:
            rate = hub.rate
            if rate != mark_rate:  # the limit changed under way: pace from here on
                mark_time, mark_sent, mark_rate = time.monotonic(), sent, rate
            step = _CHUNK if rate is None else max(1, min(_CHUNK, rate // 20))
            chunk = read(start + sent, min(step, count - sent))
            if not chunk:
                raise OSError(f"file shrank while being served, at byte {start + sent}")
            self.connection.sendall(chunk)
            sent += len(chunk)
            if rate:
                delay = mark_time + (sent - mark_sent) / rate - time.monotonic()
                if delay > 0 and hub.stopping.wait(delay):
                    return

    def _hang_up(self) -> None:
        # A FIN after a short body: httpx raises RemoteProtocolError ("peer closed connection
        # without sending complete message body"), the one that `http_get` resumes after.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _head(self, status: int, headers: dict[str, str], length: int) -> None:
        # Logged before anything is sent, so a client that has its answer finds the record.
        self.server.hub._record(RequestRecord(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, status))
        self._answered = True
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _json(self, data: Any, body: bool, status: int = 200,
              headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self._head(status, {"Content-Type": "application/json", **(headers or {})}, len(payload))
        if body:
            self.wfile.write(payload)
