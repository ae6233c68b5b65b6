"""`lamplight summarize` as a user runs it: the real model, real files, real signals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.documents import (
    write_encrypted_pdf,
    write_huge_file,
    write_image_only_pdf,
    write_text_pdf,
)

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 600
DATA = Path(__file__).parent.parent / "data"
LICENCE = DATA / "gpl-3.0.txt"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}


def summarize(data_dir: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """`lamplight summarize` with `args`; with `--seed 1` unless they give a seed or `--stats`
    (the real model samples: a fixed seed keeps its notes, and the test's time, the same)."""
    if "--seed" not in args and "--stats" not in args:
        args = ("--seed", "1", *args)
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), "summarize", *args],
        input=stdin, capture_output=True, env=_env(), timeout=TIMEOUT_S, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode,
                                       done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


@pytest.mark.model
def test_a_long_licence_is_summarized_whole(tmp_path: Path) -> None:
    """The check of issue 5: the GPL (some 7,600 tokens) with a 2,048-token context."""
    done = summarize(tmp_path, str(LICENCE), "--ctx", "2048", "--length", "short")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    lines = done.stderr.splitlines()
    assert lines[0] == "Measuring the document"
    assert lines[1].startswith("Reading part 1 of ")
    assert any(line.startswith("Writing the summary") for line in lines)
    last = lines[-1]
    assert last.startswith("Summarized all of gpl-3.0.txt: ") and "7,6" in last
    parts = int(last.split(": ")[1].split()[0])
    assert parts >= 4
    # Only the summary is on stdout: no progress, no log lines.
    assert "Reading part" not in done.stdout and "llama" not in done.stdout


@pytest.mark.model
def test_standard_input_is_a_document_too(tmp_path: Path) -> None:
    text = "The harbour board built the Gull Rock lighthouse in 1871. " * 5
    done = summarize(tmp_path, "-", "--length", "short", "--form", "prose",
                     stdin=text.encode("utf-8"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert done.stderr.splitlines()[-1].startswith("Summarized all of stdin: 1 part")


@pytest.mark.model
def test_a_pdf_is_summarized(tmp_path: Path) -> None:
    text = LICENCE.read_text(encoding="utf-8")
    pdf = write_text_pdf(tmp_path / "licence.pdf", [text[:1500], text[1500:3000]])
    done = summarize(tmp_path, str(pdf), "--length", "short", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert done.stderr == ""


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each bad input, and a word its one-line message must have."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "picture.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    unknown = tmp_path / "mystery.txt"
    unknown.write_bytes(bytes((0x80 + (i * 37) % 128) for i in range(4000)))
    return {
        "empty": (empty, "empty"),
        "binary": (binary, "binary"),
        "unknown encoding": (unknown, "encoding"),
        "password": (write_encrypted_pdf(tmp_path / "locked.pdf"), "password"),
        "no text layer": (write_image_only_pdf(tmp_path / "scan.pdf"), "text layer"),
        "huge": (write_huge_file(tmp_path / "huge.txt", 300 * 1024 * 1024), "100 MB"),
        "missing": (tmp_path / "nowhere.txt", "no such file"),
    }


@pytest.mark.parametrize("case", ["empty", "binary", "unknown encoding", "password",
                                  "no text layer", "huge", "missing"])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, case: str) -> None:
    path, words = bad_inputs(tmp_path)[case]
    done = summarize(tmp_path, str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("lamplight: error: ")
    assert path.name in line and words in line


def test_empty_standard_input_exits_2(tmp_path: Path) -> None:
    done = summarize(tmp_path, "-")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "stdin" in line and "empty" in line


@pytest.mark.model
def test_ctrl_c_stops_and_prints_the_notes_so_far(tmp_path: Path) -> None:
    """Parts read one after another (`--parallel 1`): a stop while the third is read keeps
    the first two."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "summarize", str(LICENCE),
         "--ctx", "512", "--length", "short", "--parallel", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True)
    assert process.stderr is not None
    try:
        for line in process.stderr:  # not a terminal: one line per step
            if line.startswith("Reading part 3 of "):
                process.send_signal(signal.SIGINT)
                break
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert stdout.startswith("**Part 1.**") and "**Part 2.**" in stdout
    assert stderr.splitlines()[-1].startswith("Stopped after 2 parts of gpl-3.0.txt")
    [chat] = _chats(tmp_path)  # kept as the window keeps a summary stopped
    answer = chat["messages"][-1]
    assert answer["content"] == stdout.strip()
    assert answer["details"]["complete"] is False and len(answer["details"]["parts"]) == 2


@pytest.mark.model
def test_a_reader_that_goes_away_ends_it_quietly(tmp_path: Path) -> None:
    """`lamplight summarize x | head -c 20`: no traceback, no error, exit 0."""
    text = LICENCE.read_text(encoding="utf-8")[:3000]
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "summarize", "-",
         "--length", "detailed", "--quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(text.encode("utf-8"))
    process.stdin.close()
    assert process.stdout.read(20)
    process.stdout.close()  # the reader is gone
    assert process.stderr is not None
    with process.stderr:
        stderr = process.stderr.read().decode("utf-8")
    assert process.wait(timeout=TIMEOUT_S) == 0, stderr
    assert "Traceback" not in stderr and "error" not in stderr


@pytest.mark.model
def test_the_seed_is_the_flags_else_the_settings(tmp_path: Path) -> None:
    """summarize ignored the seed the user set (the window did not)."""
    notes = tmp_path / "notes.txt"
    notes.write_text("The lighthouse on Gull Rock is red and white. Its keeper, Ada, writes "
                     "the weather down every evening.\n", encoding="utf-8")
    done = summarize(tmp_path, str(notes), "--seed", "7", "--stats", "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.splitlines()[-1])["seed"] == 7
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.json").write_text(
        json.dumps({"version": 1, "values": {"sampling.seed": 9}}), encoding="utf-8")
    done = summarize(tmp_path, str(notes), "--stats", "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.splitlines()[-1])["seed"] == 9


@pytest.mark.parametrize(("language", "said"), [
    ("Klingon", "no language named 'Klingon'; the languages are English, Chinese (Simplified), "),
    ("Germn", "no language named 'Germn': did you mean German?"),
    ("Chinese", "did you mean Chinese (Simplified) or Chinese (Traditional)?"),
    (" ", "needs a name, one of English, "),
])
def test_a_language_it_does_not_know_is_refused_with_the_names_it_does(
        tmp_path: Path, language: str, said: str) -> None:
    """`--language Klingon` was taken, and the model asked to write in it."""
    notes = tmp_path / "notes.txt"
    notes.write_text("The lighthouse is red.\n", encoding="utf-8")
    done = summarize(tmp_path, str(notes), "--language", language)
    assert (done.returncode, done.stdout) == (2, "")
    [line] = done.stderr.splitlines()
    assert line.startswith("lamplight: error: argument --language: ")
    assert said in line and line.endswith("(see 'lamplight summarize --help')")


@pytest.mark.parametrize("language", ["german", "GERMAN", "chinese simplified"])
def test_a_language_is_named_in_any_case(tmp_path: Path, language: str) -> None:
    done = summarize(tmp_path, str(tmp_path / "nowhere.txt"), "--language", language)
    [line] = done.stderr.splitlines()  # the missing file is the only problem
    assert (done.returncode, line) == (2, f"lamplight: error: Cannot read "
                                          f"{tmp_path / 'nowhere.txt'}: no such file.")


def _chats(data_dir: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), "chats", "export", "--all",
         "--format", "json"], capture_output=True, text=True, env=_env(), timeout=TIMEOUT_S,
        check=False)
    assert done.returncode == 0, done.stderr
    chats: list[dict[str, Any]] = json.loads(done.stdout)["conversations"]
    return chats


@pytest.mark.model
def test_each_run_is_a_saved_chat_with_the_document_attached(tmp_path: Path) -> None:
    """The README said so, but summaries were never saved."""
    notes = tmp_path / "notes.txt"
    notes.write_text("The lighthouse on Gull Rock is red and white. Its keeper, Ada, writes "
                     "the weather down every evening.\n", encoding="utf-8")
    done = summarize(tmp_path, str(notes), "--quiet", "--ask", "Who is the keeper?")
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "chats", "list"],
        capture_output=True, text=True, env=_env(), timeout=TIMEOUT_S, check=False)
    assert listed.stdout.startswith("1\tnotes.txt: Who is the keeper?\t")
    [chat] = _chats(tmp_path)
    question, answer = chat["messages"]
    assert question["content"] == "Who is the keeper?"
    assert [a["name"] for a in question["attachments"]] == ["notes.txt"]
    assert question["attachments"][0]["text"] == notes.read_text(encoding="utf-8").strip()
    assert answer["role"] == "assistant" and answer["content"] == done.stdout.strip()
    assert answer["details"]["document_tokens"] > 0 and len(answer["details"]["parts"]) == 1
    assert chat["settings"]["seed"] == 1

    again = summarize(tmp_path, str(notes), "--quiet", "--no-save")
    assert again.returncode == 0, again.stderr
    assert len(_chats(tmp_path)) == 1


@pytest.mark.model
def test_parts_read_at_once_are_kept_in_order_and_a_stop_keeps_those_from_the_first(
        tmp_path: Path) -> None:
    """`--parallel 4`: four parts decoded together in one batch (issue 26). The summary is
    whole, its notes in the document's order; a Ctrl+C keeps the notes of the parts read
    one after another from the first, as the sequential path does."""
    done = summarize(tmp_path, str(LICENCE), "--ctx", "1024", "--length", "short",
                     "--parallel", "4")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    last = done.stderr.splitlines()[-1]
    assert last.startswith("Summarized all of gpl-3.0.txt: ")
    parts = int(last.split(": ")[1].split()[0])
    [chat] = _chats(tmp_path)
    notes = chat["messages"][-1]["details"]["parts"]
    assert len(notes) == parts >= 4
    assert [n["index"] for n in notes] == list(range(1, parts + 1))
    assert all(n["note"] for n in notes)
    assert [n["start"] for n in notes] == sorted(n["start"] for n in notes)

    stopped = tmp_path / "stopped"
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(stopped), "summarize", str(LICENCE),
         "--ctx", "512", "--length", "short", "--parallel", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True)
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if line.startswith("Reading part 3 of "):
                process.send_signal(signal.SIGINT)
                break
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    finally:
        process.kill()
    assert process.returncode == 130
    kept = int(stderr.splitlines()[-1].split("Stopped after ")[1].split()[0])
    assert kept >= 2
    # The notes printed are parts 1 to `kept` (a note may hold blank lines of its own).
    assert re.findall(r"^\*\*Part (\d+)\.\*\*", stdout, re.MULTILINE) == [
        str(n) for n in range(1, kept + 1)]
    [chat] = _chats(stopped)
    assert len(chat["messages"][-1]["details"]["parts"]) == kept


@pytest.mark.parametrize("value", ["0", "65", "many"])
def test_a_parallel_count_out_of_range_exits_2_with_one_line(tmp_path: Path, value: str) -> None:
    done = summarize(tmp_path, str(LICENCE), "--parallel", value)
    assert done.returncode == 2
    assert "--parallel" in done.stderr and "1" in done.stderr and "64" in done.stderr
    assert "Traceback" not in done.stderr
