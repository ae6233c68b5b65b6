"""The batched engine (`engine.batched_engine`): the engine protocol over the batched decoder,
answering from several threads at once as the single path answers each request alone.

On the real SmolLM2 (and copies of it with other chat templates), greedy, so that every answer
is one exact text to compare with the single path's.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from app.core.engine import ChatMessage, ContextOverflowError, GenerationParams, LoadSpec, fit
from app.core.engine.base import (
    GPU_LAYERS_AUTO,
    GenerationResult,
    PromptProgress,
    UnsupportedRequestError,
)
from app.core.engine.batched_engine import BatchedEngine, at_once, parts_engine
from app.core.engine.cancel import CancelToken
from app.core.engine.gguf import read_header
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.switch import EngineSwitch
from tests.gguffiles import TOOLS_TEMPLATE, with_metadata
from tests.integration.test_engine_api_features import WEATHER, WEATHER_PARAMETERS
from tests.thinking_model import with_template

pytestmark = [pytest.mark.model]

GREEDY = GenerationParams(temperature=0.0, max_tokens=40, seed=1)
QUESTIONS = ("What is the capital of France?", "Name three colours.",
             "Write a haiku about rain.", "What is 2+2?")


def spec(path: Path, n_ctx: int = 1024) -> LoadSpec:
    """Flash attention on for both paths: the batched one uses it where it can ("auto") when
    the setting is off, the single path only when it is on; compared, both must."""
    return LoadSpec(path, n_ctx=n_ctx, n_threads=2, n_threads_batch=2, flash_attn=True)


@pytest.fixture(scope="module")
def single(smollm2_path: Path) -> Iterator[LlamaCppEngine]:
    engine = LlamaCppEngine()
    engine.load(spec(smollm2_path))
    yield engine
    engine.unload()


@pytest.fixture(scope="module")
def batched(smollm2_path: Path) -> Iterator[BatchedEngine]:
    engine = BatchedEngine(4)
    engine.load(spec(smollm2_path))
    yield engine
    engine.unload()


def ask(engine: LlamaCppEngine, messages: str | list[ChatMessage],
        params: GenerationParams = GREEDY, cancel: CancelToken | None = None
        ) -> tuple[list[str], GenerationResult]:
    if isinstance(messages, str):
        messages = [ChatMessage("user", messages)]
    pieces: list[str] = []
    return pieces, engine.stream_chat(messages, params, pieces.append, cancel)


def together(engine: BatchedEngine, jobs: list[tuple[list[ChatMessage] | str, GenerationParams]]
             ) -> list[tuple[list[str], GenerationResult]]:
    """Each job asked from a thread of its own, all at once."""
    results: list[tuple[list[str], GenerationResult] | None] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        start.wait()
        results[i] = ask(engine, *jobs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def test_four_chats_at_once_answer_as_the_single_path_answers_each(
        single: LlamaCppEngine, batched: BatchedEngine) -> None:
    assert batched.model is not None
    assert batched.model.parallel == 4 and batched.model.n_ctx == 1024
    alone = [ask(single, q)[1] for q in QUESTIONS]
    at_once = together(batched, [(q, GREEDY) for q in QUESTIONS])
    for expected, (pieces, got) in zip(alone, at_once, strict=True):
        assert got.text == expected.text
        assert "".join(pieces) == got.text
        assert got.stats.finish_reason == expected.stats.finish_reason
        assert got.stats.completion_tokens == expected.stats.completion_tokens
        assert got.stats.prompt_tokens == expected.stats.prompt_tokens


def test_more_requests_than_sequences_wait_for_a_slot(batched: BatchedEngine) -> None:
    params = GenerationParams(temperature=0.0, max_tokens=8, seed=1)
    results = together(batched, [(q, params) for q in QUESTIONS * 2])
    assert [r.text for _, r in results[:4]] == [r.text for _, r in results[4:]]
    assert all(r.stats.completion_tokens > 0 for _, r in results)


def test_an_answer_is_continued_as_on_the_single_path(single: LlamaCppEngine,
                                                      batched: BatchedEngine) -> None:
    messages = [ChatMessage("user", "Tell me about the sea."),
                ChatMessage("assistant", "The sea is")]
    assert ask(batched, messages)[1].text == ask(single, messages)[1].text


def test_a_stopped_request_ends_cancelled_and_the_others_go_on(
        single: LlamaCppEngine, batched: BatchedEngine) -> None:
    long = GenerationParams(temperature=0.0, max_tokens=200, seed=1)
    cancel = CancelToken()
    stopped: list[GenerationResult] = []

    def stop_after_three_pieces() -> None:
        pieces: list[str] = []

        def piece(text: str) -> None:
            pieces.append(text)
            if len(pieces) == 3:
                cancel.cancel()

        stopped.append(batched.stream_chat([ChatMessage("user", "Tell a long story.")], long,
                                           piece, cancel))

    thread = threading.Thread(target=stop_after_three_pieces)
    thread.start()
    _, other = ask(batched, QUESTIONS[0])
    thread.join(60)
    assert stopped[0].stats.finish_reason == "cancelled"
    assert stopped[0].stats.completion_tokens < 20
    assert other.text == ask(single, QUESTIONS[0])[1].text


def test_a_prompt_longer_than_a_sequence_s_context_is_refused(batched: BatchedEngine) -> None:
    with pytest.raises(ContextOverflowError):
        ask(batched, "word " * 1500)
    assert ask(batched, QUESTIONS[3])[1].stats.finish_reason == "stop"  # the engine goes on


def test_a_long_prompt_reports_how_far_it_is_read(smollm2_path: Path) -> None:
    engine = BatchedEngine(2)
    engine.load(LoadSpec(smollm2_path, n_ctx=2048, n_batch=64, n_threads=2,
                         n_threads_batch=2))
    try:
        seen: list[PromptProgress] = []
        result = engine.stream_chat([ChatMessage("user", "Say yes. " * 100)],
                                    GenerationParams(temperature=0.0, max_tokens=2),
                                    lambda _t: None, on_prompt=seen.append)
    finally:
        engine.unload()
    assert len(seen) >= 4
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == seen[-1].total == result.stats.prompt_tokens


def test_an_answer_kept_to_a_json_schema_validates(batched: BatchedEngine) -> None:
    person = {"type": "object", "properties": {"name": {"type": "string"},
                                               "age": {"type": "integer"}},
              "required": ["name", "age"]}
    params = GenerationParams(temperature=0.0, max_tokens=80, seed=1,
                              json_schema=json.dumps(person))
    results = together(batched, [("Describe a person.", params),
                                 ("Describe an old man.", params)])
    for _, result in results:
        jsonschema.validate(json.loads(result.text), person)


def test_a_named_tool_choice_makes_a_call_whose_arguments_validate(
        smollm2_path: Path, tmp_path: Path) -> None:
    path = with_metadata(smollm2_path, tmp_path / "smollm2-tools.gguf",
                         strings={"tokenizer.chat_template": TOOLS_TEMPLATE})
    engine = BatchedEngine(2)
    engine.load(spec(path))
    try:
        params = GenerationParams(temperature=0.0, max_tokens=80, seed=1, tools=(WEATHER,),
                                  tool_choice="get_weather")
        results = together(engine, [("What is the weather in Paris?", params),
                                    ("Is it cold in Oslo?", params)])
    finally:
        engine.unload()
    for pieces, result in results:
        assert [c.name for c in result.tool_calls] == ["get_weather"]
        jsonschema.validate(json.loads(result.tool_calls[0].arguments), WEATHER_PARAMETERS)
        assert result.stats.finish_reason == "tool_calls"
        assert pieces == [] and result.text == ""


def test_a_reasoning_model_s_thinking_is_kept_apart(smollm2_path: Path, tmp_path: Path) -> None:
    path = with_template(smollm2_path, tmp_path / "thinking.gguf")
    single, batched = LlamaCppEngine(), BatchedEngine(2)
    single.load(spec(path))
    try:
        _, alone = ask(single, QUESTIONS[0])
    finally:
        single.unload()
    batched.load(spec(path))
    try:
        _, got = ask(batched, QUESTIONS[0])
    finally:
        batched.unload()
    assert got.thinking and got.thinking == alone.thinking
    assert got.text == alone.text
    assert "<think>" not in got.text and "</think>" not in got.text


def test_it_makes_no_embeddings(batched: BatchedEngine) -> None:
    with pytest.raises(UnsupportedRequestError):
        batched.embed(["text"])


def test_fewer_sequences_are_made_room_for_when_memory_is_short(
        smollm2_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header_shape = fit.Shape.from_header(read_header(smollm2_path), smollm2_path.stat().st_size)
    one = fit.estimate(header_shape, 4096, available=1 << 40)
    four = fit.estimate(header_shape, 4096, available=1 << 40, n_seq=4)
    assert four.kv_cache == 4 * one.kv_cache and four.weights == one.weights
    assert "4 contexts of 4096 tokens" in four.describe()
    # Room for the weights and two caches, not four:
    room = int((one.total + one.kv_cache) / fit.FITS_BELOW) + 1
    assert fit.sequences_that_fit(header_shape, 4096, 4, room) == 2
    assert fit.sequences_that_fit(header_shape, 4096, 4, 1) == 1

    monkeypatch.setattr("app.core.engine.batched_engine.available_memory", lambda: room)
    # GPU layers "auto", the settings' default, is no layer on this CPU-only build: the check
    # applies too (it was skipped for any GPU setting but 0).
    for layers in (0, GPU_LAYERS_AUTO):
        engine = BatchedEngine(4)
        info = engine.load(dataclasses.replace(spec(smollm2_path, n_ctx=4096),
                                               n_gpu_layers=layers))
        try:
            assert info.parallel == 2, layers
            assert "4 answers at once" in engine.note and "2 at once instead" in engine.note
        finally:
            engine.unload()


def test_a_summary_s_parts_engine_shares_the_loaded_model(single: LlamaCppEngine) -> None:
    """`parts_engine`: no second load, a context of N sequences on the single engine's model,
    freed after; the single engine answers as before. "Auto" on a CPU is the engine itself."""
    before = ask(single, QUESTIONS[1])[1].text
    with parts_engine(single, 0) as auto:
        assert auto is single  # no GPU here: reading parts at once would gain little
    with parts_engine(single, 3) as parts:
        assert isinstance(parts, BatchedEngine) and parts is not single
        assert parts._llm is single._llm  # the same weights, not a second load
        assert parts.model is not None and single.model is not None
        assert parts.model.parallel == 3 and parts.model.n_ctx == single.model.n_ctx
        at_once = together(parts, [(q, GREEDY) for q in QUESTIONS[:3]])
        assert at_once[1][1].text == before
    assert parts.model is None  # its context freed, the model left to `single`
    assert single.model is not None
    assert ask(single, QUESTIONS[1])[1].text == before


def test_a_request_stopped_before_its_prompt_is_rendered_ends_at_once(
        batched: BatchedEngine) -> None:
    """A Stop seen while the template renders (a summary's other parts, stopped together)
    never reaches the decoder: the request ends at once, cancelled. It used to wait for a
    result that would never come."""
    cancel = CancelToken()
    cancel.cancel()
    results: list[GenerationResult] = []
    thread = threading.Thread(target=lambda: results.append(
        ask(batched, QUESTIONS[0], cancel=cancel)[1]), daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert results[0].stats.finish_reason == "cancelled" and results[0].text == ""


def test_the_window_s_engine_switch_shares_the_model_it_holds(smollm2_path: Path) -> None:
    """The window answers through an `EngineSwitch`: its summaries' parts and its versions
    are answered at once by the local engine it holds, not one after another."""
    switch = EngineSwitch(LlamaCppEngine)
    switch.load(spec(smollm2_path))
    try:
        with at_once(switch, 2) as both:
            assert isinstance(both, BatchedEngine)
            assert both._llm is switch.active._llm  # type: ignore[union-attr]
            assert both.model is not None and both.model.parallel == 2
    finally:
        switch.unload()


def test_at_once_tells_who_asked_when_memory_lowers_the_count(
        single: LlamaCppEngine, smollm2_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A summary's parts or Regenerate ×N asked for 4 at once, room for 2: the user is told
    (the window's status bar, `summarize`'s stderr), not only the log."""
    shape = fit.Shape.from_header(read_header(smollm2_path), smollm2_path.stat().st_size)
    one = fit.estimate(shape, 1024, available=1 << 40)
    room = int((one.total + one.kv_cache) / fit.FITS_BELOW) + 1
    monkeypatch.setattr("app.core.engine.batched_engine.available_memory", lambda: room)
    notes: list[str] = []
    with at_once(single, 4, notes.append) as engine:
        assert engine.model is not None and engine.model.parallel == 2
    assert len(notes) == 1 and "2 at once instead" in notes[0]
    with at_once(single, 2, notes.append):
        pass
    assert len(notes) == 1  # room enough: nothing to tell
