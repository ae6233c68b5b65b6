"""What the HTTP API asks of the llama.cpp engine besides a chat, on the real SmolLM2: stop
strings, seeds, penalties, JSON schemas, plain completions, tool calls and embeddings.

Tools need a chat template that renders them, and embeddings a model that pools its vectors:
SmolLM2 has neither, so copies of its GGUF are made with a Qwen 2.5-like template, or with
`llama.pooling_type` set to the mean (`with_metadata`, standard library only).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from app.core.engine import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    GenerationParams,
    GenerationResult,
    LoadSpec,
)
from app.core.engine.base import Tool, ToolCall, UnsupportedRequestError
from app.core.engine.gguf import read_header
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from tests.gguffiles import TOOLS_TEMPLATE, with_metadata

pytestmark = [pytest.mark.model]

GREEDY = GenerationParams(temperature=0.0, max_tokens=40, seed=1)
PERSON = {"type": "object", "properties": {"name": {"type": "string"},
                                           "age": {"type": "integer"}},
          "required": ["name", "age"]}
WEATHER_PARAMETERS = {"type": "object",
                      "properties": {"city": {"type": "string"},
                                     "unit": {"type": "string",
                                              "enum": ["celsius", "fahrenheit"]}},
                      "required": ["city", "unit"]}
WEATHER = Tool("get_weather", "Get the current weather in a city",
               json.dumps(WEATHER_PARAMETERS))
SEARCH = Tool("search", "Search the web", json.dumps(
    {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}))

def loaded(path: Path, n_ctx: int = 1024) -> Iterator[LlamaCppEngine]:
    """An engine with `path` loaded, for a module's tests, unloaded after them."""
    eng = LlamaCppEngine()
    eng.load(LoadSpec(path, n_ctx=n_ctx))
    yield eng
    eng.unload()


@pytest.fixture(scope="module")
def engine(smollm2_path: Path) -> Iterator[LlamaCppEngine]:
    yield from loaded(smollm2_path)


@pytest.fixture(scope="module")
def tools_engine(smollm2_path: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppEngine]:
    """SmolLM2 with a chat template that renders tools."""
    path = with_metadata(smollm2_path, tmp_path_factory.mktemp("tools") / "smollm2-tools.gguf",
                         strings={"tokenizer.chat_template": TOOLS_TEMPLATE})
    yield from loaded(path)


@pytest.fixture(scope="module")
def embedding_path(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2 declaring mean pooling (1): an embedding model for llama.cpp."""
    return with_metadata(smollm2_path, tmp_path_factory.mktemp("emb") / "smollm2-mean.gguf",
                         u32s={"llama.pooling_type": 1})


@pytest.fixture(scope="module")
def embedding_engine(embedding_path: Path) -> Iterator[LlamaCppEngine]:
    yield from loaded(embedding_path, n_ctx=256)


def ask(engine: LlamaCppEngine, question: str | list[ChatMessage],
        params: GenerationParams = GREEDY) -> tuple[list[str], GenerationResult]:
    messages = [ChatMessage("user", question)] if isinstance(question, str) else question
    pieces: list[str] = []
    return pieces, engine.stream_chat(messages, params, pieces.append)


# -- sampling -------------------------------------------------------------------------------

def test_a_stop_string_ends_the_answer_before_it(engine: LlamaCppEngine) -> None:
    question = "Count from 1 to 10, separated by commas."
    _, free = ask(engine, question)
    assert "5" in free.text
    stop = GenerationParams(temperature=0.0, max_tokens=40, seed=1, stop=("5", "never"))
    pieces, stopped = ask(engine, question, stop)
    assert stopped.text == free.text[:free.text.index("5")]
    assert "".join(pieces) == stopped.text
    assert stopped.stats.finish_reason == "stop"


def test_the_same_seed_samples_the_same_answer(engine: LlamaCppEngine) -> None:
    question = "Write a short poem about a lamp."

    def sampled(seed: int) -> str:
        params = GenerationParams(temperature=0.8, max_tokens=30, seed=seed)
        return ask(engine, question, params)[1].text

    first = sampled(1234)
    assert sampled(1234) == first
    assert len({first, sampled(1), sampled(2)}) > 1


def test_penalties_reach_the_sampler(engine: LlamaCppEngine) -> None:
    """SmolLM2 lists a fruit three times; penalized for repeats, it lists each once."""
    question = "List ten fruits, one per line."

    def items(params: GenerationParams) -> list[str]:
        text = ask(engine, question, params)[1].text
        return [line.split(". ", 1)[-1] for line in text.splitlines() if line.strip()]

    free = items(GREEDY)
    assert len(set(free)) < len(free)
    penalized = items(dataclasses.replace(GREEDY, frequency_penalty=2.0))
    assert len(set(penalized)) == len(penalized)
    present = items(dataclasses.replace(GREEDY, presence_penalty=2.0))
    assert present != free


def test_an_answer_kept_to_a_json_schema_parses_and_validates(engine: LlamaCppEngine) -> None:
    params = GenerationParams(temperature=0.0, max_tokens=80, seed=1,
                              json_schema=json.dumps(PERSON))
    pieces, result = ask(engine, "Describe a person.", params)
    assert result.stats.finish_reason == "stop"
    assert "".join(pieces) == result.text
    jsonschema.validate(json.loads(result.text), PERSON)


@pytest.mark.parametrize(("schema", "reason"), [
    ("{not json", "Expecting property name"),
    ('{"$ref": "https://example.com/person.json"}', "Fetching remote schemas is not allowed"),
])
def test_a_schema_that_cannot_be_enforced_is_refused(engine: LlamaCppEngine, schema: str,
                                                     reason: str) -> None:
    with pytest.raises(UnsupportedRequestError) as caught:
        ask(engine, "Describe a person.", GenerationParams(max_tokens=5, json_schema=schema))
    assert caught.value.param == "response_format"
    assert "cannot be enforced" in str(caught.value)
    assert reason in str(caught.value)
    assert ask(engine, "Say hello.")[1].stats.completion_tokens > 0


# -- plain completions ----------------------------------------------------------------------

def test_a_completion_streams_text_and_counts_its_tokens(engine: LlamaCppEngine) -> None:
    engine.use_session(None)
    prompt = "The capital of France is"
    pieces: list[str] = []
    result = engine.complete(prompt, GenerationParams(temperature=0.0, max_tokens=8, seed=1),
                             pieces.append)
    assert len(pieces) > 1
    assert "".join(pieces) == result.text
    assert "Paris" in result.text
    assert result.stats.finish_reason == "length"
    assert result.stats.completion_tokens == 8
    assert result.stats.prompt_tokens == len(engine._llm.tokenize(prompt.encode()))
    assert result.stats.seed == 1


def test_a_completion_ends_at_a_stop_string(engine: LlamaCppEngine) -> None:
    params = GenerationParams(temperature=0.0, max_tokens=30, seed=1, stop=(",",))
    result = engine.complete("Monday, Tuesday, Wednesday,", params, lambda _piece: None)
    assert result.text and "," not in result.text
    assert result.stats.finish_reason == "stop"


def test_a_completion_that_is_stopped_keeps_its_text(engine: LlamaCppEngine) -> None:
    cancel = CancelToken()
    pieces: list[str] = []

    def on_piece(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.cancel()

    result = engine.complete("Once upon a time", GenerationParams(temperature=0.0,
                                                                  max_tokens=100), on_piece,
                             cancel)
    assert result.cancelled
    assert result.text == "".join(pieces)


# -- tools ----------------------------------------------------------------------------------

def test_a_named_tool_choice_makes_one_call_whose_arguments_validate(
        tools_engine: LlamaCppEngine) -> None:
    assert tools_engine.model is not None and tools_engine.model.supports_tools
    params = GenerationParams(temperature=0.0, max_tokens=80, seed=1, tools=(SEARCH, WEATHER),
                              tool_choice="get_weather")
    pieces, result = ask(tools_engine, "What is the weather in Paris?", params)
    assert len(result.tool_calls) == 1
    call = result.tool_calls[0]
    assert call.name == "get_weather"
    assert call.id.startswith("call_")
    jsonschema.validate(json.loads(call.arguments), WEATHER_PARAMETERS)
    assert result.stats.finish_reason == "tool_calls"
    assert pieces == []
    assert result.text == ""


def test_a_required_tool_choice_calls_one_of_the_tools(tools_engine: LlamaCppEngine) -> None:
    params = GenerationParams(temperature=0.0, max_tokens=80, seed=1, tools=(SEARCH, WEATHER),
                              tool_choice="required")
    _, result = ask(tools_engine, "Find recent news about lamps.", params)
    assert len(result.tool_calls) == 1
    call = result.tool_calls[0]
    schema = json.loads({t.name: t.parameters for t in (SEARCH, WEATHER)}[call.name])
    jsonschema.validate(json.loads(call.arguments), schema)


def test_a_text_answer_with_tools_on_offer_streams_as_usual(
        tools_engine: LlamaCppEngine) -> None:
    params = GenerationParams(temperature=0.0, max_tokens=30, seed=1, tools=(WEATHER,))
    pieces, result = ask(tools_engine, "Say hello to Ada in one sentence.", params)
    assert result.tool_calls == ()
    assert len(pieces) > 3
    assert "".join(pieces) == result.text


def test_a_call_and_its_result_in_the_history_reach_the_model(
        tools_engine: LlamaCppEngine) -> None:
    call = ToolCall("call_1", "get_weather", '{"city": "Paris", "unit": "celsius"}')
    history = [ChatMessage("user", "What is the weather in Paris?"),
               ChatMessage("assistant", "", tool_calls=(call,)),
               ChatMessage("tool", '{"temperature": 21}', tool_call_id="call_1")]
    _, result = ask(tools_engine, history, GenerationParams(temperature=0.0, max_tokens=40,
                                                            seed=1, tools=(WEATHER,)))
    assert "21" in result.text


def test_tools_on_a_template_without_them_are_refused(engine: LlamaCppEngine) -> None:
    params = GenerationParams(max_tokens=5, tools=(WEATHER,), tool_choice="get_weather")
    with pytest.raises(UnsupportedRequestError) as caught:
        ask(engine, "What is the weather in Paris?", params)
    assert caught.value.param == "tools"
    assert "does not support tool calls" in str(caught.value)
    # Tools the model must not call need no support.
    none = GenerationParams(temperature=0.0, max_tokens=5, tools=(WEATHER,), tool_choice="none")
    assert ask(engine, "Say hello.", none)[1].stats.completion_tokens > 0


# -- embeddings -----------------------------------------------------------------------------

def test_a_model_that_declares_a_pooling_makes_unit_vectors(
        embedding_engine: LlamaCppEngine, embedding_path: Path) -> None:
    info = embedding_engine.model
    assert info is not None and info.embedding
    vectors, tokens = embedding_engine.embed(["a", "b"])
    assert len(vectors) == 2
    assert all(len(v) == read_header(embedding_path).n_embd for v in vectors)
    assert all(math.isclose(math.hypot(*v), 1.0, rel_tol=1e-5) for v in vectors)
    assert vectors[0] != vectors[1]
    assert tokens >= 2
    again, _ = embedding_engine.embed(["b"])
    assert again[0] == pytest.approx(vectors[1], abs=1e-5)


def test_an_embedding_model_cannot_chat(embedding_engine: LlamaCppEngine) -> None:
    with pytest.raises(UnsupportedRequestError) as caught:
        ask(embedding_engine, "Say hello.")
    assert caught.value.param == "model"
    assert "is an embedding model: it cannot chat" in str(caught.value)
    with pytest.raises(UnsupportedRequestError):
        embedding_engine.complete("Hello", GREEDY, lambda _piece: None)


def test_a_text_longer_than_the_context_is_a_context_overflow(
        embedding_engine: LlamaCppEngine) -> None:
    with pytest.raises(ContextOverflowError) as caught:
        embedding_engine.embed(["short", "lamp " * 400])
    assert caught.value.n_ctx == 256


def test_a_stop_before_embedding_makes_no_vectors(embedding_engine: LlamaCppEngine) -> None:
    cancel = CancelToken()
    cancel.cancel()
    assert embedding_engine.embed(["a", "b"], cancel) == ([], 0)


def test_a_chat_model_cannot_embed(engine: LlamaCppEngine) -> None:
    with pytest.raises(UnsupportedRequestError) as caught:
        engine.embed(["a"])
    assert caught.value.param == "model"
    assert "cannot make embeddings" in str(caught.value)
