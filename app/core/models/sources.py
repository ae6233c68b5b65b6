"""Where models are downloaded from: the Hugging Face Hub, a mirror of it, or ModelScope.

The hub cannot be reached from everywhere (from China, often not at all), so searching, the
catalog and downloads can go to one of three sources:

- `huggingface`: the Hugging Face Hub, at `HF_ENDPOINT` when that is set (as the hub client reads
  it), else https://huggingface.co. The hub token (`HF_TOKEN`, or the one `hf auth login` stored)
  is sent as the hub client sends it.
- `mirror`: any server that speaks the hub's protocol at another address, such as
  https://hf-mirror.com. The hub token is a secret of the user's hub account: it is never sent to
  a mirror unless the user asks (`send_token`).
- `modelscope`: ModelScope (https://modelscope.cn), through its own client (`modelscope.py`); at
  `MODELSCOPE_ENDPOINT` when that is set, as that client reads it. Nothing of the hub's is sent.

A `Source` is a plain value: what a download note records, so that a paused download resumes from
where it started. It reads the environment when asked for its address, never when it is made,
the way `hub.endpoint()` does. Nothing here touches the network.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.i18n import N_, _

HUGGINGFACE = "huggingface"
MIRROR = "mirror"
MODELSCOPE = "modelscope"
KINDS: tuple[str, ...] = (HUGGINGFACE, MIRROR, MODELSCOPE)
# How each source is named to the user (translated where shown).
KIND_LABELS: dict[str, str] = {HUGGINGFACE: N_("Hugging Face"), MIRROR: N_("Hugging Face mirror"),
                               MODELSCOPE: N_("ModelScope")}

HF_DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_MIRROR = "https://hf-mirror.com"
MODELSCOPE_DEFAULT_ENDPOINT = "https://modelscope.cn"  # the client's own default
MAX_URL = 500  # characters in a mirror's address: a real one is a few dozen


class InvalidSourceError(ValueError):
    """A source name or a mirror address that cannot be used; the message says why."""


def check_url(url: object, what: str = "") -> str:
    """`url` as a source's address (no trailing "/"), if it is one: http or https, a host, no
    user name or password in it (they would be sent to whoever answers, and shown in every
    message), no query or fragment, at most `MAX_URL` characters. Else `InvalidSourceError`."""
    what = what or _("The mirror's address")
    if not isinstance(url, str) or not url.strip():
        raise InvalidSourceError(_("{what} is empty: give one such as {example}.").format(
            what=what, example=DEFAULT_MIRROR))
    url = url.strip()
    shown = repr(url[:80])
    if len(url) > MAX_URL:
        raise InvalidSourceError(_("{what} is longer than {n} characters.").format(
            what=what, n=MAX_URL))
    if not url.isprintable() or any(c.isspace() for c in url):
        raise InvalidSourceError(_("{what} {url} has spaces or control characters in it.")
                                 .format(what=what, url=shown))
    try:
        parts = urllib.parse.urlsplit(url)
        _port = parts.port  # a port that is no number raises here
    except ValueError:
        raise InvalidSourceError(_("{what} {url} is not a web address.").format(
            what=what, url=shown)) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidSourceError(_("{what} {url} must start with https:// (or http://) and "
                                   "name a server.").format(what=what, url=shown))
    if parts.username is not None or parts.password is not None:
        raise InvalidSourceError(_("{what} must not hold a user name or password.").format(
            what=what))
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InvalidSourceError(_("{what} {url} must not have a query or a fragment (what "
                                   "follows '?' or '#').").format(what=what, url=shown))
    return url.rstrip("/")


@dataclass(frozen=True)
class Source:
    """One source of models. `url` is the mirror's address (None for the other kinds, whose
    address comes from the environment or the default); `send_token` lets the hub token go to
    a mirror."""

    kind: str = HUGGINGFACE
    url: str | None = None
    send_token: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidSourceError(_("{name!r} is not a model source: use one of {kinds}.")
                                     .format(name=str(self.kind)[:40], kinds=", ".join(KINDS)))
        if self.kind == MIRROR:
            object.__setattr__(self, "url", check_url(self.url))
        elif self.url is not None:
            raise InvalidSourceError(_("Only a mirror has an address of its own."))
        if not isinstance(self.send_token, bool):
            raise InvalidSourceError(_("send_token must be true or false."))

    @property
    def speaks_hub(self) -> bool:
        """Whether it answers the hub's protocol (the hub client talks to it)."""
        return self.kind in (HUGGINGFACE, MIRROR)

    @property
    def endpoint(self) -> str:
        """Its address now: a mirror's own; the hub's and ModelScope's from the environment."""
        if self.kind == MIRROR:
            assert self.url is not None  # checked when made
            return self.url
        if self.kind == MODELSCOPE:
            return (os.environ.get("MODELSCOPE_ENDPOINT") or "").strip().rstrip("/") or \
                MODELSCOPE_DEFAULT_ENDPOINT
        return (os.environ.get("HF_ENDPOINT") or HF_DEFAULT_ENDPOINT).rstrip("/")

    @property
    def hf_token(self) -> bool | None:
        """What the hub client gets as `token`: None (its own choice: HF_TOKEN or the stored
        login) for the hub and for a mirror the user lets have it, False (none at all) for
        any other mirror."""
        if self.kind == MIRROR and not self.send_token:
            return False
        return None

    @property
    def label(self) -> str:
        """How a message names it: "Hugging Face", "the mirror hf-mirror.com", "ModelScope"."""
        if self.kind == MIRROR:
            host = urllib.parse.urlsplit(self.endpoint).netloc
            return _("the mirror {host}").format(host=host)
        return _(KIND_LABELS[self.kind])

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind == MIRROR:
            data |= {"url": self.url, "send_token": self.send_token}
        return data

    @classmethod
    def from_json(cls, data: object) -> Source:
        """The source a note or a record names (checked as a new one is); `InvalidSourceError`
        for anything else."""
        if not isinstance(data, dict):
            raise InvalidSourceError(_("A model source must be an object."))
        kind = data.get("kind")
        if kind == MIRROR:
            return cls(MIRROR, data.get("url"), data.get("send_token") is True)
        if not isinstance(kind, str):
            raise InvalidSourceError(_("A model source must have a kind."))
        return cls(kind, data.get("url"))


HUGGING_FACE = Source()


# The settings that choose the source (declared in app/core/settings/schema.py, which reads
# them; shown on the Models page and in Settings → App).
SOURCE_SETTING = "app.model_source"
MIRROR_SETTING = "app.mirror_url"
TOKEN_SETTING = "app.send_token_to_mirror"


def from_settings(get: Callable[[str], object]) -> Source:
    """The source the *Model source* settings choose, read through `get` (`SettingsFile.get`),
    or `InvalidSourceError` naming what is wrong (a mirror's address that cannot be used)."""
    return make(get(SOURCE_SETTING), get(MIRROR_SETTING), get(TOKEN_SETTING))


def make(kind: object, mirror_url: object = None, send_token: object = False) -> Source:
    """The source of this kind (a mirror at `mirror_url`), or `InvalidSourceError`."""
    if kind == MIRROR:
        return Source(MIRROR, check_url(mirror_url), send_token is True)
    if not isinstance(kind, str):
        raise InvalidSourceError(_("{name!r} is not a model source: use one of {kinds}.")
                                 .format(name=str(kind)[:40], kinds=", ".join(KINDS)))
    return Source(kind)
