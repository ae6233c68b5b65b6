"""`lamplight models pull` from a mirror of the hub and from ModelScope, each a local stand-in
(issue 24, item 4): a pull resumes after a dropped connection and after Ctrl+C, is verified
against the SHA-256 its source lists, and sends the hub token to no mirror unless allowed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.models.catalog import load_catalog
from tests.hubstandin import HubStandIn
from tests.modelscope_standin import ModelScopeStandIn

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 300
REPO = "lamplight-test/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct-Q4_1.gguf"
NAME = "SmolLM2-135M-Instruct-Q4_1"
TOKEN = "hf_lamplight_test_secret"


def command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args]


def lamplight(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(data_dir, *args), input="", capture_output=True, text=True,
                          env=environment(), timeout=TIMEOUT_S, check=False)


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}


def listed(data_dir: Path) -> list[str]:
    done = lamplight(data_dir, "models", "list")
    assert done.returncode == 0, done.stderr
    return [line.split("\t")[0] for line in done.stdout.splitlines()]


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline mode off, a hub token set, and the hub itself nowhere: whatever a test gets, it
    got from the source it chose."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_ENDPOINT", closed_port())


@pytest.fixture
def mirror(online: None, smollm2_path: Path) -> Iterator[HubStandIn]:
    with HubStandIn() as server:
        server.add_repo(REPO, downloads=7)
        server.add_file(REPO, FILE, smollm2_path)
        yield server


@pytest.fixture
def modelscope(online: None, smollm2_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelScopeStandIn]:
    with ModelScopeStandIn() as server:
        monkeypatch.setenv("MODELSCOPE_ENDPOINT", server.url)
        server.add_repo(REPO, downloads=7)
        server.add_file(REPO, FILE, smollm2_path)
        yield server


def file_gets(server: HubStandIn) -> list[dict[str, str]]:
    """The headers of each download request of FILE."""
    return [r.headers for r in server.requests
            if r.method == "GET" and (r.path.endswith(f"/{FILE}") or f"FilePath={FILE}" in r.path)]


def source_args(server: HubStandIn) -> list[str]:
    if isinstance(server, ModelScopeStandIn):
        return ["--source", "modelscope"]
    return ["--source", "mirror", "--mirror", server.url]


@pytest.fixture(params=["mirror", "modelscope"])
def source(request: pytest.FixtureRequest) -> HubStandIn:
    server: HubStandIn = request.getfixturevalue(request.param)
    return server


def test_a_dropped_transfer_resumes_and_is_verified(source: HubStandIn, tmp_path: Path) -> None:
    source.drop_after(REPO, FILE, 40_000_000)
    pulled = lamplight(tmp_path, "models", "pull", *source_args(source), REPO, FILE)
    assert pulled.returncode == 0, pulled.stderr
    assert "Installed and verified (SHA-256)" in pulled.stderr
    assert [h.get("range") for h in file_gets(source)] == [None, "bytes=40000000-"]
    assert listed(tmp_path) == ["builtin", NAME]
    # The hub's token went nowhere: not to the mirror, not to ModelScope.
    assert not [r for r in source.requests if "authorization" in r.headers]
    assert all(TOKEN not in json.dumps(r.headers) for r in source.requests)


def test_ctrl_c_pauses_and_the_same_pull_resumes_from_the_same_source(
        source: HubStandIn, tmp_path: Path) -> None:
    source.throttle(10_000_000)
    process = subprocess.Popen(command(tmp_path, "models", "pull", *source_args(source), REPO,
                                       FILE),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment())
    part = tmp_path / "models" / "lamplight-test" / "SmolLM2-135M-Instruct-GGUF" / f"{FILE}.part"
    deadline = time.monotonic() + 60
    while (not part.exists() or part.stat().st_size < 10_000_000) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    kept = part.stat().st_size
    paused = lamplight(tmp_path, "models", "list")
    assert f"paused: {REPO} {FILE}" in paused.stderr
    assert " ".join(source_args(source)) in paused.stderr  # the resume command names it

    source.throttle(None)
    # No --source now, and the settings say the hub: the note's source is used.
    resumed = lamplight(tmp_path, "models", "pull", REPO, FILE)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming from" in resumed.stderr
    assert file_gets(source)[-1]["range"] == f"bytes={kept}-"
    assert listed(tmp_path) == ["builtin", NAME]


def test_a_file_that_does_not_match_the_listed_hash_is_refused(source: HubStandIn,
                                                               smollm2_path: Path,
                                                               tmp_path: Path) -> None:
    source.add_file(REPO, FILE, smollm2_path, advertised_sha256="ab" * 32)
    pulled = lamplight(tmp_path, "models", "pull", *source_args(source), REPO, FILE)
    assert pulled.returncode == 1
    assert "does not match the hub's SHA-256" in pulled.stderr
    assert listed(tmp_path) == ["builtin"]
    assert not list((tmp_path / "models").rglob("*.gguf*"))


def test_the_mirror_gets_the_token_only_when_allowed(mirror: HubStandIn, tmp_path: Path) -> None:
    settings = tmp_path / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"version": 1, "values": {
        "app.model_source": "mirror", "app.mirror_url": mirror.url,
        "app.send_token_to_mirror": True}}), "utf-8")
    pulled = lamplight(tmp_path, "models", "pull", REPO, FILE)  # the settings' source
    assert pulled.returncode == 0, pulled.stderr
    assert {r.headers.get("authorization") for r in mirror.requests} == {f"Bearer {TOKEN}"}


def test_search_asks_the_source_chosen(source: HubStandIn, tmp_path: Path) -> None:
    found = lamplight(tmp_path, "models", "search", *source_args(source), "smollm2", "--files")
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0] == f"{REPO}\t7 downloads\t0 likes"
    assert f"  {FILE}\tQ4_1\t98.4 MB" in found.stdout


def test_a_catalog_name_pulls_its_modelscope_repo(modelscope: ModelScopeStandIn,
                                                  smollm2_path: Path, tmp_path: Path) -> None:
    entries = load_catalog()
    entry = next(e for e in entries if e.modelscope_repo)
    modelscope.add_file(entry.modelscope_repo or "", entry.file, smollm2_path)
    settings = tmp_path / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"version": 1, "values": {"app.model_source": "modelscope"}}),
                        "utf-8")
    pulled = lamplight(tmp_path, "models", "pull", entry.name)
    assert pulled.returncode == 0, pulled.stderr
    info = lamplight(tmp_path, "models", "info", entry.name)  # found by its catalog name
    assert info.returncode == 0, info.stderr

    hub_only = next((e for e in entries if not e.modelscope_repo), None)
    if hub_only is not None:
        refused = lamplight(tmp_path, "models", "pull", hub_only.name)
        assert refused.returncode == 2
        assert "is not on ModelScope" in refused.stderr


def test_a_bad_mirror_address_is_one_line(online: None, tmp_path: Path) -> None:
    for url in ("ftp://mirror.example", "https://user:secret@mirror.example", "mirror"):
        done = lamplight(tmp_path, "models", "search", "--mirror", url, "qwen")
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("lamplight: error: ") and done.stderr.count("\n") == 1
        assert "secret" not in done.stderr
