"""The local server with the official `openai` client against the real SmolLM2: what a program
pointed at `http://127.0.0.1:5757/v1` gets.

One server (one inference thread, one model) serves the module's tests; each test's requests
are its own. Errors are checked by status and OpenAI's error JSON; the raw ones (a body over the
limit, a Host header of another site) with httpx, as a browser or a script would send them.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import jsonschema
import openai
import pytest

from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.runner import EngineRunner
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from app.server.app import ServerConfig
from app.server.run import LocalServer, ServerStartError

pytestmark = [pytest.mark.model, pytest.mark.integration]
KEY = "test-key-0123456789"


class Served:
    def __init__(self, server: LocalServer, runner: EngineRunner, url: str) -> None:
        self.server = server
        self.runner = runner
        self.url = url
        self.clients: list[openai.OpenAI] = []

    def client(self) -> openai.OpenAI:
        """A client of its own (closed at the end of the module)."""
        client = openai.OpenAI(base_url=self.url, api_key="none", max_retries=0, timeout=120)
        self.clients.append(client)
        return client


def _settings(root: Path) -> SettingsFile:
    settings = SettingsFile.load(root / "config")
    settings.set("model.n_ctx", 2048)
    settings.set("hardware.n_threads", 2)
    return settings


def _start(tmp: Path, *, api_key: str | None = None, body_limit: int | None = None,
           window_engine: bool = False) -> tuple[LocalServer, EngineRunner]:
    paths = AppPaths.under(tmp)
    paths.ensure()
    runner = EngineRunner(LlamaCppEngine)
    server = LocalServer(runner, _settings(tmp), data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=window_engine)
    config = ServerConfig(port=0, api_key=api_key)
    if body_limit is not None:
        config = ServerConfig(port=0, api_key=api_key, body_limit=body_limit)
    server.start(config)
    return server, runner


def _stop(server: LocalServer, runner: EngineRunner) -> None:
    server.stop()
    runner.shutdown(last=lambda engine: engine.unload())


def _serving(root: Path) -> Iterator[Served]:
    """A module's server under `root`, its clients closed and it stopped after the tests."""
    server, runner = _start(root)
    assert server.address is not None
    served = Served(server, runner, server.address.url)
    yield served
    for client in served.clients:
        client.close()
    _stop(server, runner)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serving(tmp_path_factory.mktemp("served"))


ASK = [{"role": "user", "content": "Name three colours."}]


def test_models_lists_the_builtin_model_with_its_context(served: Served) -> None:
    models = served.client().models.list().data
    ids = [m.id for m in models]
    assert "builtin" in ids
    builtin = next(m for m in models if m.id == "builtin")
    assert builtin.owned_by == "lamplight"
    assert builtin.model_extra is not None and builtin.model_extra["context_length"] == 2048


def test_a_chat_completion_whole_and_streamed(served: Served) -> None:
    client = served.client()
    whole = client.chat.completions.create(model="builtin", messages=ASK, max_tokens=24,
                                           seed=7, temperature=0)
    assert whole.object == "chat.completion"
    choice = whole.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert whole.usage is not None and whole.usage.completion_tokens > 0
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens

    chunks = list(client.chat.completions.create(
        model="builtin", messages=ASK, max_tokens=24, seed=7, temperature=0, stream=True,
        stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == choice.message.content  # the same seed and prompt: the same answer
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    usage = chunks[-1].usage
    assert usage is not None and not chunks[-1].choices
    assert usage.completion_tokens == whole.usage.completion_tokens
    # The same prompt again: its tokens were kept from the request before.
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens > 0


def test_a_stream_ends_with_done(served: Served) -> None:
    body = {"model": "builtin", "messages": ASK, "max_tokens": 8, "stream": True}
    with httpx.stream("POST", f"{served.url}/chat/completions", json=body, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    assert json.loads(lines[0][6:])["object"] == "chat.completion.chunk"


def test_the_same_seed_gives_the_same_answer(served: Served) -> None:
    client = served.client()

    def ask(seed: int) -> str | None:
        return client.chat.completions.create(
            model="builtin", messages=[{"role": "user", "content": "Tell me a story."}],
            max_tokens=30, temperature=1.0, seed=seed).choices[0].message.content

    first = ask(1234)
    assert ask(1234) == first
    assert any(ask(seed) != first for seed in (1, 2, 3))


def test_stop_sequences_end_the_answer_before_them(served: Served) -> None:
    client = served.client()
    messages = [{"role": "user", "content": "Count from 1 to 10, separated by commas."}]
    full = client.chat.completions.create(model="builtin", messages=messages, max_tokens=40,
                                          temperature=0).choices[0].message.content
    assert full is not None and "4" in full
    cut = client.chat.completions.create(model="builtin", messages=messages, max_tokens=40,
                                         temperature=0, stop=["4"]).choices[0]
    assert cut.finish_reason == "stop"
    assert cut.message.content == full[:full.index("4")]


PERSON = {"type": "object",
          "properties": {"name": {"type": "string", "maxLength": 20},
                         "age": {"type": "integer", "minimum": 0, "maximum": 150}},
          "required": ["name", "age"], "additionalProperties": False}


def test_json_schema_output_parses_and_matches(served: Served) -> None:
    reply = served.client().chat.completions.create(
        model="builtin", max_tokens=80, temperature=0.5, seed=3,
        messages=[{"role": "user", "content": "Make up a person with a name and an age."}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "person", "schema": PERSON, "strict": True}})
    content = reply.choices[0].message.content
    assert content is not None
    jsonschema.validate(json.loads(content), PERSON)


def test_json_object_output_is_an_object(served: Served) -> None:
    reply = served.client().chat.completions.create(
        model="builtin", max_tokens=60, temperature=0, response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Give me a JSON object with a colour."}])
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)


def test_text_completion(served: Served) -> None:
    reply = served.client().completions.create(model="builtin", prompt="The capital of France is",
                                               max_tokens=8, temperature=0)
    assert reply.object == "text_completion"
    assert reply.choices[0].text
    assert reply.usage is not None and reply.usage.prompt_tokens >= 5


def test_embeddings_refused_for_a_chat_model(served: Served) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        served.client().embeddings.create(model="builtin", input="hello")
    error = caught.value.body
    assert isinstance(error, dict) and error["param"] == "model"
    assert "embedding" in error["message"]


def test_errors_come_in_openais_shape(served: Served) -> None:
    client = served.client()
    with pytest.raises(openai.NotFoundError) as not_found:
        client.chat.completions.create(model="no-such-model", messages=ASK)
    assert not_found.value.code == "model_not_found"
    assert isinstance(not_found.value.body, dict) and not_found.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as bad_role:
        client.chat.completions.create(model="builtin",
                                       messages=[{"role": "wizard", "content": "hi"}])
    assert isinstance(bad_role.value.body, dict)
    assert bad_role.value.body["param"] == "messages.0.role"
    with pytest.raises(openai.BadRequestError) as bad_temp:
        client.chat.completions.create(model="builtin", messages=ASK, temperature=7)
    assert isinstance(bad_temp.value.body, dict) and bad_temp.value.body["param"] == "temperature"
    r = httpx.post(f"{served.url}/chat/completions", content=b"{not json", timeout=10,
                   headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    deep = b"[" * 100_000 + b"]" * 100_000
    r = httpx.post(f"{served.url}/chat/completions", content=deep, timeout=10)
    assert r.status_code == 400 and set(r.json()["error"]) == {"message", "type", "param", "code"}
    long = "word " * 5000  # past the 2,048-token context
    with pytest.raises(openai.BadRequestError) as overflow:
        client.chat.completions.create(model="builtin", messages=[{"role": "user",
                                                                   "content": long}])
    assert overflow.value.code == "context_length_exceeded"
    # The server is still there, and answers.
    assert client.chat.completions.create(model="builtin", messages=ASK,
                                          max_tokens=4).choices[0].message.content


def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    server, runner = _start(tmp_path, body_limit=1024 * 1024)
    try:
        assert server.address is not None
        url = server.address.url
        big = json.dumps({"model": "builtin",
                          "messages": [{"role": "user", "content": "x" * 2_000_000}]})
        r = httpx.post(f"{url}/chat/completions", content=big, timeout=30,
                       headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "request_too_large"

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(40):
                yield b" " * 65536

        r = httpx.post(f"{url}/chat/completions", content=chunked(), timeout=30)
        assert r.status_code == 413
    finally:
        _stop(server, runner)


def test_an_api_key_is_required_when_set(tmp_path: Path) -> None:
    server, runner = _start(tmp_path, api_key=KEY)
    try:
        assert server.address is not None
        url = server.address.url
        with (openai.OpenAI(base_url=url, api_key="wrong", max_retries=0) as wrong,
              pytest.raises(openai.AuthenticationError) as missing):
            wrong.models.list()
        assert missing.value.status_code == 401
        assert httpx.get(f"{url}/models", timeout=10).status_code == 401
        with openai.OpenAI(base_url=url, api_key=KEY) as right:
            assert right.models.list().data
    finally:
        _stop(server, runner)


def test_other_addresses_need_a_key(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    runner = EngineRunner(LlamaCppEngine)
    server = LocalServer(runner, _settings(tmp_path), data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False)
    try:
        with pytest.raises(ServerStartError, match="without an API key"):
            server.start(ServerConfig(host="0.0.0.0", port=0))
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ServerStartError, match="in use"):
            server.start(ServerConfig(port=taken.getsockname()[1]))
        taken.close()
    finally:
        runner.shutdown()


def test_a_host_header_of_another_site_is_refused(served: Served) -> None:
    """DNS rebinding: a page at evil.example whose name now points at 127.0.0.1."""
    r = httpx.get(f"{served.url}/models", headers={"host": "evil.example:5757"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_host"
    for host in ("localhost:1", "127.0.0.1", "[::1]:5757"):
        assert httpx.get(f"{served.url}/models", headers={"host": host},
                         timeout=10).status_code == 200, host


def test_no_cors_unless_origins_are_listed(served: Served) -> None:
    r = httpx.options(f"{served.url}/chat/completions", timeout=10,
                      headers={"origin": "https://evil.example",
                               "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_a_client_gone_mid_stream_frees_the_engine_at_once(served: Served) -> None:
    body = {"model": "builtin", "max_tokens": 2000, "stream": True, "temperature": 1,
            "messages": [{"role": "user", "content": "Write a very long story."}]}
    with httpx.stream("POST", f"{served.url}/chat/completions", json=body, timeout=60) as r:
        seen = 0
        for line in r.iter_lines():
            seen += line.startswith("data: ")
            if seen >= 5:
                break
    gone = time.monotonic()
    # The engine is free as soon as the stop is seen at the next token (the cancelled answer's
    # 2,000 tokens would take 15 s here): the issue asks for within a second.
    while served.runner.busy_lane is not None and time.monotonic() - gone < 10:
        time.sleep(0.01)
    freed_in = time.monotonic() - gone
    client = served.client()
    reply = client.chat.completions.create(model="builtin", messages=ASK, max_tokens=1)
    assert reply.choices[0].message.content is not None
    assert freed_in < 1.0, f"the engine was still busy {freed_in:.2f} s after the disconnect"
    deadline = time.monotonic() + 5
    while served.server.activity.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served.server.activity.in_flight == 0


def test_eight_clients_at_once_get_whole_separate_answers(served: Served) -> None:
    prompts = [f"Repeat exactly: token{i} token{i} token{i}" for i in range(8)]
    answers: dict[int, str] = {}
    errors: list[BaseException] = []

    def ask(i: int) -> None:
        try:
            stream = served.client().chat.completions.create(
                model="builtin", messages=[{"role": "user", "content": prompts[i]}],
                max_tokens=24, temperature=0, stream=True)
            answers[i] = "".join(c.choices[0].delta.content or "" for c in stream
                                 if c.choices)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors
    assert sorted(answers) == list(range(8))
    # Each answer is the one that prompt gets alone (greedy): nothing of another's in it.
    client = served.client()
    for i in (0, 5):
        alone = client.chat.completions.create(
            model="builtin", messages=[{"role": "user", "content": prompts[i]}],
            max_tokens=24, temperature=0).choices[0].message.content
        assert answers[i] == alone


def test_a_full_queue_is_503_with_retry_after(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    runner = EngineRunner(LlamaCppEngine)
    server = LocalServer(runner, _settings(tmp_path), data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False)
    release, busy = threading.Event(), threading.Event()
    try:
        server.start(ServerConfig(port=0, max_waiting=1))
        assert server.address is not None
        url = f"{server.address.url}/chat/completions"
        runner.submit("api", lambda _e: (busy.set(), release.wait(30)))  # the engine is busy
        assert busy.wait(10)
        body = {"model": "builtin", "messages": ASK, "max_tokens": 2}
        waiting = threading.Thread(target=httpx.post, args=(url,),
                                   kwargs={"json": body, "timeout": 60})
        waiting.start()
        deadline = time.monotonic() + 10
        while runner.waiting("api") < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        r = httpx.post(url, json=body, timeout=10)
        assert r.status_code == 503
        assert r.headers["retry-after"] == "2"
        assert r.json()["error"]["code"] == "queue_full"
        release.set()
        waiting.join(60)
        assert httpx.post(url, json=body, timeout=60).status_code == 200
    finally:
        release.set()
        _stop(server, runner)


def test_a_request_loads_the_installed_model_it_names_and_an_idle_one_is_freed(
        tmp_path: Path, gemma_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    (paths.models_dir / "gemma-270m.gguf").symlink_to(gemma_path)
    settings = _settings(tmp_path)
    settings.set("server.save_chats", True)
    runner = EngineRunner(LlamaCppEngine)
    server = LocalServer(runner, settings, data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False)
    try:
        server.start(ServerConfig(port=0))
        assert server.address is not None
        with openai.OpenAI(base_url=server.address.url, api_key="x", max_retries=0) as client:
            assert {m.id for m in client.models.list().data} >= {"builtin", "gemma-270m"}
            for model in ("gemma-270m", "builtin"):
                reply = client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": f"Hello {model}"}],
                    max_tokens=6, temperature=0)
                assert reply.model == model
                assert reply.choices[0].message.content is not None
        loaded = runner.call("api", lambda e: e.model.name if e.model else None)
        assert loaded is not None and "135" in loaded
        assert runner.call("api", lambda e: server.served.unload_if_idle(e, 0))
        assert runner.call("api", lambda e: e.model) is None
        # Save API chats: both exchanges are in the history, marked as the API's.
        from app.core.chat.store import ConversationStore

        store = ConversationStore.open_in(paths.data_dir)
        try:
            chats = store.list_conversations()
            assert {c.source for c in chats} == {"api"} and len(chats) == 2
            chat = store.load(chats[0].id)
            assert [m.role for m in chat.path()] == ["user", "assistant"]
        finally:
            store.close()
    finally:
        _stop(server, runner)


def test_api_chats_are_not_saved_unless_asked(served: Served, tmp_path: Path) -> None:
    served.client().chat.completions.create(model="builtin", messages=ASK, max_tokens=2)
    assert not (served.server.service._data_dir / "chats.db").exists()


def test_lamplight_serve_prints_its_address_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    args = [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "serve", "--port", "0",
            "--model", "builtin"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as process:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        with openai.OpenAI(base_url=url, api_key="x", max_retries=0) as client:
            reply = client.chat.completions.create(model="builtin", messages=ASK, max_tokens=4)
            assert reply.choices[0].message.content is not None
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        assert "Traceback" not in process.stderr.read()
    refused = subprocess.run([*args[:-5], "serve", "--host", "0.0.0.0", "--port", "0"],
                             capture_output=True, text=True, env=env, timeout=60, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("lamplight: error: refusing to listen on 0.0.0.0")


WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city",
    "parameters": {"type": "object",
                   "properties": {"city": {"type": "string"},
                                  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"]}}}


@pytest.fixture(scope="module")
def special(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Iterator[Served]:
    """A server whose models folder holds SmolLM2 with a template that reads tools, and SmolLM2
    declaring mean pooling (an embedding model)."""
    from tests.gguffiles import TOOLS_TEMPLATE, with_metadata

    root = tmp_path_factory.mktemp("special")
    models = AppPaths.under(root).models_dir
    models.mkdir(parents=True)
    with_metadata(smollm2_path, models / "smollm2-tools.gguf",
                  strings={"tokenizer.chat_template": TOOLS_TEMPLATE})
    with_metadata(smollm2_path, models / "smollm2-embed.gguf", u32s={"llama.pooling_type": 1})
    yield from _serving(root)


def test_a_named_tool_choice_returns_a_tool_call(special: Served) -> None:
    client = special.client()
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    reply = client.chat.completions.create(
        model="smollm2-tools", messages=messages, tools=[WEATHER], max_tokens=60,  # type: ignore[list-item]
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, temperature=0)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    call = calls[0]
    assert call.type == "function" and call.function.name == "get_weather"  # type: ignore[union-attr]
    jsonschema.validate(json.loads(call.function.arguments),  # type: ignore[union-attr]
                        WEATHER["function"]["parameters"])  # type: ignore[index]
    # The call and its result go back; the model answers in words.
    follow = client.chat.completions.create(
        model="smollm2-tools", max_tokens=30, temperature=0, tools=[WEATHER],  # type: ignore[list-item]
        messages=[*messages, choice.message.model_dump(exclude_none=True),  # type: ignore[list-item]
                  {"role": "tool", "tool_call_id": call.id, "content": "18 degrees, sunny"}])
    assert follow.choices[0].message.content

    streamed = list(client.chat.completions.create(
        model="smollm2-tools", messages=messages, tools=[WEATHER], max_tokens=60,  # type: ignore[list-item]
        tool_choice="required", temperature=0, stream=True))
    deltas = [c.choices[0].delta for c in streamed if c.choices and c.choices[0].delta.tool_calls]
    assert len(deltas) == 1
    streamed_call = deltas[0].tool_calls[0]  # type: ignore[index]
    assert streamed_call.function is not None and streamed_call.function.name == "get_weather"
    assert [c.choices[0].finish_reason for c in streamed if c.choices][-1] == "tool_calls"


def test_tools_on_a_template_without_them_are_a_400(special: Served) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        special.client().chat.completions.create(
            model="builtin", messages=ASK, tools=[WEATHER], max_tokens=8)  # type: ignore[list-item]
    assert isinstance(caught.value.body, dict) and caught.value.body["param"] == "tools"


def test_embeddings_from_an_embedding_model(special: Served) -> None:
    client = special.client()
    listed = {m.id: m for m in client.models.list().data}
    assert listed["smollm2-embed"].model_extra is not None
    assert listed["smollm2-embed"].model_extra["type"] == "embeddings"
    result = client.embeddings.create(model="smollm2-embed",
                                      input=["a cat sat on the mat", "quarterly tax report"])
    vectors = [d.embedding for d in result.data]
    assert [d.index for d in result.data] == [0, 1]
    assert len(vectors[0]) == len(vectors[1]) == 576
    for v in vectors:
        assert abs(sum(x * x for x in v) - 1) < 1e-3
    assert vectors[0] != vectors[1]
    assert result.usage.prompt_tokens > 0
    # base64: little-endian float32s, as OpenAI sends them
    encoded = client.embeddings.create(model="smollm2-embed", input="a cat sat on the mat",
                                       encoding_format="base64")
    raw = base64.b64decode(str(encoded.data[0].embedding))
    assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == pytest.approx(vectors[0],
                                                                           abs=1e-6)
    with pytest.raises(openai.BadRequestError) as chat:
        client.chat.completions.create(model="smollm2-embed", messages=ASK, max_tokens=4)
    assert isinstance(chat.value.body, dict) and chat.value.body["param"] == "model"


def test_stopping_the_server_ends_the_answers_in_flight(tmp_path: Path) -> None:
    server, runner = _start(tmp_path)
    try:
        assert server.address is not None
        url = f"{server.address.url}/chat/completions"
        body = {"model": "builtin", "max_tokens": 2000, "stream": True, "temperature": 1,
                "messages": [{"role": "user", "content": "Write a very long story."}]}
        streaming = threading.Event()
        outcome: list[object] = []

        def read() -> None:
            try:
                with httpx.stream("POST", url, json=body, timeout=60) as r:
                    for line in r.iter_lines():
                        if line.startswith("data: "):
                            streaming.set()
                            if "shutting_down" in line:
                                outcome.append("told")
                outcome.append("ended")
            except httpx.HTTPError as exc:  # the connection closed under it
                outcome.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        assert streaming.wait(60)
        t0 = time.monotonic()
        server.stop()
        stopped_in = time.monotonic() - t0
        reader.join(30)
        assert outcome[0] == "told", outcome  # an error event: the server is shutting down
        assert server.activity.in_flight == 0
        assert runner.call("api", lambda _e: "free") == "free"
        # 2,000 tokens would take ~15 s; the answer ended at its next token instead.
        assert stopped_in < 10
    finally:
        _stop(server, runner)


def test_a_model_may_be_named_as_the_window_shows_it(served: Served) -> None:
    reply = served.client().chat.completions.create(
        model="SmolLM2 135M Instruct", messages=ASK, max_tokens=2)
    assert reply.model == "builtin"
