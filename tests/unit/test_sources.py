"""Model sources (issue 24, item 4): the hub, a mirror of it and ModelScope, each a local
stand-in here. What a source is and what it accepts, that a mirror never gets the hub token
unless allowed, and that a download from each resumes and is verified the same way."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.engine.cancel import CancelToken
from app.core.models import browse, hub, modelscope, sources
from app.core.models.download import Download, HashMismatchError
from app.core.models.registry import Registry
from app.core.models.sources import InvalidSourceError, Source
from app.core.settings.file import SettingsFile
from tests.hubstandin import HubStandIn
from tests.modelscope_standin import ModelScopeStandIn

REPO = "lamplight-test/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TOKEN = "hf_lamplight_unit_secret"


# -- what a source is ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://hf-mirror.com", "https://hf-mirror.com/", "http://127.0.0.1:8080",
    "https://mirror.example/hub", "  https://hf-mirror.com  "])
def test_a_mirror_address_is_http_or_https_and_a_host(url: str) -> None:
    checked = sources.check_url(url)
    assert checked == url.strip().rstrip("/")
    assert Source(sources.MIRROR, url).endpoint == checked


@pytest.mark.parametrize("url", [
    "", "   ", None, 3, "hf-mirror.com", "ftp://mirror.example", "file:///etc/passwd",
    "https://user:secret@mirror.example", "https://token@mirror.example",
    "https://mirror.example/?token=x", "https://mirror.example/#x", "https://mirror.example?",
    "https://mirror .example", "https://mirror.example/a\nb", "https://mirror.example:port",
    "https://" + "a" * 600 + ".example", "https://", "javascript:alert(1)"])
def test_a_mirror_address_that_cannot_be_used_is_refused_in_words(url: object) -> None:
    with pytest.raises(InvalidSourceError) as refused:
        sources.check_url(url)
    message = str(refused.value)
    assert message and "\n" not in message and len(message) < 300
    assert "secret" not in message  # credentials are never repeated back


def test_kinds_and_what_each_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.delenv("MODELSCOPE_ENDPOINT", raising=False)
    assert sources.HUGGING_FACE.endpoint == "https://huggingface.co"
    assert Source(sources.MODELSCOPE).endpoint == "https://modelscope.cn"
    # The environment is read when asked, not when the source is made.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:1/")
    monkeypatch.setenv("MODELSCOPE_ENDPOINT", "http://127.0.0.1:2")
    assert sources.HUGGING_FACE.endpoint == hub.endpoint() == "http://127.0.0.1:1"
    assert Source(sources.MODELSCOPE).endpoint == "http://127.0.0.1:2"
    # The token: the hub client's own choice for the hub, none for a mirror unless allowed.
    assert sources.HUGGING_FACE.hf_token is None
    assert Source(sources.MIRROR, "https://m.example").hf_token is False
    assert Source(sources.MIRROR, "https://m.example", send_token=True).hf_token is None
    assert Source(sources.MIRROR, "https://m.example").label == "the mirror m.example"
    with pytest.raises(InvalidSourceError):
        Source("elsewhere")
    with pytest.raises(InvalidSourceError):
        Source(sources.MODELSCOPE, "https://m.example")  # only a mirror has an address


def test_a_source_round_trips_through_json_and_refuses_what_it_cannot_be() -> None:
    for source in (sources.HUGGING_FACE, Source(sources.MODELSCOPE),
                   Source(sources.MIRROR, "https://m.example", send_token=True)):
        assert Source.from_json(json.loads(json.dumps(source.to_json()))) == source
    for bad in (None, [], {}, {"kind": 3}, {"kind": "mirror"},
                {"kind": "mirror", "url": "ftp://x"}, {"kind": "nowhere"},
                {"kind": "modelscope", "url": "https://m.example"}):
        with pytest.raises(InvalidSourceError):
            Source.from_json(bad)


def test_the_settings_choose_the_source(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    assert sources.from_settings(settings.get) == sources.HUGGING_FACE
    settings.set(sources.SOURCE_SETTING, "modelscope")
    assert sources.from_settings(settings.get) == Source(sources.MODELSCOPE)
    settings.set(sources.SOURCE_SETTING, "mirror")
    assert sources.from_settings(settings.get) == Source(sources.MIRROR, sources.DEFAULT_MIRROR)
    settings.set(sources.MIRROR_SETTING, "https://m.example/")
    settings.set(sources.TOKEN_SETTING, True)
    assert sources.from_settings(settings.get) == Source(sources.MIRROR, "https://m.example",
                                                         send_token=True)
    settings.set(sources.MIRROR_SETTING, "m.example")
    with pytest.raises(InvalidSourceError):
        sources.from_settings(settings.get)


def test_a_remote_file_carries_its_source_into_the_note() -> None:
    commit = "a" * 40
    remote = hub.RemoteFile(REPO, FILE, 10, "b" * 64, commit,
                            Source(sources.MIRROR, "https://m.example"))
    assert hub.RemoteFile.from_json(json.loads(json.dumps(remote.to_json()))) == remote
    old = remote.to_json()
    del old["source"]  # a note written before sources existed: the hub's
    assert hub.RemoteFile.from_json(old).source == sources.HUGGING_FACE
    # ModelScope lists by branch; the hub and its mirrors pin a commit.
    assert hub.RemoteFile(REPO, FILE, 10, None, "master", Source(sources.MODELSCOPE))
    with pytest.raises(hub.UntrustedAnswerError):
        hub.RemoteFile(REPO, FILE, 10, None, "master")
    with pytest.raises(hub.UntrustedAnswerError):
        hub.RemoteFile(REPO, FILE, 10, None, "../../etc", Source(sources.MODELSCOPE))
    assert remote.same_bytes(hub.RemoteFile(REPO, FILE, 10, "B" * 64, "c" * 40))
    assert not remote.same_bytes(hub.RemoteFile(REPO, FILE, 11, "b" * 64, "c" * 40))
    unhashed = hub.RemoteFile(REPO, FILE, 10, None, commit)
    assert not unhashed.same_bytes(unhashed)


def test_the_modelscope_file_address_is_the_one_its_client_uses() -> None:
    from modelscope_hub._legacy_api import LegacyClient

    remote = hub.RemoteFile(REPO, "sub dir/a+b.gguf", 1, None, "v1.0",
                            Source(sources.MODELSCOPE))
    client = LegacyClient(token=None, endpoint=remote.source.endpoint,
                          user_agent="modelscope_hub/test")
    assert modelscope.file_url(remote) == client.get_download_url(
        REPO, "model", "sub dir/a+b.gguf", "v1.0")


# -- against the stand-ins -------------------------------------------------------------------------

@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)


@pytest.fixture
def mirror(online: None, smollm2_path: Path) -> Iterator[HubStandIn]:
    with HubStandIn() as server:
        server.add_repo(REPO, downloads=5)
        server.add_file(REPO, FILE, smollm2_path)
        yield server


@pytest.fixture
def modelscope_server(online: None, smollm2_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelScopeStandIn]:
    with ModelScopeStandIn() as server:
        monkeypatch.setenv("MODELSCOPE_ENDPOINT", server.url)
        server.add_repo(REPO, downloads=5)
        server.add_file(REPO, FILE, smollm2_path)
        server.add_file(REPO, "README.md", b"# card\n", lfs=False)
        yield server


@pytest.fixture(params=["mirror", "modelscope"])
def served(request: pytest.FixtureRequest) -> tuple[HubStandIn, Source]:
    if request.param == "mirror":
        server: HubStandIn = request.getfixturevalue("mirror")
        return server, Source(sources.MIRROR, server.url)
    server = request.getfixturevalue("modelscope_server")
    return server, Source(sources.MODELSCOPE)


def downloads_of(server: HubStandIn) -> list[dict[str, str]]:
    return [r.headers for r in server.requests
            if r.method == "GET" and (r.path.endswith(f"/{FILE}") or f"FilePath={FILE}" in r.path)]


def test_search_and_files_come_from_the_source(served: tuple[HubStandIn, Source],
                                               smollm2_path: Path) -> None:
    server, source = served
    assert [r.repo for r in browse.search("smollm2", source)] == [REPO]
    files = browse.repo_files(REPO, source)
    assert [f.filename for f in files.files] == [FILE]  # GGUF files only
    remote = files.files[0]
    assert remote.source == source
    assert remote.size == smollm2_path.stat().st_size
    assert remote.sha256 == hashlib.sha256(smollm2_path.read_bytes()).hexdigest()
    with pytest.raises(hub.NotFoundError):
        browse.repo_files("nobody/nothing-GGUF", source)
    assert not [r for r in server.requests if "authorization" in r.headers]


def test_a_dropped_download_resumes_and_is_verified(served: tuple[HubStandIn, Source],
                                                    tmp_path: Path, smollm2_path: Path) -> None:
    server, source = served
    server.drop_after(REPO, FILE, 10_000_000, times=2)
    remote = browse.repo_files(REPO, source).find(FILE)
    assert remote is not None
    path = Download(tmp_path, remote).run(CancelToken())
    assert path.read_bytes() == smollm2_path.read_bytes()
    assert [h.get("range") for h in downloads_of(server)] == [
        None, "bytes=10000000-", "bytes=20000000-"]
    record = Registry(tmp_path).get(path)
    assert record is not None and record["origin"] == source.to_json()
    assert not [r for r in server.requests if "authorization" in r.headers]  # no hub token


def test_a_paused_download_resumes_from_its_note_s_source(served: tuple[HubStandIn, Source],
                                                          tmp_path: Path,
                                                          smollm2_path: Path) -> None:
    server, source = served
    remote = browse.repo_files(REPO, source).find(FILE)
    assert remote is not None
    cancel = CancelToken()

    def pause_after_some(progress: object) -> None:
        if getattr(progress, "done", 0) > 5_000_000:
            cancel.cancel()

    server.throttle(20_000_000)
    with pytest.raises(hub.HubError):  # DownloadInterrupted
        Download(tmp_path, remote).run(cancel, pause_after_some)
    server.throttle(None)
    [paused] = Download.pending(tmp_path)  # as after a restart: from the note alone
    assert paused.remote == remote and paused.remote.source == source
    kept = paused.done_bytes
    assert kept > 5_000_000
    path = paused.run(CancelToken())
    assert path.read_bytes() == smollm2_path.read_bytes()
    assert downloads_of(server)[-1]["range"] == f"bytes={kept}-"


def test_a_wrong_hash_installs_nothing(served: tuple[HubStandIn, Source], tmp_path: Path,
                                       smollm2_path: Path) -> None:
    server, source = served
    server.add_file(REPO, FILE, smollm2_path, advertised_sha256="ab" * 32)
    remote = browse.repo_files(REPO, source).find(FILE)
    assert remote is not None
    with pytest.raises(HashMismatchError):
        Download(tmp_path, remote).run(CancelToken())
    assert not list(tmp_path.rglob("*.gguf*"))


def test_the_mirror_gets_the_token_only_when_allowed(mirror: HubStandIn, tmp_path: Path) -> None:
    allowed = Source(sources.MIRROR, mirror.url, send_token=True)
    remote = browse.repo_files(REPO, allowed).find(FILE)
    assert remote is not None
    Download(tmp_path, remote).run(CancelToken())
    assert {r.headers.get("authorization") for r in mirror.requests} == {f"Bearer {TOKEN}"}


def test_a_part_from_another_source_is_kept_when_its_bytes_are_the_same(
        mirror: HubStandIn, modelscope_server: ModelScopeStandIn, tmp_path: Path,
        smollm2_path: Path) -> None:
    from_mirror = browse.repo_files(REPO, Source(sources.MIRROR, mirror.url)).find(FILE)
    from_modelscope = browse.repo_files(REPO, Source(sources.MODELSCOPE)).find(FILE)
    assert from_mirror is not None and from_modelscope is not None
    cancel = CancelToken()
    mirror.throttle(20_000_000)
    with pytest.raises(hub.HubError):
        Download(tmp_path, from_mirror).run(
            cancel, lambda p: cancel.cancel() if p.done > 5_000_000 else None)
    kept = Download(tmp_path, from_mirror).done_bytes
    path = Download(tmp_path, from_modelscope).run(CancelToken())  # the same SHA-256 and size
    assert path.read_bytes() == smollm2_path.read_bytes()
    assert downloads_of(modelscope_server)[-1]["range"] == f"bytes={kept}-"


def test_offline_mode_keeps_every_source_off_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for source in (Source(sources.MODELSCOPE), Source(sources.MIRROR, "http://127.0.0.1:9")):
        with pytest.raises(hub.OfflineError):
            browse.search("qwen", source)
        with pytest.raises(hub.OfflineError):
            browse.repo_files(REPO, source)


def test_an_unreachable_modelscope_is_one_line(online: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("MODELSCOPE_ENDPOINT", f"http://127.0.0.1:{probe.getsockname()[1]}")
    with pytest.raises(hub.NetworkError, match=r"^Cannot reach ModelScope at http://127\.0\.0\.1"):
        browse.search("qwen", Source(sources.MODELSCOPE))
