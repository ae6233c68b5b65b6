"""The hub stand-in, checked against the real `huggingface_hub` client it stands in for."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import get_hf_file_metadata, hf_hub_url, http_get
from huggingface_hub.hf_api import RepoFile

from tests import hubstandin
from tests.hubstandin import HubStandIn, sha256_of

REPO = "owner/Tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"
DATA = bytes(range(256)) * 4096  # 1 MiB, every offset distinguishable modulo 256
# `http_get` reads the body in chunks of this size and keeps only whole ones when a transfer
# breaks, so a resume asks for a multiple of it.
CHUNK = constants.DOWNLOAD_CHUNK_SIZE
CARD = b"# a model card\n"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStandIn]:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with HubStandIn() as server:
        server.add_repo(REPO, downloads=5, likes=2)
        server.add_file(REPO, FILE, DATA)
        server.add_file(REPO, "README.md", CARD, lfs=False)
        yield server


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.gguf"
    path.write_bytes(DATA * 24)  # over two of `http_get`'s chunks
    return path


def api(hub: HubStandIn) -> HfApi:
    return HfApi(endpoint=hub.url)


def url(hub: HubStandIn, filename: str = FILE, repo: str = REPO, revision: str = "main") -> str:
    return hf_hub_url(repo, filename, revision=revision, endpoint=hub.url)


def file_gets(hub: HubStandIn, filename: str = FILE) -> list[dict[str, str]]:
    return [r.headers for r in hub.requests if r.method == "GET" and r.path.endswith(filename)]


def test_list_models_searches_filters_sorts_and_limits(standin: HubStandIn) -> None:
    standin.add_repo("other/Tiny-Bigger-GGUF", downloads=50, tags=["llama"])
    standin.add_file("other/Tiny-Bigger-GGUF", "x.gguf", b"x")
    standin.add_file("else/Unrelated", "y.gguf", b"y")
    found = list(api(standin).list_models(search="tiny", filter="gguf", sort="downloads"))
    assert [m.id for m in found] == ["other/Tiny-Bigger-GGUF", REPO]
    assert found[1].downloads == 5 and found[1].likes == 2 and found[1].gated is False
    assert found[1].last_modified is not None and found[1].siblings is None
    assert "gguf" in (found[0].tags or []) and found[0].library_name == "gguf"
    assert [m.id for m in api(standin).list_models(filter=["gguf", "llama"])] == [
        "other/Tiny-Bigger-GGUF"]
    assert [m.id for m in api(standin).list_models(author="else")] == ["else/Unrelated"]
    assert len(list(api(standin).list_models(limit=1))) == 1
    full = list(api(standin).list_models(search="Tiny-GGUF", full=True))
    assert [s.rfilename for s in full[0].siblings or []] == ["README.md", FILE]
    assert list(api(standin).list_models(search="nothing-like-it")) == []


def test_model_info_with_files_metadata(standin: HubStandIn) -> None:
    info = api(standin).model_info(REPO, files_metadata=True)
    assert info.id == REPO and info.sha is not None and len(info.sha) == 40
    assert info.card_data is not None and info.card_data.license == "apache-2.0"
    files = {s.rfilename: s for s in info.siblings or []}
    gguf, readme = files[FILE], files["README.md"]
    assert gguf.size == len(DATA) and gguf.lfs is not None
    assert gguf.lfs.sha256 == hashlib.sha256(DATA).hexdigest() == sha256_of(DATA)
    assert gguf.lfs.size == len(DATA) and gguf.lfs.pointer_size > 100
    assert readme.lfs is None and readme.size == len(CARD)
    assert readme.blob_id == hashlib.sha1(b"blob %d\0" % len(CARD) + CARD).hexdigest()
    # Pinned to its commit, the same repo; without files_metadata, names only.
    pinned = api(standin).model_info(REPO, revision=info.sha)
    assert pinned.sha == info.sha
    assert [s.size for s in pinned.siblings or []] == [None, None]
    with pytest.raises(RevisionNotFoundError):
        api(standin).model_info(REPO, revision="v9")


def test_tree_and_paths_info(standin: HubStandIn) -> None:
    standin.add_file(REPO, "sub/dir/deep.gguf", b"deep")
    top = {e.path: e for e in api(standin).list_repo_tree(REPO)}
    assert set(top) == {"README.md", FILE, "sub"}
    gguf = top[FILE]
    assert isinstance(gguf, RepoFile) and gguf.lfs is not None
    assert gguf.lfs.sha256 == sha256_of(DATA) and gguf.size == len(DATA)
    every = [e.path for e in api(standin).list_repo_tree(REPO, recursive=True)]
    assert "sub/dir/deep.gguf" in every and "sub/dir" in every
    assert [e.path for e in api(standin).list_repo_tree(REPO, "sub/dir")] == ["sub/dir/deep.gguf"]
    info = api(standin).get_paths_info(REPO, [FILE, "absent", "sub"])
    assert sorted(e.path for e in info) == ["sub", FILE]


def test_file_metadata_for_lfs_and_plain_files(standin: HubStandIn) -> None:
    commit = api(standin).model_info(REPO).sha
    meta = get_hf_file_metadata(url(standin))
    assert (meta.size, meta.etag, meta.commit_hash) == (len(DATA), sha256_of(DATA), commit)
    plain = get_hf_file_metadata(url(standin, "README.md"))
    assert plain.size == len(CARD)
    assert plain.etag == hashlib.sha1(b"blob %d\0" % len(CARD) + CARD).hexdigest()
    assert get_hf_file_metadata(url(standin, revision=str(commit))).size == len(DATA)


def test_an_advertised_hash_is_used_everywhere_but_the_bytes_are_real(
        standin: HubStandIn) -> None:
    standin.add_file(REPO, FILE, DATA, advertised_sha256="ab" * 32)
    info = api(standin).model_info(REPO, files_metadata=True)
    sibling = next(s for s in info.siblings or [] if s.rfilename == FILE)
    assert sibling.lfs is not None and sibling.lfs.sha256 == "ab" * 32
    (tree,) = [e for e in api(standin).list_repo_tree(REPO) if e.path == FILE]
    assert isinstance(tree, RepoFile) and tree.lfs is not None and tree.lfs.sha256 == "ab" * 32
    assert get_hf_file_metadata(url(standin)).etag == "ab" * 32
    head = httpx2.head(url(standin))
    assert head.headers["etag"] == head.headers["x-linked-etag"] == f'"{"ab" * 32}"'
    assert httpx2.get(url(standin)).content == DATA


def test_http_get_downloads_a_file_from_disk(standin: HubStandIn, big_file: Path) -> None:
    standin.add_file(REPO, "big.gguf", big_file)
    out = io.BytesIO()
    http_get(url(standin, "big.gguf"), out)
    assert out.getvalue() == big_file.read_bytes()


def test_http_get_resumes_after_a_drop_with_a_range_request(standin: HubStandIn,
                                                            big_file: Path) -> None:
    standin.add_file(REPO, "big.gguf", big_file)
    standin.drop_after(REPO, "big.gguf", CHUNK + 5_000_000)
    out = io.BytesIO()
    http_get(url(standin, "big.gguf"), out)
    assert out.getvalue() == big_file.read_bytes()
    gets = file_gets(standin, "big.gguf")
    assert "range" not in gets[0]
    assert [g["range"] for g in gets[1:]] == [f"bytes={CHUNK}-"]


def test_a_drop_reads_as_a_protocol_error_to_httpx(standin: HubStandIn) -> None:
    standin.drop_after(REPO, FILE, 1000, times=2)
    for _ in range(2):
        with pytest.raises(httpx2.RemoteProtocolError):
            httpx2.get(url(standin))
    assert httpx2.get(url(standin)).content == DATA


def test_ranges(standin: HubStandIn) -> None:
    def get(spec: str) -> httpx2.Response:
        return httpx2.get(url(standin), headers={"Range": spec})

    part = get("bytes=1000-1999")
    assert part.status_code == 206 and part.content == DATA[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(DATA)}"
    assert get("bytes=1000-").content == DATA[1000:]
    assert get("bytes=-10").content == DATA[-10:]
    assert get(f"bytes=10-{len(DATA) * 2}").content == DATA[10:]
    refused = get(f"bytes={len(DATA)}-")
    assert refused.status_code == 416
    assert refused.headers["content-range"] == f"bytes */{len(DATA)}"


def test_ignore_range_answers_200_with_the_whole_file(standin: HubStandIn,
                                                      big_file: Path) -> None:
    standin.ignore_range(REPO, FILE)
    ignored = httpx2.get(url(standin), headers={"Range": "bytes=10-"})
    assert ignored.status_code == 200 and ignored.content == DATA
    assert httpx2.get(url(standin), headers={"Range": "bytes=10-"}).status_code == 206
    # http_get notices the 200 to its Range request and starts over.
    standin.add_file(REPO, "big.gguf", big_file)
    standin.drop_after(REPO, "big.gguf", CHUNK + 5_000_000)
    standin.ignore_range(REPO, "big.gguf")
    out = io.BytesIO()
    http_get(url(standin, "big.gguf"), out)
    assert out.getvalue() == big_file.read_bytes()
    assert [g.get("range") for g in file_gets(standin, "big.gguf")] == [None, f"bytes={CHUNK}-"]


def test_missing_repo_file_and_route_errors(standin: HubStandIn) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api(standin).model_info("nobody/nothing")
    with pytest.raises(RepositoryNotFoundError):
        get_hf_file_metadata(url(standin, repo="nobody/nothing"))
    with pytest.raises(RemoteEntryNotFoundError):
        get_hf_file_metadata(url(standin, "absent.gguf"))
    with pytest.raises(RemoteEntryNotFoundError):
        http_get(url(standin, "absent.gguf"), io.BytesIO())
    with pytest.raises(RevisionNotFoundError):
        get_hf_file_metadata(url(standin, revision="refs/pr/1"))
    assert httpx2.get(f"{standin.url}/api/nothing").status_code == 404
    codes = [(r.status, r.headers.get("range")) for r in standin.requests]
    assert [c for c, _ in codes] == [404, 404, 404, 404, 404, 404]


def test_a_gated_repo_needs_the_token(standin: HubStandIn) -> None:
    standin.add_repo(REPO, gated=True)
    standin.token = "hf_right"
    with pytest.raises(GatedRepoError):
        api(standin).model_info(REPO)
    with pytest.raises(GatedRepoError):
        api(standin).model_info(REPO, token="hf_wrong")
    with pytest.raises(GatedRepoError):
        get_hf_file_metadata(url(standin))
    assert api(standin).model_info(REPO, token="hf_right").gated == "auto"
    assert get_hf_file_metadata(url(standin), token="hf_right").size == len(DATA)
    out = io.BytesIO()
    http_get(url(standin), out, headers={"authorization": "Bearer hf_right"})
    assert out.getvalue() == DATA
    assert [m.id for m in api(standin).list_models()] == [REPO]  # listed to anyone


def test_throttle_paces_bodies_and_can_be_lifted(standin: HubStandIn) -> None:
    standin.throttle(4_000_000)
    start = time.monotonic()
    assert httpx2.get(url(standin)).content == DATA
    assert time.monotonic() - start >= 0.2  # 1 MiB at 4 MB/s is 0.26 s
    standin.throttle(100_000)
    with httpx2.stream("GET", url(standin)) as response:
        received = bytearray()
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) >= 50_000:
                standin.throttle(None)  # the rest comes at once
        assert bytes(received) == DATA


def test_a_handler_failure_never_hangs_the_client(standin: HubStandIn, big_file: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the stand-in")

    monkeypatch.setattr(hubstandin._Repo, "info", broken)
    assert httpx2.get(f"{standin.url}/api/models/{REPO}", timeout=5).status_code == 500
    standin.add_file(REPO, "gone.gguf", big_file)
    big_file.unlink()
    with pytest.raises(httpx2.RemoteProtocolError):  # failed after the headers: a short body
        httpx2.get(url(standin, "gone.gguf"), timeout=5)
    assert httpx2.get(url(standin)).content == DATA  # and the server carries on


def test_stop_is_prompt_with_keep_alive_connections_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    server = HubStandIn().start()
    server.add_file(REPO, FILE, DATA)
    with httpx2.Client() as client:
        assert client.get(url(server)).content == DATA  # the connection stays in the pool
        start = time.monotonic()
        server.stop()
        assert time.monotonic() - start < 2
    server.stop()  # twice is harmless
