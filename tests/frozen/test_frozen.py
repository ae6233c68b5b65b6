"""The frozen app, dist/Lamplight/ (`bash packaging/build.sh --with-model`), run as a user
without Python would: from a folder outside the checkout, with an empty PATH and a home,
config, data and cache of its own.

Not in the default test paths: `.ci/run` builds the folder, then runs
`.venv/bin/python -m pytest -m frozen tests/frozen`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from tests import gui_process
from tests.documents import write_docx, write_encrypted_pdf

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "Lamplight"
LAUNCHER = BUNDLE / ("Lamplight.exe" if sys.platform == "win32" else "Lamplight")
TIMEOUT_S = 300

pytestmark = [
    pytest.mark.frozen,
    pytest.mark.skipif(not BUNDLE.is_dir(),
                       reason=f"no {BUNDLE}: build it with `bash packaging/build.sh --with-model`"),
]


@pytest.fixture
def user(tmp_path: Path) -> Path:
    """A folder outside the checkout: the working directory, HOME and the XDG folders."""
    for name in ("home", "config", "data", "cache", "state", "runtime", "work"):
        (tmp_path / name).mkdir(mode=0o700)
    return tmp_path


def environment(user: Path) -> dict[str, str]:
    return {
        "PATH": "",  # no python, no anything
        "HOME": str(user / "home"),
        "XDG_CONFIG_HOME": str(user / "config"),
        "XDG_DATA_HOME": str(user / "data"),
        "XDG_CACHE_HOME": str(user / "cache"),
        "XDG_STATE_HOME": str(user / "state"),
        "XDG_RUNTIME_DIR": str(user / "runtime"),
        "QT_QPA_PLATFORM": "offscreen",
        "HF_HUB_OFFLINE": "1",
    }


def run(user: Path, *args: str, hub: str | None = None) -> subprocess.CompletedProcess[str]:
    env = environment(user)
    if hub is not None:
        env.pop("HF_HUB_OFFLINE")
        env["HF_ENDPOINT"] = hub
    return subprocess.run([str(LAUNCHER), *args], cwd=user / "work", env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=TIMEOUT_S, check=False)


def test_version(user: Path) -> None:
    done = run(user, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"lamplight {__version__}"
    assert done.stderr == ""


def test_a_one_shot_chat_on_the_bundled_model_answers(user: Path) -> None:
    data = user / "lamplight"
    done = run(user, "--data-dir", str(data), "chat", "--model", "builtin", "--seed", "1", "hi")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert done.stderr == ""
    # The model is the one inside the bundle, and llama.cpp's log went to the log file.
    log = (data / "logs" / "lamplight.log").read_text(encoding="utf-8")
    assert str(BUNDLE.resolve() / "_internal" / "resources" / "models") in log


def test_a_model_is_searched_pulled_and_answers(user: Path, smollm2_path: Path) -> None:
    """huggingface_hub resolves most of its names lazily, which PyInstaller's analysis cannot
    see; the hub stand-in (tests/hubstandin.py) serves a real GGUF to the frozen client."""
    from tests.hubstandin import HubStandIn

    repo, file = "lamplight-test/SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct-Q4_1.gguf"
    data = str(user / "lamplight")
    with HubStandIn() as server:
        server.add_repo(repo, downloads=7)
        server.add_file(repo, file, smollm2_path)
        found = run(user, "--data-dir", data, "models", "search", "smollm2", hub=server.url)
        assert found.returncode == 0, found.stderr
        assert found.stdout.startswith(repo)
        pulled = run(user, "--data-dir", data, "models", "pull", repo, file, hub=server.url)
        assert pulled.returncode == 0, pulled.stderr
        assert "verified (SHA-256)" in pulled.stderr
    name = pulled.stdout.strip()
    listed = run(user, "--data-dir", data, "models", "list")
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["builtin", name]
    done = run(user, "--data-dir", data, "chat", "--model", name, "--max-tokens", "8", "hi")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_documents_of_every_kind_are_read(user: Path) -> None:
    """The readers the app imports only when a document comes: pypdf with cryptography (an
    AES-256 PDF anyone may open), lxml (HTML and DOCX), and the legacy code pages."""
    work = user / "work"
    html = work / "page.html"
    html.write_text("<html><body><h1>Gull Rock</h1><p>The lighthouse is red.</p>"
                    "<script>ignored()</script></body></html>", encoding="utf-8")
    legacy = work / "notes.txt"
    legacy.write_bytes("Café crème: the keeper’s log, in cp1252. ".encode("cp1252") * 8)
    documents = [
        write_encrypted_pdf(work / "open.pdf", password=""),
        write_docx(work / "report.docx", ["The lighthouse is red."], [["colour", "red"]]),
        html,
        legacy,
    ]
    for document in documents:
        done = run(user, "--data-dir", str(user / "lamplight"), "summarize", str(document),
                   "--ctx", "1024", "--length", "short", "--quiet")
        assert done.returncode == 0, (document.name, done.stderr)
        assert done.stdout.strip(), document.name
        assert done.stderr == "", (document.name, done.stderr)


def test_the_window_starts_offscreen_and_a_signal_closes_it(user: Path) -> None:
    data = user / "lamplight"
    log = data / "logs" / "lamplight.log"
    process = gui_process.start([str(LAUNCHER), "--data-dir", str(data)],
                                environment(user), cwd=user / "work")
    try:
        shown = gui_process.wait_for_log(log, gui_process.SHOWN, process)
        gui_process.wait_for_log(log, "loaded ", process)  # the bundled model, at start-up
        status, err = gui_process.end_with(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert status == 0, err
    assert "Traceback" not in err, err
    assert "locale" not in err, err  # no LANG in its environment: the launcher sets one
    text = log.read_text(encoding="utf-8")
    assert "SIGTERM: closing the window" in text
    assert "window closed, exit status 0" in text
    print(f"frozen window shown after {gui_process.shown_seconds(shown):.2f} s")


def test_chinese_is_bundled_for_the_terminal_and_the_window(user: Path) -> None:
    """The catalogs travel with the build: `--help` in Chinese under a Chinese locale, and the
    window installs both translations (ours and Qt's own qtbase_zh_CN, kept from the 14 MB Qt
    ships)."""
    env = {**environment(user), "LANG": "zh_CN.UTF-8"}
    done = subprocess.run([str(LAUNCHER), "--help"], cwd=user / "work", env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr
    assert "与在本机运行的语言模型对话" in done.stdout, done.stdout
    data = user / "lamplight"
    log = data / "logs" / "lamplight.log"
    process = gui_process.start([str(LAUNCHER), "--data-dir", str(data)], env, cwd=user / "work")
    try:
        gui_process.wait_for_log(log, gui_process.SHOWN, process)
        status, err = gui_process.end_with(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert status == 0, err
    assert "language zh_CN: 2 translations installed" in log.read_text(encoding="utf-8")


def test_serve_answers_the_openai_client_and_stops_on_ctrl_c(user: Path) -> None:
    """The local server's stack (FastAPI, uvicorn's run-time picked modules, sse-starlette) is
    in the bundle: `serve` starts, streams to the real `openai` client, and stops cleanly."""
    import openai

    args = [str(LAUNCHER), "--data-dir", str(user / "lamplight"), "serve", "--port", "0",
            "--model", "builtin"]
    with subprocess.Popen(args, cwd=user / "work", env=environment(user),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, encoding="utf-8") as process:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read()
        with openai.OpenAI(base_url=url, api_key="none", max_retries=0) as client:
            stream = client.chat.completions.create(
                model="builtin", messages=[{"role": "user", "content": "hi"}], max_tokens=8,
                stream=True)
            assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        process.send_signal(signal.SIGINT)
        assert process.wait(TIMEOUT_S) == 0
        assert "Traceback" not in process.stderr.read()


def test_a_model_of_another_lamplight_answers_through_a_connection(user: Path) -> None:
    """The remote engine (httpx) and the credential store's client (keyring, whose backends
    are entry points) are in the bundle: one frozen Lamplight chats with a model another one
    serves, and a key with no credential store to keep it is refused in one line."""
    data = ["--data-dir", str(user / "lamplight")]
    args = [str(LAUNCHER), *data, "serve", "--port", "0", "--model", "builtin"]
    with subprocess.Popen(args, cwd=user / "work", env=environment(user),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, encoding="utf-8") as process:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read()
        try:
            added = run(user, *data, "remotes", "add", "other", url)
            assert added.returncode == 0, added.stderr
            chat = run(user, *data, "chat", "--no-save", "--max-tokens", "8", "--seed", "1",
                       "--model", "builtin@other", "hi")
            assert chat.returncode == 0 and chat.stdout.strip(), chat.stderr
            keyed = subprocess.run(
                [str(LAUNCHER), *data, "remotes", "add", "keyed", url, "--key-stdin"],
                cwd=user / "work", env=environment(user), input="sk-test\n",
                capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT_S,
                check=False)
            assert keyed.returncode == 1, keyed.stderr
            assert "credential store" in keyed.stderr and "Traceback" not in keyed.stderr
            assert "sk-test" not in keyed.stderr
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(TIMEOUT_S) == 0
