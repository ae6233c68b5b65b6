"""`lamplight` as a user runs it: a separate process, the real model, real stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 300


def lamplight(data_dir: Path, *args: str, stdin: str | None = None,
              ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
        input=stdin if stdin is not None else "", capture_output=True, text=True, env=env,
        timeout=TIMEOUT_S, check=False)


def test_version(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"lamplight {__version__}"


@pytest.mark.model
def test_one_question_is_answered_on_stdout(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "chat", "--seed", "1",
                     "What is the capital of France? Answer in one sentence.")
    assert done.returncode == 0, done.stderr
    assert "Paris" in done.stdout
    assert done.stderr == ""  # llama.cpp's log goes to the log file, not the terminal
    log = tmp_path / "logs" / "lamplight.log"
    assert log.is_file()
    assert "loaded" in log.read_text()


@pytest.mark.model
def test_piped_lines_are_turns_of_one_conversation_with_stats(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "chat", "--stats", "--seed", "1", "--max-tokens", "24",
                     stdin="My name is Ada.\n\nWhat is my name?\n")
    assert done.returncode == 0, done.stderr
    stats = [json.loads(line) for line in done.stderr.splitlines()]
    assert len(stats) == 2  # the blank line is not a turn
    for turn in stats:
        assert set(turn) >= {"ttft_s", "prompt_tokens", "completion_tokens", "tokens_per_s"}
        assert turn["completion_tokens"] > 0
        assert turn["tokens_per_s"] > 0
    # The second prompt carries the first exchange.
    assert stats[1]["prompt_tokens"] > stats[0]["prompt_tokens"] + stats[0]["completion_tokens"]


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lamplight: error: ")
    assert done.stdout == ""
    return lines[0]


def test_a_missing_model_file_exits_2_with_one_line(tmp_path: Path) -> None:
    line = _one_line_error(lamplight(tmp_path, "chat", "--model", "/no/such.gguf", "hi"))
    assert "/no/such.gguf" in line


@pytest.mark.model
def test_a_corrupt_model_file_exits_2_with_one_line(tmp_path: Path, smollm2_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(smollm2_path.read_bytes()[: 5 * 1024 * 1024])
    line = _one_line_error(lamplight(tmp_path, "chat", "--model", str(bad), "hi"))
    assert "broken.gguf" in line


def test_a_file_that_is_not_a_model_exits_2(tmp_path: Path) -> None:
    notes = tmp_path / "notes.gguf"
    notes.write_text("shopping list\n")
    line = _one_line_error(lamplight(tmp_path, "chat", "--model", str(notes), "hi"))
    assert "not a GGUF model file" in line


@pytest.mark.model
def test_a_prompt_longer_than_the_context_is_refused_with_advice_for_the_terminal(
        tmp_path: Path) -> None:
    """It advised to "attach it as a document", which the terminal cannot do, and kept the
    prompt in the history as a failed turn."""
    line = _one_line_error(lamplight(tmp_path, "chat", "--ctx", "256", "word " * 400))
    assert line.startswith("lamplight: error: The prompt is 40")
    assert "tokens long" in line and "raise --ctx (now 256;" in line
    assert "'lamplight summarize FILE'" in line and "attach" not in line
    assert lamplight(tmp_path, "chats", "list", "--json").stdout == "[]\n"


@pytest.mark.model
def test_a_prompt_too_long_for_a_continued_chat_leaves_the_chat_as_it_was(
        tmp_path: Path) -> None:
    _many_chats(tmp_path, 1)
    before = _messages(tmp_path, 1)
    line = _one_line_error(lamplight(tmp_path, "chat", "--continue", "1", "--ctx", "256",
                                     "word " * 400))
    assert "raise --ctx" in line
    assert _messages(tmp_path, 1) == before


def _messages(data_dir: Path, chat_id: int) -> list[dict[str, object]]:
    exported = lamplight(data_dir, "chats", "export", str(chat_id), "--format", "json")
    assert exported.returncode == 0, exported.stderr
    messages: list[dict[str, object]] = json.loads(exported.stdout)["conversations"][0][
        "messages"]
    return messages


@pytest.mark.parametrize("args", [
    ("chat", "--max-tokens", "0", "hi"),
    ("chat", "--max-tokens", "many", "hi"),
    ("chat", "--no-such-option"),
    ("no-such-command",),
])
def test_bad_usage_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    _one_line_error(lamplight(tmp_path, *args))


@pytest.mark.parametrize(("args", "said"), [
    (("chat", "--temprature", "0.5", "hi"),
     "unrecognized option --temprature: did you mean --temperature? "
     "(see 'lamplight chat --help')"),
    (("chat", "--temprature=0.5", "hi"),
     "unrecognized option --temprature: did you mean --temperature? "
     "(see 'lamplight chat --help')"),
    (("chats", "list", "--jsn"),
     "unrecognized option --jsn: did you mean --json? (see 'lamplight chats list --help')"),
    (("summarize", "--langauge", "German", "notes.txt"),
     "unrecognized option --langauge: did you mean --language? "
     "(see 'lamplight summarize --help')"),
    (("chat", "--xyz", "hi"), "unrecognized option --xyz (see 'lamplight chat --help')"),
])
def test_a_misspelt_option_is_named_with_the_nearest_one_and_its_commands_help(
        tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    """It named the top-level help, no suggestion, and took the 0.5 for the prompt."""
    assert _one_line_error(lamplight(tmp_path, *args)) == f"lamplight: error: {said}"
    assert not (tmp_path / "data" / "chats.db").exists()  # nothing was asked, nothing saved


@pytest.mark.parametrize("prompt", ["", " \t\n "])
def test_an_empty_prompt_is_refused_and_nothing_is_saved(tmp_path: Path, prompt: str) -> None:
    _many_chats(tmp_path, 1)
    for args in (("chat", prompt), ("chat", "--continue", "1", prompt)):
        assert "the prompt is empty" in _one_line_error(lamplight(tmp_path, *args))
    (saved,) = json.loads(lamplight(tmp_path, "chats", "list", "--json").stdout)
    assert saved["messages"] == 1  # the imported question alone


def test_models_by_name_come_from_the_data_dirs_models_folder(tmp_path: Path,
                                                                smollm2_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "mine.gguf").write_bytes(b"not really")
    line = _one_line_error(lamplight(tmp_path, "chat", "--model", "mine", "hi"))
    assert "mine.gguf" in line
    assert "not a GGUF model file" in line


LONG_TURNS = "".join(f"Turn {i}: tell me one more fact about lighthouses, their keepers, their "
                     f"lenses and the ships they guide, in a sentence or two.\n" for i in range(8))


@pytest.mark.model
def test_a_chat_that_outgrows_the_context_drops_its_oldest_turns(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "chat", "--stats", "--seed", "1", "--ctx", "512",
                     "--max-tokens", "40", stdin=LONG_TURNS)
    assert done.returncode == 0, done.stderr
    stats = [json.loads(line) for line in done.stderr.splitlines()]
    assert len(stats) == 8  # every turn answered
    assert all(s["prompt_tokens"] + 40 <= 512 for s in stats)
    assert stats[-1]["prompt_tokens"] < stats[3]["prompt_tokens"] + 200  # cut, not grown


@pytest.mark.model
def test_with_overflow_stop_a_chat_too_long_exits_2_saying_so(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "chat", "--seed", "1", "--ctx", "512", "--max-tokens", "40",
                     "--overflow", "stop", stdin=LONG_TURNS)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("lamplight: error: This chat is ")
    assert "leaves no room for an answer" in line and "--overflow drop-oldest" in line
    listed = json.loads(lamplight(tmp_path, "chats", "list", "--json").stdout)
    exported = lamplight(tmp_path, "chats", "export", str(listed[0]["id"]), "--format", "json")
    assert '"overflow": "stop"' in exported.stdout  # the chat keeps its choice
    messages = _messages(tmp_path, listed[0]["id"])
    assert messages[-1]["role"] == "assistant"  # the question refused is not kept
    assert not any(m["error"] for m in messages)


@pytest.mark.model
def test_a_continued_chat_starts_from_its_saved_state(tmp_path: Path) -> None:
    first = lamplight(tmp_path, "chat", "--stats", "--seed", "1", "--max-tokens", "24",
                      "Here is my story. " + "The keeper climbed the stairs at dusk. " * 20
                      + "What happens next?")
    assert first.returncode == 0, first.stderr
    assert list((tmp_path / "cache" / "states").glob("chat-*.kvstate"))
    chat_id = json.loads(lamplight(tmp_path, "chats", "list", "--json").stdout)[0]["id"]
    again = lamplight(tmp_path, "chat", "--stats", "--max-tokens", "8", "--continue",
                      str(chat_id), "And then?")
    assert again.returncode == 0, again.stderr
    stats = json.loads(again.stderr.strip().splitlines()[-1])
    assert stats["prompt_tokens"] > 200
    assert stats["prompt_tokens"] - stats["cached_tokens"] < 40  # only the new turn evaluated
    lamplight(tmp_path, "chats", "rm", str(chat_id))
    assert not list((tmp_path / "cache" / "states").glob("chat-*.kvstate"))


POEM = ("chat", "--no-save", "--temperature", "1.5", "--max-tokens", "40", "--stats",
        "Write a poem about the sea.")


@pytest.mark.model
def test_an_empty_seed_is_random_and_the_seed_used_reproduces_the_answer(tmp_path: Path) -> None:
    """llama.cpp's default seed is a constant: every new process wrote the same poem."""
    first, second = lamplight(tmp_path, *POEM), lamplight(tmp_path, *POEM)
    for done in (first, second):
        assert done.returncode == 0, done.stderr
    assert first.stdout != second.stdout
    seed = json.loads(first.stderr)["seed"]
    assert seed != json.loads(second.stderr)["seed"]
    again = lamplight(tmp_path, *POEM[:-1], "--seed", str(seed), POEM[-1])
    assert again.stdout == first.stdout
    sevens = [lamplight(tmp_path, *POEM[:-1], "--seed", "7", POEM[-1]) for _ in range(2)]
    assert sevens[0].stdout == sevens[1].stdout
    assert json.loads(sevens[0].stderr)["seed"] == 7


def _many_chats(data_dir: Path, count: int) -> None:
    """`count` saved chats, imported (no model needed): their list is far longer than a pipe
    holds (64 KiB)."""
    chats = [{"title": f"Chat {i} about lighthouses", "created_at": "2026-01-01T00:00:00Z",
              "updated_at": "2026-01-01T00:00:00Z", "system_prompt": "", "settings": {},
              "messages": [{"id": 1, "parent": None, "role": "user",
                            "content": f"Lighthouse question number {i}"}]}
             for i in range(count)]
    export = data_dir / "chats.json"
    export.write_text(json.dumps({"format": "lamplight-conversations", "version": 1,
                                  "conversations": chats}), encoding="utf-8")
    assert lamplight(data_dir, "chats", "import", str(export)).returncode == 0


def _into_a_closed_pipe(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`lamplight ARGS | true`: stdout is a pipe whose reader has already gone, so the first
    write to it fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    try:
        return subprocess.run(
            [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
            stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.PIPE, text=True,
            env=env, timeout=TIMEOUT_S, check=False)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [
    ("models", "list"),
    ("chats", "list"),
    ("chats", "list", "--json"),
    ("chats", "search", "lighthouse"),
    ("chats", "export", "--all", "--format", "json"),
])
def test_a_reader_gone_before_the_first_line_ends_quietly(tmp_path: Path,
                                                           args: tuple[str, ...]) -> None:
    """A traceback (or Python's "Exception ignored ... BrokenPipeError" and status 120)."""
    _many_chats(tmp_path, 3)
    done = _into_a_closed_pipe(tmp_path, *args)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("command", ["chats list", "chats list --json"])
def test_head_1_after_a_long_list_ends_it_quietly(tmp_path: Path, command: str) -> None:
    """`lamplight chats list | head -1`, in a shell: the rest of the list meets a closed pipe."""
    _many_chats(tmp_path, 3000)
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    done = subprocess.run(
        ["bash", "-c", f'"$0" -m app --data-dir "$1" {command} | head -1; '
                       'echo "status ${PIPESTATUS[0]}" >&2', sys.executable, str(tmp_path)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=TIMEOUT_S,
        check=False)
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == "status 0\n"


@pytest.mark.model
def test_a_chat_whose_reader_has_gone_ends_quietly_and_keeps_the_turn(tmp_path: Path) -> None:
    done = _into_a_closed_pipe(tmp_path, "chat", "--seed", "1", "--max-tokens", "8",
                               "What is the capital of France?")
    assert (done.returncode, done.stderr) == (0, "")
    (saved,) = json.loads(lamplight(tmp_path, "chats", "list", "--json").stdout)
    assert saved["messages"] == 2  # the question, and the answer as far as it got
