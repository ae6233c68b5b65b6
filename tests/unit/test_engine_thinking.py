"""The llama.cpp engine on a reasoning model: the real SmolLM2 under a chat template that opens
`<think>` (tests/thinking_model.py), and under one that fails to render."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.chat.conversation import Conversation, Message
from app.core.engine import ChatMessage, GenerationParams, LoadSpec
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.thinking import OPEN
from tests.thinking_model import THINKING_TEMPLATE, with_template

pytestmark = [pytest.mark.model]

PARAMS = GenerationParams(temperature=0.0, max_tokens=24, seed=1)
QUESTIONS = ("What is 2+2?", "And 3+3?", "Name a colour.")


@pytest.fixture(scope="module")
def thinking_model(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_template(smollm2_path, tmp_path_factory.mktemp("think") / "think.gguf")


@pytest.fixture(scope="module")
def engine(thinking_model: Path) -> Iterator[LlamaCppEngine]:
    engine = LlamaCppEngine()
    engine.load(LoadSpec(path=thinking_model, n_ctx=1024, n_threads=2))
    yield engine
    engine.unload()


def test_the_model_is_told_a_reasoning_one_with_a_switch(engine: LlamaCppEngine) -> None:
    model = engine.model
    assert model is not None and model.reasons and model.thinking_switch
    assert not model.effort_choice


def test_a_template_that_opens_the_tag_gives_thinking_apart(engine: LlamaCppEngine) -> None:
    pieces: list[str] = []
    result = engine.stream_chat([ChatMessage("user", QUESTIONS[0])], PARAMS, pieces.append)
    assert pieces[0] == OPEN  # the stream says the model thinks, as the template made it
    assert result.thinking.strip() and OPEN not in result.thinking
    assert result.text == "" or result.text not in result.thinking
    stats = result.stats
    assert 0 < stats.thinking_tokens <= stats.completion_tokens
    assert stats.thinking_s > 0


def test_thinking_off_answers_at_once(engine: LlamaCppEngine) -> None:
    pieces: list[str] = []
    result = engine.stream_chat([ChatMessage("user", QUESTIONS[0])],
                                GenerationParams(temperature=0.0, max_tokens=24, seed=1,
                                                 thinking=False), pieces.append)
    assert result.text.strip() and result.thinking == ""
    assert result.stats.thinking_tokens == 0 and OPEN not in "".join(pieces)


# SmolLM2 never learned to close its thinking: a grammar (a JSON string of this pattern) makes
# it write some thinking, the closing tag, then an answer, so that the chat has both.
THINK_THEN_ANSWER = GenerationParams(
    temperature=0.0, max_tokens=60, seed=1, json_schema=json.dumps(
        {"type": "string", "pattern": "^[A-Za-z ,.]{8,60}</think>[A-Za-z0-9 ,.]{2,40}$"}))


def test_three_turns_send_none_of_the_thinking_back(engine: LlamaCppEngine) -> None:
    """Each turn's prompt holds the earlier answers and none of their thinking: the prompt's
    token count is that of the template rendered with the answers alone, fewer than with
    the thinking."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = engine._llm
    eos, bos = llm._model.token_get_text(llm.token_eos()), llm._model.token_get_text(
        llm.token_bos())
    render = Jinja2ChatFormatter(THINKING_TEMPLATE, eos, bos)
    chat = Conversation()
    parent = None
    thoughts: list[str] = []
    for question in QUESTIONS:
        asked = chat.add(Message("user", question, parent_id=parent))
        messages = chat.chat_messages()
        result = engine.stream_chat(messages, THINK_THEN_ANSWER, lambda _p: None)
        assert result.thinking and result.text  # it thought (the template opened the tag)
        assert "</think>" not in result.text + result.thinking
        thoughts.append(result.thinking)
        dicts = [{"role": m.role, "content": m.content} for m in messages]
        assert not any(t in d["content"] for t in thoughts[:-1] for d in dicts)
        prompt = render(messages=dicts).prompt
        expected = len(llm.tokenize(prompt.encode(), add_bos=False, special=True))
        with_thinking = render(messages=[
            {**d, "content": f"<think>{thoughts[i // 2]}</think>{d['content']}"}
            if d["role"] == "assistant" else d for i, d in enumerate(dicts)]).prompt
        assert result.stats.prompt_tokens == expected
        if len(thoughts) > 1:
            assert len(llm.tokenize(with_thinking.encode(), add_bos=False, special=True)) \
                > expected
        answer = chat.add(Message("assistant", result.text, parent_id=asked.id,
                                  thinking=result.thinking, stats=result.stats))
        parent = answer.id


def test_a_template_that_fails_falls_back_with_a_warning(smollm2_path: Path,
                                                         tmp_path: Path) -> None:
    broken = with_template(smollm2_path, tmp_path / "broken.gguf",
                           "{{ raise_exception('this template cannot render ' + "
                           "messages[0]['role']) }}")
    engine = LlamaCppEngine()
    try:
        engine.load(LoadSpec(path=broken, n_ctx=1024, n_threads=2))
        result = engine.stream_chat([ChatMessage("user", "Hi!")], PARAMS, lambda _p: None)
    finally:
        engine.unload()
    assert result.text.strip()  # answered, in the generic format
    assert "this template cannot render user" in result.warning
    assert "chatml" in result.warning and "\n" not in result.warning
