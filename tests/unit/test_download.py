"""Downloads through the real `huggingface_hub` client from a local hub stand-in."""

from __future__ import annotations

import errno
import hashlib
import threading
from pathlib import Path

import pytest

from app.core.engine.cancel import CancelToken
from app.core.models import download as download_mod
from app.core.models import hub as hub_mod
from app.core.models.download import (
    DiskFullError,
    Download,
    DownloadInterrupted,
    HashMismatchError,
    Progress,
)
from app.core.models.library import list_models
from app.core.models.registry import Registry
from tests.hubstandin import HubStandIn

REPO = "lamplight-test/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def served(hub: HubStandIn, smollm2_path: Path) -> HubStandIn:
    hub.add_repo(REPO, downloads=10)
    hub.add_file(REPO, FILE, smollm2_path)
    hub.add_file(REPO, "README.md", b"# a model card\n", lfs=False)
    return hub


def remote_file() -> hub_mod.RemoteFile:
    found = hub_mod.repo_files(REPO).find(FILE)
    assert found is not None
    return found


def installed_names(models_dir: Path) -> list[str]:
    return [e.name for e in list_models(models_dir) if not e.builtin]


def test_search_and_files_come_from_the_hub(served: HubStandIn, smollm2_path: Path) -> None:
    found = hub_mod.search("smollm2")
    assert [r.repo for r in found] == [REPO]
    files = hub_mod.repo_files(REPO)
    assert [f.filename for f in files.files] == [FILE]  # GGUF files only
    remote = files.files[0]
    assert remote.size == smollm2_path.stat().st_size
    assert remote.sha256 == hashlib.sha256(smollm2_path.read_bytes()).hexdigest()
    assert remote.quant == "Q4_1"
    assert len(remote.revision) == 40  # pinned to a commit


def test_download_installs_a_verified_file(served: HubStandIn, models_dir: Path,
                                           smollm2_path: Path) -> None:
    seen: list[Progress] = []
    path = Download(models_dir, remote_file()).run(CancelToken(), seen.append)
    assert path == models_dir / "lamplight-test" / "SmolLM2-135M-Instruct-GGUF" / FILE
    assert path.read_bytes() == smollm2_path.read_bytes()
    assert seen[0].done == 0
    assert seen[-1].done == seen[-1].total == smollm2_path.stat().st_size
    assert installed_names(models_dir) == ["SmolLM2-135M-Instruct.Q4_1"]
    record = Registry(models_dir).get(path)
    assert record is not None
    assert record["repo"] == REPO
    assert record["sha256"] == remote_file().sha256
    assert not list(models_dir.rglob("*.part*"))


def test_a_dropped_connection_resumes_with_a_range_request(served: HubStandIn,
                                                           models_dir: Path,
                                                           smollm2_path: Path) -> None:
    served.drop_after(REPO, FILE, 10_000_000, times=2)
    path = Download(models_dir, remote_file()).run(CancelToken())
    assert path.read_bytes() == smollm2_path.read_bytes()
    gets = [r for r in served.requests if r.method == "GET" and r.path.endswith(FILE)]
    assert len(gets) == 3
    assert "range" not in gets[0].headers
    assert gets[1].headers["range"] == "bytes=10000000-"
    assert gets[2].headers["range"] == "bytes=20000000-"


def test_a_server_that_ignores_range_still_gives_the_right_file(served: HubStandIn,
                                                                models_dir: Path,
                                                                smollm2_path: Path) -> None:
    served.drop_after(REPO, FILE, 5_000_000)
    served.ignore_range(REPO, FILE)
    path = Download(models_dir, remote_file()).run(CancelToken())
    assert path.read_bytes() == smollm2_path.read_bytes()


def test_a_wrong_hash_is_refused_and_nothing_is_installed(served: HubStandIn,
                                                          models_dir: Path,
                                                          smollm2_path: Path) -> None:
    served.add_file(REPO, FILE, smollm2_path, advertised_sha256="0" * 64)
    with pytest.raises(HashMismatchError, match="does not match the hub's SHA-256"):
        Download(models_dir, remote_file()).run(CancelToken())
    assert installed_names(models_dir) == []
    assert not [p for p in models_dir.rglob("*") if p.is_file() and p.suffix != ".json"]
    assert Download.pending(models_dir) == []


def test_pause_keeps_the_part_and_resume_finishes_it(served: HubStandIn, models_dir: Path,
                                                     smollm2_path: Path) -> None:
    served.throttle(20_000_000)
    cancel = CancelToken()

    def pause_after_a_while(p: Progress) -> None:
        if p.done >= 15_000_000:
            cancel.cancel()

    download = Download(models_dir, remote_file())
    with pytest.raises(DownloadInterrupted):
        download.run(cancel, pause_after_a_while)
    kept = download.done_bytes
    assert 15_000_000 <= kept < smollm2_path.stat().st_size
    assert installed_names(models_dir) == []  # a part is never listed

    # As after a restart: the download is found from its note alone.
    served.throttle(None)
    (pending,) = Download.pending(models_dir)
    assert pending.remote == download.remote
    assert pending.done_bytes == kept
    path = pending.run(CancelToken())
    assert path.read_bytes() == smollm2_path.read_bytes()
    last = [r for r in served.requests if r.method == "GET" and r.path.endswith(FILE)][-1]
    assert last.headers["range"] == f"bytes={kept}-"


def test_cancel_then_discard_leaves_nothing(served: HubStandIn, models_dir: Path) -> None:
    served.throttle(20_000_000)
    cancel = CancelToken()
    download = Download(models_dir, remote_file())
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            download.run(cancel)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    cancel.wait(0.5)
    cancel.cancel()
    worker.join(10)
    assert not worker.is_alive()
    assert [type(e) for e in outcome] == [DownloadInterrupted]
    assert download.done_bytes > 0
    download.discard()
    assert not list(models_dir.rglob("*.gguf*"))


def test_a_missing_repo_or_file_gives_a_clear_error(served: HubStandIn,
                                                     models_dir: Path) -> None:
    with pytest.raises(hub_mod.NotFoundError, match="no such repo"):
        hub_mod.repo_files("nobody/nothing-GGUF")
    remote = hub_mod.RemoteFile(REPO, "absent.gguf", 10, None, remote_file().revision)
    with pytest.raises(hub_mod.NotFoundError, match="no such file"):
        Download(models_dir, remote).run(CancelToken())
    assert Download.pending(models_dir) == []
    assert not [p for p in models_dir.rglob("*") if p.is_file()]


def test_a_gated_repo_asks_for_a_token(served: HubStandIn, smollm2_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       models_dir: Path) -> None:
    served.add_repo("gated/model-GGUF", gated=True)
    served.add_file("gated/model-GGUF", FILE, smollm2_path)
    served.token = "hf_secret"
    with pytest.raises(hub_mod.GatedError, match="HF_TOKEN"):
        hub_mod.repo_files("gated/model-GGUF")
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    remote = hub_mod.repo_files("gated/model-GGUF").files[0]
    assert Download(models_dir, remote).run(CancelToken()).is_file()


def test_not_enough_free_space_is_refused_before_starting(
        served: HubStandIn, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download_mod, "free_bytes", lambda _folder: 50_000_000)
    with pytest.raises(DiskFullError, match=r"needs 98\.4 MB more and 50\.0 MB is free"):
        Download(models_dir, remote_file()).run(CancelToken())
    assert not [r for r in served.requests if r.method == "GET" and r.path.endswith(FILE)]


def test_a_disk_that_fills_up_mid_download_keeps_the_part(
        served: HubStandIn, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write fails with ENOSPC after 30 MB, as on a full disk."""
    real_open = Path.open

    class FullDisk:
        def __init__(self, f):  # type: ignore[no-untyped-def]
            self.f = f

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.f.close()

        def write(self, data: bytes) -> int:
            if self.f.tell() + len(data) > 30_000_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return int(self.f.write(data))

    def open_part(self: Path, mode: str = "r", *args, **kwargs):  # type: ignore[no-untyped-def]
        f = real_open(self, mode, *args, **kwargs)
        return FullDisk(f) if self.name.endswith(".part") and "a" in mode else f

    monkeypatch.setattr(Path, "open", open_part)
    download = Download(models_dir, remote_file())
    with pytest.raises(DiskFullError, match="The disk filled up"):
        download.run(CancelToken())
    assert 0 < download.done_bytes <= 30_000_000
    monkeypatch.undo()
    assert installed_names(models_dir) == []


def test_offline_mode_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(hub_mod.OfflineError, match="HF_HUB_OFFLINE"):
        hub_mod.search("anything")


def test_quantization_is_read_from_file_names() -> None:
    assert hub_mod.quant_of("Qwen2.5-1.5B-Instruct-Q4_K_M.gguf") == "Q4_K_M"
    assert hub_mod.quant_of("model.IQ3_XXS.gguf") == "IQ3_XXS"
    assert hub_mod.quant_of("gemma-3-1b-it-BF16.gguf") == "BF16"
    assert hub_mod.quant_of("tinyllama-q8_0.gguf") == "Q8_0"
    assert hub_mod.quant_of("plain.gguf") is None
    assert hub_mod.split_parts("big-Q4_K_M-00001-of-00003.gguf") == 3
    assert hub_mod.split_parts("small-Q4_K_M.gguf") == 1
