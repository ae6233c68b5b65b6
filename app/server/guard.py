"""What keeps the server safe by default, whatever the request says.

- It listens on loopback unless told otherwise, and refuses any other address without an API
  key (`check_bind`).
- The `Host` header must name the address it listens on, or one of this machine's names: a web
  page whose domain was rebound to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
- A request from a web page (an `Origin` header) is refused unless the origin is listed in the
  settings: a page could otherwise POST to the server without a preflight (cross-site request
  forgery).
- With a key, every request must carry it (`Authorization: Bearer KEY`), compared in constant
  time.
- Bodies are read up to a limit (`read_body`), so no request can fill the memory.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request

from app.server.errors import ApiError, error_response, too_large, unauthorized

BODY_LIMIT = 8 * 1024 * 1024
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond this machine without an API key (`ValueError`, one line)."""
    if not is_loopback(host) and not api_key:
        raise ValueError(f"refusing to listen on {host} without an API key: anyone on the "
                         "network could use your models. Give --api-key-file, or listen on "
                         "127.0.0.1.")


def allowed_hosts(bound: str) -> frozenset[str]:
    """The names a `Host` header may carry for a server bound to `bound`."""
    names = set(LOOPBACK_NAMES) | {bound.lower().strip("[]")}
    if not is_loopback(bound):
        for name in (socket.gethostname(), socket.getfqdn()):
            names |= {name.lower(), f"{name.lower()}.local"}
    return frozenset(names)


def host_of(header: str) -> str:
    """The host of a `Host` header, without its port: "[::1]:5757" → "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """ASGI middleware: the `Host` check and the API key, before any route runs."""

    def __init__(self, app: ASGIApp, *, bound: str, api_key: str | None,
                 origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.origins = frozenset(o.rstrip("/").lower() for o in origins)
        self.names = allowed_hosts(bound)
        self.any_address = bound in ("0.0.0.0", "::")
        self.key = api_key.encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if not self._host_allowed(headers.get("host", "")):
            response = error_response(400, "The Host header names another site: the server "
                                           "answers requests for this machine only.",
                                      param="host", code="invalid_host")
            await response(scope, receive, send)
            return
        origin = headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() not in self.origins:
            # A web page (any site the user visits) may send a "simple" POST without a
            # preflight: unless its origin is listed, it must not run a model.
            response = error_response(403, "Requests from web pages are refused unless their "
                                           "origin is listed in Allowed web origins.",
                                      type_="permission_error", param="origin",
                                      code="origin_not_allowed")
            await response(scope, receive, send)
            return
        if self.key is not None and scope["method"] != "OPTIONS" and not self._authorized(
                headers.get("authorization", "")):
            await unauthorized().response()(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _host_allowed(self, header: str) -> bool:
        host = host_of(header)
        if host in self.names:
            return True
        if self.any_address:  # listening on every address: any of this machine's, by number
            try:
                ipaddress.ip_address(host)
            except ValueError:
                return False
            return True
        return False

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        assert self.key is not None
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                  self.key)


async def read_body(request: Request, limit: int = BODY_LIMIT) -> bytes:
    """The request's body, or `ApiError` 413 as soon as it passes `limit` bytes (a
    Content-Length over it is refused before reading)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large(limit)
        except ValueError:
            raise ApiError(400, "The Content-Length header is not a number.") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
