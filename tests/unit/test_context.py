"""A history longer than the context: cut by the policy, never a raw error."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from app.core.chat.context import HistoryTooLongError, fit_history
from app.core.chat.turns import TurnRequest, answer_turn
from app.core.documents.summary_options import SummaryOptions
from app.core.engine import CancelToken, ChatMessage, GenerationParams, GenerationResult
from app.core.engine.llama_cpp_backend import LlamaCppEngine


def words(messages: Sequence[ChatMessage]) -> int:
    return sum(len(m.content.split()) for m in messages)


def chat(turns: int) -> list[ChatMessage]:
    messages = [ChatMessage("system", "Be brief.")]
    for i in range(turns):
        messages += [ChatMessage("user", f"question {i} " + "word " * 20),
                     ChatMessage("assistant", f"answer {i} " + "word " * 20)]
    return [*messages, ChatMessage("user", "the last question")]


def test_a_history_that_fits_is_sent_whole() -> None:
    messages = chat(2)
    assert fit_history(messages, words, 1000, "drop-oldest") == messages


def test_the_oldest_turns_go_first_in_pairs_keeping_the_system_prompt_and_the_question() -> None:
    messages = chat(10)
    cut = fit_history(messages, words, 120, "drop-oldest")
    assert cut[0].content == "Be brief." and cut[-1].content == "the last question"
    assert words(cut) <= 120
    assert [m.role for m in cut[1:]] == ["user", "assistant"] * ((len(cut) - 2) // 2) + ["user"]
    assert cut[1:] == messages[-(len(cut) - 1):]  # the most recent turns are kept
    assert words(cut) > 120 * 0.5  # and not far fewer than fit


def test_a_growing_chat_is_cut_at_the_same_place_for_several_turns() -> None:
    """Each change of the first turn kept makes llama.cpp evaluate the whole prompt again."""
    starts = []
    for turns in range(10, 40):
        cut = fit_history(chat(turns), words, 300, "drop-oldest")
        assert words(cut) <= 300
        starts.append(cut[1].content.split()[1])
    changes = sum(a != b for a, b in itertools.pairwise(starts))
    assert changes <= len(starts) // 2  # cutting as little as possible: 29 changes


def test_stop_says_so_instead_of_cutting() -> None:
    with pytest.raises(HistoryTooLongError, match="Start a new chat"):
        fit_history(chat(10), words, 120, "stop")


def test_a_question_too_long_alone_is_refused_with_a_way_out() -> None:
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "word " * 500)]
    with pytest.raises(HistoryTooLongError, match="attach it as a document"):
        fit_history(messages, words, 100, "drop-oldest")


def turn(messages: list[ChatMessage], overflow: str) -> TurnRequest:
    return TurnRequest(messages=tuple(messages), fallback=(), text="", name="",
                       options=SummaryOptions(), params=GenerationParams(max_tokens=8, seed=1),
                       overflow="stop" if overflow == "stop" else "drop-oldest")


@pytest.mark.model
def test_a_long_chat_on_the_real_model_drops_its_oldest_turns_and_answers(
        small_engine: LlamaCppEngine) -> None:
    messages = chat(30)  # some 1,500 tokens in a 512-token context
    result = answer_turn(small_engine, turn(messages, "drop-oldest"), on_piece=lambda _t: None,
                         on_progress=lambda _p: None, cancel=CancelToken())
    assert isinstance(result, GenerationResult)
    assert result.stats.completion_tokens > 0
    assert result.stats.prompt_tokens < 512
    with pytest.raises(HistoryTooLongError):
        answer_turn(small_engine, turn(messages, "stop"), on_piece=lambda _t: None,
                    on_progress=lambda _p: None, cancel=CancelToken())
