"""`lamplight chat` and `summarize` with a reasoning model, as a user runs them: a separate
process, real stdout and stderr (a pipe, or a terminal), on a copy of SmolLM2 whose chat
template opens `<think>` and takes Qwen3's `enable_thinking` (`tests.thinking_model`).

The 135M model never learned to think: what it writes after the opened tag is ordinary text,
and it seldom closes the tag. So the tests check where the text goes, never what it says; the
saved chat tells what was thinking and what was answer.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.chat.conversation import Message
from app.core.chat.store import ConversationStore
from tests.thinking_model import with_template

pytestmark = [pytest.mark.integration, pytest.mark.model]
TIMEOUT_S = 300
QUESTION = "What is the capital of France?"
SHORT = ("--seed", "1", "--max-tokens", "24")
DIM, RESET = "\x1b[2m", "\x1b[0m"


@pytest.fixture(scope="module")
def thinking_model(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Path:
    return with_template(smollm2_path, tmp_path_factory.mktemp("thinking") / "think.gguf")


def lamplight(data_dir: Path, *args: str, stdin: str = "", stdout: int | None = None,
              ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), *args], input=stdin,
        stdout=subprocess.PIPE if stdout is None else stdout, stderr=subprocess.PIPE,
        text=True, env=env, timeout=TIMEOUT_S, check=False)


def _answers(data_dir: Path) -> list[Message]:
    """The answers of the chat the run saved, in order."""
    store = ConversationStore.open_in(data_dir / "data")
    try:
        (summary,) = store.list_conversations()
        conversation = store.load(summary.id)
    finally:
        store.close()
    return [m for m in conversation.path() if m.role == "assistant"]


def test_piped_output_is_the_answer_alone_and_stats_count_the_thinking(
        tmp_path: Path, thinking_model: Path) -> None:
    done = lamplight(tmp_path, "chat", "--model", str(thinking_model), "--stats", *SHORT,
                     QUESTION)
    assert done.returncode == 0, done.stderr
    (answer,) = _answers(tmp_path)
    assert answer.thinking.strip()  # the model thought, and the chat kept it apart
    assert done.stdout == answer.content + "\n"  # only the answer reached the pipe
    assert answer.thinking.strip() not in done.stdout and "<think>" not in done.stdout
    (line,) = done.stderr.splitlines()  # the stats, and no thinking
    stats = json.loads(line)
    assert 0 < stats["thinking_tokens"] <= stats["completion_tokens"]
    assert stats["thinking_s"] >= 0


def test_show_thinking_writes_the_thinking_to_stderr(tmp_path: Path,
                                                     thinking_model: Path) -> None:
    done = lamplight(tmp_path, "chat", "--model", str(thinking_model), "--show-thinking",
                     *SHORT, QUESTION)
    assert done.returncode == 0, done.stderr
    (answer,) = _answers(tmp_path)
    assert answer.thinking.strip()
    assert done.stderr == answer.thinking.strip() + "\n"  # plain: no tags, no escapes
    assert done.stdout == answer.content + "\n"


def test_no_think_answers_at_once(tmp_path: Path, thinking_model: Path) -> None:
    done = lamplight(tmp_path, "chat", "--model", str(thinking_model), "--no-think",
                     "--stats", "--show-thinking", *SHORT, QUESTION)
    assert done.returncode == 0, done.stderr
    (answer,) = _answers(tmp_path)
    assert answer.thinking == ""
    assert answer.content.strip() and done.stdout == answer.content + "\n"
    assert "<think>" not in done.stdout
    (line,) = done.stderr.splitlines()  # the stats alone: no thinking to show
    stats = json.loads(line)
    assert stats["completion_tokens"] > 0 and "thinking_tokens" not in stats


def test_no_think_warns_for_a_model_without_the_switch(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "chat", "--no-think", "--seed", "1", "--max-tokens", "4",
                     QUESTION)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ("lamplight: warning: --no-think does nothing for this model: its "
                           "chat template has no Thinking switch.\n")
    assert done.stdout.strip()


def test_on_a_terminal_the_thinking_is_shown_dimmed(tmp_path: Path,
                                                    thinking_model: Path) -> None:
    controller, terminal = pty.openpty()
    try:
        done = lamplight(tmp_path, "chat", "--model", str(thinking_model), *SHORT, QUESTION,
                         stdout=terminal)
    finally:
        os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal's other end is closed: all was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert done.returncode == 0, done.stderr
    (answer,) = _answers(tmp_path)
    text = shown.decode("utf-8").replace("\r\n", "\n")  # the terminal's own line ends
    thinking = answer.thinking.strip()
    assert thinking
    # Dimmed piece by piece, each piece reset, so a stop mid-thought leaves no dim behind.
    assert text.startswith(DIM) and text.count(DIM) == text.count(RESET)
    assert text.replace(DIM, "").replace(RESET, "").startswith(thinking)
    assert "<think>" not in text
    assert text.endswith(answer.content + "\n")


def test_a_template_that_fails_falls_back_with_one_warning(tmp_path: Path,
                                                          smollm2_path: Path) -> None:
    broken = with_template(smollm2_path, tmp_path / "broken.gguf",
                           "{{ raise_exception('This template takes no chats.') }}")
    data_dir = tmp_path / "lamplight"
    done = lamplight(data_dir, "chat", "--model", str(broken), *SHORT,
                     stdin=f"{QUESTION}\nAnd of Italy?\n")
    assert done.returncode == 0, done.stderr
    (warning,) = done.stderr.splitlines()  # once a run, not once a turn
    assert warning.startswith("lamplight: warning: The model's chat template failed (")
    assert "This template takes no chats." in warning and "chatml" in warning
    answers = _answers(data_dir)
    assert len(answers) == 2 and all(a.content.strip() for a in answers)


def test_a_summary_by_a_reasoning_model_prints_only_its_answer(tmp_path: Path,
                                                                thinking_model: Path) -> None:
    document = tmp_path / "notes.txt"
    document.write_text("The lighthouse keeper lit the lamp at dusk every evening. "
                        "Ships passed safely through the strait all winter.\n", encoding="utf-8")
    data_dir = tmp_path / "lamplight"
    done = lamplight(data_dir, "summarize", str(document), "--model", str(thinking_model),
                     "--seed", "1", "--quiet", "--stats")
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stderr.splitlines()[-1])
    assert stats["thinking_tokens"] > 0  # it thought: none of that reached stdout
    (answer,) = _answers(data_dir)
    assert done.stdout == answer.content + "\n" and "<think>" not in done.stdout
