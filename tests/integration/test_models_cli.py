"""`lamplight models ...` as a user runs it, against a local hub stand-in serving real GGUFs."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.models.catalog import load_catalog
from tests.hubstandin import HubStandIn

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 300
REPO = "lamplight-test/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct-Q4_1.gguf"
NAME = "SmolLM2-135M-Instruct-Q4_1"


def command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args]


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}


def lamplight(data_dir: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(data_dir, *args), input="", capture_output=True, text=True,
                          env=environment(), timeout=TIMEOUT_S, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.fixture
def served(hub: HubStandIn, smollm2_path: Path) -> HubStandIn:
    hub.add_repo(REPO, downloads=42)
    hub.add_file(REPO, FILE, smollm2_path)
    hub.add_file(REPO, "SmolLM2-135M-Instruct-Q8_0.gguf", smollm2_path)
    hub.add_file(REPO, "SmolLM2-135M-Instruct-Q4_K_M.gguf", smollm2_path)
    return hub


def listed(data_dir: Path) -> list[str]:
    done = lamplight(data_dir, "models", "list")
    assert done.returncode == 0, done.stderr
    return [line.split("\t")[0] for line in done.stdout.splitlines()]


@pytest.mark.model
def test_pull_list_info_chat_rm(served: HubStandIn, tmp_path: Path) -> None:
    found = lamplight(tmp_path, "models", "search", "smollm2", "--files")
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0].startswith(f"{REPO}\t42 downloads")
    assert f"  {FILE}\tQ4_1\t98.4 MB" in found.stdout

    pulled = lamplight(tmp_path, "models", "pull", REPO)  # no file named: the Q4_K_M one
    assert pulled.returncode == 0, pulled.stderr
    name = "SmolLM2-135M-Instruct-Q4_K_M"
    assert pulled.stdout.strip() == name
    assert "verified (SHA-256)" in pulled.stderr
    assert "100.0%" in pulled.stderr
    assert listed(tmp_path) == ["builtin", name]

    info = lamplight(tmp_path, "models", "info", name)
    assert info.returncode == 0, info.stderr
    fields = dict(line.split(":\t", 1) for line in info.stdout.splitlines())
    assert fields["parameters"] == "135M (134,515,008)"
    assert fields["quantization"] == "Q4_1"  # the header's, not the file name's
    assert fields["context length"] == "8192"
    assert fields["chat template"] == "yes"
    assert fields["fit"].startswith("fits: needs about")
    assert "4 contexts of" in fields["fit, serving"]  # server.parallel auto: 4 on 2 cores

    chat = lamplight(tmp_path, "chat", "--model", name, "--temperature", "0", "--max-tokens",
                     "24", "What is the capital of France? Answer in one sentence.")
    assert chat.returncode == 0, chat.stderr
    assert "Paris" in chat.stdout

    again = lamplight(tmp_path, "models", "pull", REPO, f"{name}.gguf")
    assert again.returncode == 0
    assert "already installed" in again.stderr

    removed = lamplight(tmp_path, "models", "rm", name)
    assert removed.returncode == 0, removed.stderr
    assert listed(tmp_path) == ["builtin"]


def test_a_catalog_name_pulls_the_catalog_file(hub: HubStandIn, smollm2_path: Path,
                                               tmp_path: Path) -> None:
    entry = load_catalog()[0]
    hub.add_file(entry.repo, entry.file, smollm2_path)  # its bytes stand in for the real ones
    pulled = lamplight(tmp_path, "models", "pull", entry.name)
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == Path(entry.file).stem
    info = lamplight(tmp_path, "models", "info", entry.name)  # installed models answer to it
    assert info.returncode == 0, info.stderr


def test_a_dropped_transfer_resumes(served: HubStandIn, tmp_path: Path) -> None:
    served.drop_after(REPO, FILE, 40_000_000)
    pulled = lamplight(tmp_path, "models", "pull", REPO, FILE)
    assert pulled.returncode == 0, pulled.stderr
    ranges = [r.headers.get("range") for r in served.requests
              if r.method == "GET" and r.path.endswith(FILE)]
    assert ranges == [None, "bytes=40000000-"]
    assert listed(tmp_path) == ["builtin", NAME]


def test_ctrl_c_pauses_and_the_same_command_resumes(served: HubStandIn, tmp_path: Path) -> None:
    served.throttle(10_000_000)
    process = subprocess.Popen(command(tmp_path, "models", "pull", REPO, FILE),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment())
    part = tmp_path / "models" / "lamplight-test" / "SmolLM2-135M-Instruct-GGUF" / f"{FILE}.part"
    deadline = time.monotonic() + 60
    while (not part.exists() or part.stat().st_size < 10_000_000) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Paused at" in err
    kept = part.stat().st_size
    assert listed(tmp_path) == ["builtin"]
    paused = lamplight(tmp_path, "models", "list")
    assert f"paused: {REPO} {FILE}" in paused.stderr

    served.throttle(None)
    resumed = lamplight(tmp_path, "models", "pull", REPO, FILE)
    assert resumed.returncode == 0, resumed.stderr
    last = [r for r in served.requests if r.method == "GET" and r.path.endswith(FILE)][-1]
    assert last.headers["range"] == f"bytes={kept}-"
    assert listed(tmp_path) == ["builtin", NAME]


def test_a_file_that_does_not_match_its_hash_is_refused(hub: HubStandIn, smollm2_path: Path,
                                                        tmp_path: Path) -> None:
    hub.add_file(REPO, FILE, smollm2_path, advertised_sha256="ab" * 32)
    pulled = lamplight(tmp_path, "models", "pull", REPO, FILE)
    assert pulled.returncode == 1
    assert "does not match the hub's SHA-256" in pulled.stderr
    assert listed(tmp_path) == ["builtin"]
    assert not list((tmp_path / "models").rglob("*.gguf*"))


def test_a_missing_repo_or_file_exits_2_with_one_line(served: HubStandIn, tmp_path: Path) -> None:
    for args in (("nobody/nothing",), (REPO, "absent-Q4_K_M.gguf"), ("not-a-name",)):
        done = lamplight(tmp_path, "models", "pull", *args)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("lamplight: error: ")
        assert done.stderr.count("\n") == 1


def _file_size_limit(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_is_reported_and_the_part_kept(served: HubStandIn, tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes past 30 MB (EFBIG), as a full disk would."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited: a write fails instead of killing
    try:
        pulled = subprocess.run(command(tmp_path, "models", "pull", REPO, FILE), input="",
                                capture_output=True, text=True, env=environment(),
                                timeout=TIMEOUT_S, check=False,
                                preexec_fn=lambda: _file_size_limit(30_000_000))
    finally:
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    assert pulled.returncode == 1, pulled.stderr
    assert "The disk filled up while downloading" in pulled.stderr
    assert listed(tmp_path) == ["builtin"]
    assert "paused:" in lamplight(tmp_path, "models", "list").stderr


def test_importing_a_corrupt_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 10)
    done = lamplight(tmp_path / "data", "models", "import", str(bad))
    assert done.returncode == 2
    assert done.stderr == ("lamplight: error: Cannot import broken.gguf: it is not a GGUF model "
                           "file (wrong signature).\n")


def test_offline_mode_makes_no_request(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "models", "search", "qwen")  # conftest sets HF_HUB_OFFLINE=1
    assert done.returncode == 1
    assert "HF_HUB_OFFLINE is set" in done.stderr


@pytest.mark.parametrize("endpoint", ["https://hub.lamplight.invalid", "closed"])
def test_without_a_network_search_says_so_in_one_line(tmp_path: Path, endpoint: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline, `models search` printed eleven lines of the hub client's retries and
    "[Errno -2] Name or service not known" after 25 s."""
    import socket

    if endpoint == "closed":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    done = lamplight(tmp_path, "models", "search", "qwen")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(("lamplight: error: No network connection",
                                f"lamplight: error: Cannot reach the hub at {endpoint}"))
    assert "Errno" not in lines[0]


def test_list_and_info_show_the_display_name_beside_the_key(tmp_path: Path,
                                                           gemma_path: Path) -> None:
    link = tmp_path / "ggml-model-Q4_K_M.gguf"  # named as llama.cpp names its output
    link.symlink_to(gemma_path)
    imported = lamplight(tmp_path, "models", "import", str(link), "--link")
    assert imported.returncode == 0, imported.stderr
    done = lamplight(tmp_path, "models", "list")
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert [row[:2] for row in rows] == [["builtin", "SmolLM2 135M Instruct"],
                                         ["ggml-model-Q4_K_M", "Gemma 3 270m · Q4_K_M"]]
    info = lamplight(tmp_path, "models", "info", "ggml-model-Q4_K_M")
    assert info.returncode == 0, info.stderr
    fields = dict(line.split(":\t", 1) for line in info.stdout.splitlines())
    assert fields["display name"] == "Gemma 3 270m · Q4_K_M"
    assert fields["name"] == "ggml-model-Q4_K_M"


def test_the_catalog_lists_each_entry_in_the_app_s_language(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    entries = load_catalog()
    done = lamplight(tmp_path, "models", "catalog")
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert [row[0] for row in rows] == [e.name for e in entries]
    assert [row[6] for row in rows] == [e.repo for e in entries]
    assert [row[7] for row in rows] == [e.description for e in entries]

    monkeypatch.setenv("LANGUAGE", "zh_CN")  # the Language setting is "system"
    chinese = lamplight(tmp_path, "models", "catalog", "--source", "modelscope")
    assert chinese.returncode == 0, chinese.stderr
    rows = [line.split("\t") for line in chinese.stdout.splitlines()]
    assert [row[7] for row in rows] == [e.description_zh for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert (row[6] == entry.modelscope_repo) == (entry.modelscope_repo is not None)
