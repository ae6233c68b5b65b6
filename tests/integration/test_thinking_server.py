"""A reasoning model through `lamplight serve`: the real server in a process of its own, the
official `openai` client, and another Lamplight's remote engine, on a copy of SmolLM2 whose
chat template opens `<think>` and takes Qwen3's `enable_thinking` (`tests.thinking_model`).

The 135M model never learned to think, so what it writes after the opened tag is ordinary
text, and it seldom closes the tag: the tests check where the text goes (`reasoning_content`
apart from `content`, the tags in neither, the thinking's tokens counted), never what it says.
Answers are short, greedy and seeded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import openai
import pytest

from app.core.chat.api import API_SOURCE
from app.core.chat.store import ConversationStore
from app.core.engine.base import ChatMessage, GenerationParams
from app.core.engine.connection import Connection, RemoteTarget
from app.core.engine.remote import RemoteEngine, remote_spec
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from tests.served_lamplight import lamplight_serve
from tests.thinking_model import with_template

pytestmark = [pytest.mark.integration, pytest.mark.model]

ASK = [{"role": "user", "content": "What is the capital of France?"}]
GREEDY: dict[str, Any] = {"max_tokens": 24, "seed": 7, "temperature": 0}
THINKING_OFF = {"chat_template_kwargs": {"enable_thinking": False}}
TAGS = ("<think>", "</think>")


@dataclass
class Serving:
    url: str  # ".../v1"
    model: str  # the thinking model's id
    data_dir: Path  # where the server saves API chats


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Iterator[Serving]:
    """`lamplight serve --model think.gguf` on a free port: n_ctx 2048, two threads, API
    chats saved."""
    root = tmp_path_factory.mktemp("thinking-serve")
    model = with_template(smollm2_path, root / "think.gguf")
    paths = AppPaths.under(root).ensure()
    settings = SettingsFile.load(paths.config_dir)
    settings.set("model.n_ctx", 2048)
    settings.set("hardware.n_threads", 2)
    settings.set("server.save_chats", True)
    settings.save()
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    with lamplight_serve(root, "--model", str(model), env=env) as url:
        listed = httpx.get(f"{url}/models", timeout=30).json()["data"]
        yield Serving(url, listed[0]["id"], paths.data_dir)  # serve --model's comes first


@pytest.fixture
def client(serving: Serving) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=serving.url, api_key="none", max_retries=0,
                       timeout=300) as made:
        yield made


def _reasoning(part: Any) -> str | None:
    """`reasoning_content` of a message or a delta: a field the client keeps as an extra."""
    extra = part.model_extra or {}
    value = extra.get("reasoning_content")
    assert value is None or isinstance(value, str)
    return value


def _stream(client: openai.OpenAI, model: str, **extra: Any) -> tuple[list[Any], Any]:
    """A streamed answer's deltas in order, and its usage."""
    chunks = list(client.chat.completions.create(
        model=model, messages=ASK, stream=True, stream_options={"include_usage": True},
        **GREEDY, **extra))
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    return deltas, chunks[-1].usage


def test_a_whole_answer_gives_its_thinking_as_reasoning_content(client: openai.OpenAI,
                                                                serving: Serving) -> None:
    whole = client.chat.completions.create(model=serving.model, messages=ASK,
                                           **GREEDY)
    message = whole.choices[0].message
    thinking = _reasoning(message)
    assert thinking and thinking.strip()
    content = message.content or ""
    assert thinking not in content
    for tag in TAGS:
        assert tag not in thinking and tag not in content
    usage = whole.usage
    assert usage is not None and usage.completion_tokens_details is not None
    reasoning_tokens = usage.completion_tokens_details.reasoning_tokens
    assert reasoning_tokens is not None and 0 < reasoning_tokens <= usage.completion_tokens

    # Saved as an API chat, the thinking apart from the answer.
    store = ConversationStore.open_in(serving.data_dir)
    try:
        saved = [s for s in store.list_conversations() if s.source == API_SOURCE]
        assert saved
        answer = store.load(max(s.id for s in saved)).last()
    finally:
        store.close()
    assert answer is not None and answer.role == "assistant"
    assert answer.thinking == thinking and answer.content == content


def test_a_stream_gives_thinking_and_answer_in_deltas_of_their_own(client: openai.OpenAI,
                                                                    serving: Serving) -> None:
    whole = client.chat.completions.create(model=serving.model, messages=ASK,
                                           **GREEDY)
    deltas, usage = _stream(client, serving.model)
    assert deltas[0].role == "assistant"
    kinds = []
    for delta in deltas[1:]:
        thinking, content = _reasoning(delta), delta.content
        assert not (thinking and content), delta  # each delta is one or the other
        if thinking:
            kinds.append("thinking")
        elif content:
            kinds.append("answer")
    assert kinds and kinds[0] == "thinking"
    assert kinds == sorted(kinds, key=lambda k: k == "answer")  # all the thinking comes first
    streamed_thinking = "".join(_reasoning(d) or "" for d in deltas)
    streamed_content = "".join(d.content or "" for d in deltas)
    for tag in TAGS:
        assert tag not in streamed_thinking and tag not in streamed_content
    # The same seed and prompt: the same text as the whole answer, split the same way.
    message = whole.choices[0].message
    assert streamed_thinking.strip() == (_reasoning(message) or "").strip()
    assert streamed_content == (message.content or "")
    assert usage is not None and usage.completion_tokens_details is not None
    assert whole.usage is not None and whole.usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == \
        whole.usage.completion_tokens_details.reasoning_tokens


def test_enable_thinking_false_answers_without_thinking(client: openai.OpenAI,
                                                         serving: Serving) -> None:
    whole = client.chat.completions.create(model=serving.model, messages=ASK,
                                           extra_body=THINKING_OFF, **GREEDY)
    message = whole.choices[0].message
    assert _reasoning(message) is None
    assert message.content and message.content.strip()
    assert "<think>" not in message.content
    assert whole.usage is not None and whole.usage.completion_tokens_details is None

    deltas, usage = _stream(client, serving.model, extra_body=THINKING_OFF)
    assert not any(_reasoning(d) for d in deltas)
    assert "".join(d.content or "" for d in deltas) == message.content
    assert usage is not None and usage.completion_tokens_details is None


def test_reasoning_effort_is_taken_and_bad_values_are_refused(client: openai.OpenAI,
                                                              serving: Serving) -> None:
    # SmolLM2's template reads no effort: the request is answered as without it.
    taken = client.chat.completions.create(model=serving.model, messages=ASK,
                                           reasoning_effort="low", **GREEDY)
    assert _reasoning(taken.choices[0].message)
    bad = [({"reasoning_effort": "max"}, "reasoning_effort"),
           ({"chat_template_kwargs": {"enable_thinking": "no"}},
            "chat_template_kwargs.enable_thinking"),
           ({"chat_template_kwargs": ["enable_thinking"]}, "chat_template_kwargs")]
    for body, param in bad:
        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(model=serving.model, messages=ASK,
                                           max_tokens=4, extra_body=body)
        error = refused.value.body
        assert isinstance(error, dict) and error.get("param") == param, error


def test_a_prompt_too_long_is_refused_with_its_status_though_the_template_opened_thinking(
        client: openai.OpenAI, serving: Serving) -> None:
    """The stream starts with the `<think>` the template wrote before the prompt is read; the
    headers wait for the first words all the same, so the client gets a 400, not a 200 with
    an error event."""
    too_long = [{"role": "user", "content": "word " * 3000}]
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=serving.model, messages=too_long,
                                       stream=True, max_tokens=4)
    assert refused.value.code == "context_length_exceeded"


def test_a_remote_engine_gets_the_answer_and_the_thinking_apart(serving: Serving) -> None:
    """Another Lamplight with this server as a connection: the stream's `reasoning_content`
    becomes thinking in its own `GenerationResult`, counted by the server's usage."""
    engine = RemoteEngine()
    engine.load(remote_spec(RemoteTarget(Connection("lamplight", serving.url), serving.model)))
    try:
        question = [ChatMessage("user", ASK[0]["content"])]
        pieces: list[str] = []
        params = GenerationParams(max_tokens=24, seed=7, temperature=0)
        result = engine.stream_chat(question, params, pieces.append)
        assert result.thinking.strip()
        assert result.thinking not in result.text
        for tag in TAGS:
            assert tag not in result.thinking and tag not in result.text
        assert "".join(pieces).startswith("<think>")  # the stream carries it as a local one
        details = engine.last_usage["completion_tokens_details"]
        assert 0 < result.stats.thinking_tokens == details["reasoning_tokens"]

        off = engine.stream_chat(question, GenerationParams(max_tokens=24, seed=7,
                                                            temperature=0, thinking=False),
                                 lambda _p: None)
        assert off.thinking == "" and off.text.strip()
        assert off.stats.thinking_tokens == 0
    finally:
        engine.unload()
