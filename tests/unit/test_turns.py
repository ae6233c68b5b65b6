"""A chat turn's answer: bounded by default, stopped when it goes round in circles, and a
summary part by part for a turn that asks for nothing else (`summary_only`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from app.core.chat.turns import TurnRequest, answer_turn, default_answer_limit
from app.core.documents.summary_options import SummaryOptions
from app.core.documents.summary_result import SummaryResult
from app.core.engine import CancelToken, ChatMessage, GenerationParams, GenerationResult
from app.core.engine.base import LoadSpec
from app.core.engine.loop_guard import LoopGuard
from tests.scripted_engine import ScriptedEngine

LOOP = "The cat sat on the mat. " * 40


def request(params: GenerationParams) -> TurnRequest:
    return TurnRequest(messages=(ChatMessage("user", "Tell me about the cat."),), fallback=(),
                       text="", name="", options=SummaryOptions(), params=params)


def answer(engine: ScriptedEngine, params: GenerationParams,
           cancel: CancelToken | None = None) -> tuple[GenerationResult, list[str]]:
    pieces: list[str] = []
    result = answer_turn(engine, request(params), on_piece=pieces.append,
                         on_progress=lambda _p: None, cancel=cancel or CancelToken())
    assert isinstance(result, GenerationResult)
    return result, pieces


@pytest.fixture
def engine(smollm2_path: Path) -> ScriptedEngine:
    scripted = ScriptedEngine()
    scripted.load(LoadSpec(smollm2_path, n_ctx=4096))
    return scripted


def test_without_a_limit_an_answer_may_take_half_the_context(engine: ScriptedEngine) -> None:
    answer(engine, GenerationParams())
    assert engine.params[-1].max_tokens == default_answer_limit(4096) == 2048
    answer(engine, GenerationParams(max_tokens=30))
    assert engine.params[-1].max_tokens == 30  # the user's own limit is kept
    assert default_answer_limit(512) == 256 and default_answer_limit(131_072) == 8192


def test_an_answer_going_round_in_circles_is_stopped_and_its_repeats_cut(
        engine: ScriptedEngine) -> None:
    engine.replies.append(LOOP)
    result, pieces = answer(engine, GenerationParams())
    assert result.stats.finish_reason == "loop"
    assert result.text == "The cat sat on the mat."  # one copy kept
    # Stopped early: the engine was told, not left to write all forty copies.
    assert len("".join(pieces)) < len(LOOP) // 4


def test_thinking_going_round_in_circles_is_cut_and_kept_as_thinking(
        engine: ScriptedEngine) -> None:
    """The cut is a place in the stream, tags and thinking included: what is kept is split
    again, so the thinking stays thinking and the answer stays empty."""
    engine.replies.append("<think>\n" + LOOP)
    result, _pieces = answer(engine, GenerationParams())
    assert result.stats.finish_reason == "loop"
    assert (result.thinking, result.text) == ("The cat sat on the mat.", "")


def test_a_line_repeated_three_times_on_purpose_is_not_a_loop(engine: ScriptedEngine) -> None:
    code = "```python\n" + 'print("hello world")\n' * 3 + "```\nThat prints it three times."
    engine.replies.append(code)
    result, _ = answer(engine, GenerationParams())
    assert result.stats.finish_reason == "stop" and result.text == code
    assert LoopGuard.ANSWERS[0] > LoopGuard.NOTES[0] == 3


def test_a_stop_during_a_loop_is_a_stop(engine: ScriptedEngine) -> None:
    cancel = CancelToken()
    cancel.cancel()
    engine.replies.append(LOOP)
    result, _ = answer(engine, GenerationParams(), cancel)
    assert result.stats.finish_reason == "cancelled"


def test_a_base_model_going_round_whole_paragraphs_is_stopped(engine: ScriptedEngine) -> None:
    """What Gemma 3 270M base did in a chat: two paragraphs (some 760 characters) again and
    again, until the length limit."""
    paragraphs = ("If you have any questions, please ask your teacher. " * 1 +
                  " ".join(f"Sentence {i} of the first paragraph." for i in range(10)) + "\n" +
                  " ".join(f"Sentence {i} of the second paragraph." for i in range(10)) + "\n")
    assert 700 < len(paragraphs) < 1000
    engine.replies.append("Here is the answer.\n" + paragraphs * 12)
    result, pieces = answer(engine, GenerationParams())
    assert result.stats.finish_reason == "loop"
    assert result.text == ("Here is the answer.\n" + paragraphs).rstrip()
    assert len("".join(pieces)) < len(paragraphs) * 5


def test_a_summary_only_turn_summarizes_a_document_that_would_fit_inline(
        engine: ScriptedEngine) -> None:
    """`lamplight summarize`: its answer is always a summary, which says what it read."""
    document = "The lighthouse on Gull Rock is red and white."
    asked = TurnRequest(messages=(ChatMessage("user", f"{document}\n\nSummarize it."),),
                        fallback=(), text=document, name="notes.txt", options=SummaryOptions(),
                        params=GenerationParams())
    for summary_only, kind in ((False, GenerationResult), (True, SummaryResult)):
        result = answer_turn(engine, dataclasses.replace(asked, summary_only=summary_only),
                             on_piece=lambda _p: None, on_progress=lambda _p: None,
                             cancel=CancelToken())
        assert type(result) is kind
    assert isinstance(result, SummaryResult) and result.coverage().startswith(
        "Summarized all of notes.txt: 1 part")


def test_the_terminal_says_when_it_stopped_an_answer_going_round(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """The terminal printed the repeats as they came; it says why it stopped, and that the
    chat keeps the answer without them."""
    from app.cli import main
    from app.core.engine import llama_cpp_backend

    scripted = ScriptedEngine([LOOP])
    monkeypatch.setattr(llama_cpp_backend, "LlamaCppEngine", lambda *_a, **_k: scripted)
    assert main(["--data-dir", str(tmp_path), "chat", "--seed", "1", "Tell me."]) == 0
    out, err = capsys.readouterr()
    assert out.count("The cat sat on the mat.") >= 4  # printed as it came
    assert err.strip().splitlines()[-1] == ("lamplight: warning: stopped: the answer was "
                                            "repeating itself (saved without the repeats).")
