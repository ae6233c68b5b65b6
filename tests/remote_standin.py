"""A scripted stand-in for an OpenAI-compatible server, for the remote engine's fault tests.

It speaks just enough of the protocol (`GET /v1/models`, `POST /v1/chat/completions` streamed
as server-sent events, `POST /tokenize`) for `RemoteEngine` to load a model and answer, and
each path can be scripted to misbehave: a status with any headers and body, a stream that
stops without `[DONE]` or breaks its chunked body, an event too long, a request accepted and
never answered. It also answers requests sent to it as a proxy (an absolute URI in the
request line) as if it were the server named there, and records every request, so a test can
see what went through it.

Standard library only; one thread per connection; 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

MODEL = "standin-model"


@dataclass(frozen=True)
class Reply:
    """A whole answer: `body` as JSON (a dict or list) or as it is (str, bytes)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(frozen=True)
class Stream:
    """A streamed chat answer: one event per piece, then the finish, the usage and `[DONE]`,
    each left out as asked. `cut` closes the connection after the pieces without ending the
    chunked body (a connection that broke); `raw` is sent as it is after the pieces."""

    pieces: tuple[str, ...] = ("Hello", " world")
    finish: str | None = "stop"
    usage: bool = True
    done: bool = True
    cut: bool = False
    raw: bytes = b""
    delay_s: float = 0.0  # before each piece


@dataclass(frozen=True)
class Hang:
    """The request is read and never answered (until the stand-in stops)."""


Script = Reply | Stream | Hang


@dataclass(frozen=True)
class Request:
    """A request as it arrived: `target` as in the request line (an absolute URI when sent
    to a proxy), `path` the path it asked for."""

    method: str
    target: str
    path: str
    headers: dict[str, str]  # keys lower-cased
    body: Any  # JSON, or None


class RemoteStandIn:
    """The stand-in server (see the module). `url` is its OpenAI base URL, `address` its root
    (as a proxy's address)."""

    def __init__(self) -> None:
        # What GET /v1/models lists: anything, as a hostile server may list.
        self.models: list[Any] = [{"id": MODEL, "object": "model", "owned_by": "standin"}]
        self._scripts: dict[str, deque[Script]] = {}
        self._always: dict[str, Script] = {}
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self.release = threading.Event()  # set at stop: hanging requests end
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"{self.address}/v1"

    def script(self, path: str, *replies: Script) -> None:
        """`path`'s next requests get `replies`, one each, then the default again."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(replies)

    def always(self, path: str, reply: Script | None) -> None:
        """Every request of `path` gets `reply` (None: the default again)."""
        with self._lock:
            if reply is None:
                self._always.pop(path, None)
            else:
                self._always[path] = reply

    def requests(self, path: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self._requests if path is None or r.path == path]

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> RemoteStandIn:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- for the handler ----------------------------------------------------------------------

    def _next(self, request: Request) -> Script | None:
        with self._lock:
            self._requests.append(request)
            queue = self._scripts.get(request.path)
            if queue:
                return queue.popleft()
            return self._always.get(request.path)

    def default(self, request: Request) -> Script:
        if request.method == "GET" and request.path == "/v1/models":
            return Reply(body={"object": "list", "data": self.models})
        if request.method == "POST" and request.path == "/tokenize":
            content = request.body.get("content") if isinstance(request.body, dict) else None
            if not isinstance(content, str):
                return Reply(400, {"error": {"message": "no content"}})
            return Reply(body={"count": len(content.split())})
        if request.method == "POST" and request.path == "/v1/chat/completions":
            return Stream()
        return Reply(404, {"error": {"message": f"no route {request.path}"}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, standin: RemoteStandIn) -> None:
        self.standin = standin
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-answer is what these tests script


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = urlsplit(self.path).path if "://" in self.path else self.path.split("?")[0]
        request = Request(self.command, self.path, path,
                          {k.lower(): v for k, v in self.headers.items()}, body)
        standin = self.server.standin
        script = standin._next(request) or standin.default(request)
        if isinstance(script, Hang):
            standin.release.wait()
            self.close_connection = True
        elif isinstance(script, Stream):
            self._stream(script)
        else:
            self._reply(script)

    def _reply(self, reply: Reply) -> None:
        body = reply.body
        data = body if isinstance(body, bytes) else body.encode() if isinstance(body, str) \
            else json.dumps(body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, stream: Stream) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
        for piece in stream.pieces:
            if stream.delay_s:
                time.sleep(stream.delay_s)
            self._event({"choices": [{"index": 0, "delta": {"content": piece},
                                      "finish_reason": None}]})
        if stream.raw:
            self._chunk(stream.raw)
        if stream.cut:
            self.close_connection = True
            return
        if stream.finish is not None:
            self._event({"choices": [{"index": 0, "delta": {},
                                      "finish_reason": stream.finish}]})
        if stream.usage:
            n = len(stream.pieces)
            self._event({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": n,
                                                  "total_tokens": 7 + n}})
        if stream.done:
            self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _event(self, event: dict[str, Any]) -> None:
        self._chunk(b"data: " + json.dumps(event).encode() + b"\n\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
