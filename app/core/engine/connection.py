"""A server the user added (a connection) and a model of one, as the engine protocol names
them: `LoadSpec.remote` carries a `RemoteTarget`. The HTTP side is `remote`."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from app.i18n import _

MAX_NAME = 200  # a model id or a name from a server, as shown
REMOTE_MARK = "@"  # NAME@CONNECTION


@dataclass(frozen=True)
class Connection:
    """A server the user added: `url` is its OpenAI base URL (".../v1"); `parallel` how many
    requests it may run at once; `n_ctx` the context length to assume when the server does
    not say (0: ask the server, else 4096). The key is never shown, logged or compared."""

    name: str
    url: str
    parallel: int = 1
    n_ctx: int = 0
    api_key: str | None = field(default=None, repr=False, compare=False)

    @property
    def root(self) -> str:
        """The server's root, where llama-server and vLLM have /props and /tokenize."""
        return self.url[:-3] if self.url.endswith("/v1") else self.url


def normalize_url(text: str) -> str:
    """A base URL as typed ("gpu-box:8080", "http://h:11434/v1/") as the API's base: a scheme
    (http), no trailing slash, and "/v1" when no path was given. Raises ValueError."""
    text = text.strip()
    if not text:
        raise ValueError(_("the URL is empty"))
    if any(not c.isprintable() or c.isspace() for c in text):
        raise ValueError(_("a URL has no spaces or control characters"))
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise ValueError(_("'{url}' is not a URL").format(url=text[:MAX_NAME])) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(_("'{url}' is not an http:// or https:// URL").format(
            url=text[:MAX_NAME]))
    if parts.username or parts.password:
        raise ValueError(_("put the key in the key field, not in the URL"))
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path or "/v1", "", ""))


def remote_ref(model: str, connection: str) -> str:
    """A remote model's one name: `NAME@CONNECTION` (`--model`, per-model settings, a chat's
    model)."""
    return f"{model}{REMOTE_MARK}{connection}"


def split_ref(ref: str) -> tuple[str, str] | None:
    """`NAME@CONNECTION` as (name, connection); None for anything else (a local model). A model
    id may hold "@" itself (Ollama's are "name:tag"); the connection is after the last one."""
    model, mark, connection = ref.rpartition(REMOTE_MARK)
    if not mark or not model or not connection or "/" in connection or "\\" in connection:
        return None
    return model, connection


@dataclass(frozen=True)
class RemoteTarget:
    """A model of a connection, to load (`LoadSpec.remote`)."""

    connection: Connection
    model: str

    @property
    def ref(self) -> str:
        return remote_ref(self.model, self.connection.name)


def shown_name(text: object) -> str:
    """A name from a server as it may be shown: a string, bounded, without controls."""
    value = "".join(c if c.isprintable() else "?" for c in str(text))
    return value[:MAX_NAME]
