"""The remote engine against a scripted server (`tests/remote_standin.py`): busy answers tried
again within bounds, refusals, a server that is not OpenAI-compatible, streams that break, a
server that never answers, hostile names, and the proxy from the environment. Every failure is
one line for the user."""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from app.core.engine import remote
from app.core.engine.base import ChatMessage, GenerationParams, ModelLoadError
from app.core.engine.cancel import CancelToken
from app.core.engine.connection import Connection, RemoteTarget, normalize_url
from app.core.engine.remote import (
    AnswerInterruptedError,
    RemoteAuthError,
    RemoteEngine,
    RemoteError,
    list_models,
    remote_spec,
    retry_after,
)
from tests.remote_standin import MODEL, Hang, RemoteStandIn, Reply, Stream

ASK = [ChatMessage("user", "Hi")]
PARAMS = GenerationParams(max_tokens=8, seed=1)
CHAT = "/v1/chat/completions"


@pytest.fixture
def standin() -> Iterator[RemoteStandIn]:
    with RemoteStandIn() as server:
        yield server


_ENGINES: list[RemoteEngine] = []


@pytest.fixture(autouse=True)
def _unload_engines() -> Iterator[None]:
    """Each test's engines are unloaded after it: their connections closed."""
    yield
    while _ENGINES:
        _ENGINES.pop().unload()


def connection(url: str, **kwargs: object) -> Connection:
    return Connection("box", url, **kwargs)  # type: ignore[arg-type]


def loaded(server: RemoteStandIn, **kwargs: object) -> RemoteEngine:
    engine = RemoteEngine()
    _ENGINES.append(engine)
    engine.load(remote_spec(RemoteTarget(connection(server.url, **kwargs), MODEL)))
    return engine


def ask(engine: RemoteEngine, cancel: CancelToken | None = None) -> tuple[str, list[str]]:
    pieces: list[str] = []
    result = engine.stream_chat(ASK, PARAMS, pieces.append, cancel)
    return result.text, pieces


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message and "\n" not in message and "\r" not in message, message
    return message


def closed_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# -- the stand-in answers as a server does -------------------------------------------------

def test_a_scripted_server_loads_and_answers(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    assert engine.model is not None and engine.model.is_remote
    assert not engine.model.tokens_estimated  # its /tokenize counts
    assert engine.count_tokens("one two three") == 3
    result = engine.stream_chat(ASK, PARAMS, lambda _p: None)
    assert result.text == "Hello world" and result.stats.finish_reason == "stop"
    assert result.stats.prompt_tokens == 7 and result.stats.completion_tokens == 2
    body = standin.requests(CHAT)[-1].body
    assert body["stream"] is True and body["model"] == MODEL and body["seed"] == 1


# -- busy, refused, not OpenAI ------------------------------------------------------------

def test_a_429_is_tried_again_after_retry_after(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Reply(429, {"error": {"message": "slow down"}},
                               headers={"Retry-After": "0"}))
    text, _ = ask(engine)
    assert text == "Hello world"
    assert len(standin.requests(CHAT)) == 2


def test_a_503_forever_is_tried_a_bounded_number_of_times(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.always(CHAT, Reply(503, {"error": {"message": "Loading model"}},
                               headers={"Retry-After": "0"}))
    with pytest.raises(RemoteError) as caught:
        ask(engine)
    assert "answered 503: Loading model" in one_line(caught.value)
    assert len(standin.requests(CHAT)) == remote.MAX_RETRIES + 1


def test_a_stop_during_the_wait_before_a_retry_returns_at_once(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.always(CHAT, Reply(503, headers={"Retry-After": "30"}))
    cancel = CancelToken()
    timer = _later(0.2, cancel.cancel)
    t0 = time.perf_counter()
    result = engine.stream_chat(ASK, PARAMS, lambda _p: None, cancel)
    timer.join()
    assert result.stats.finish_reason == "cancelled"
    assert time.perf_counter() - t0 < 5


def test_a_refused_key_at_load_is_an_auth_error(standin: RemoteStandIn) -> None:
    standin.always("/v1/models", Reply(401, {"error": {"message": "Invalid API Key"}}))
    with pytest.raises(RemoteAuthError) as caught:
        loaded(standin, api_key="wrong-key")
    message = one_line(caught.value)
    assert isinstance(caught.value, ModelLoadError)  # what a load's callers catch
    assert "refused the API key (401: Invalid API Key)" in message
    assert "wrong-key" not in message
    assert standin.requests("/v1/models")[0].headers["authorization"] == "Bearer wrong-key"


def test_a_refused_key_during_an_answer_is_an_auth_error(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Reply(403, "forbidden", content_type="text/plain"))
    with pytest.raises(RemoteAuthError) as caught:
        ask(engine)
    assert "refused the API key (403)" in one_line(caught.value)


def test_html_instead_of_json_is_not_an_openai_server(standin: RemoteStandIn) -> None:
    standin.always("/v1/models", Reply(200, "<!doctype html><html><body>Welcome</body></html>",
                                       content_type="text/html; charset=utf-8"))
    with pytest.raises(RemoteError) as caught:
        list_models(connection(standin.url))
    message = one_line(caught.value)
    assert "does not answer as an OpenAI-compatible server" in message
    assert "gave text/html, not JSON" in message
    with pytest.raises(ModelLoadError, match="not answer as an OpenAI-compatible") as at_load:
        loaded(standin)
    one_line(at_load.value)


def test_an_html_page_for_a_chat_is_not_an_openai_server(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Reply(200, "<html><body>Sign in</body></html>",
                               content_type="text/html"))
    with pytest.raises(RemoteError) as caught:
        ask(engine)
    assert not isinstance(caught.value, AnswerInterruptedError)
    assert "OpenAI-compatible" in one_line(caught.value)


def test_an_unknown_model_names_those_the_server_has(standin: RemoteStandIn) -> None:
    engine = RemoteEngine()
    _ENGINES.append(engine)
    with pytest.raises(ModelLoadError) as caught:
        engine.load(remote_spec(RemoteTarget(connection(standin.url), "nope")))
    assert f"has no model 'nope' (it has: {MODEL})" in one_line(caught.value)


def test_control_characters_in_model_ids_are_shown_cleaned(standin: RemoteStandIn) -> None:
    standin.models = [{"id": "evil\x1b[31m\nmodel\u202e", "owned_by": "x\r\ny"},
                      {"id": "x" * 5000}, {"id": 42}, {"id": "   "}, "junk"]
    models = list_models(connection(standin.url))
    assert [m.id for m in models] == ["evil?[31m?model?", "x" * 200]
    assert models[0].owned_by == "x??y"
    with pytest.raises(ModelLoadError) as caught:
        loaded(standin)
    assert "evil?[31m?model?" in one_line(caught.value)
    assert "\x1b" not in str(caught.value)


# -- streams that break, servers that never answer ----------------------------------------

def test_a_stream_that_ends_without_done_mid_answer_keeps_the_text(
        standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Stream(("Once", " upon"), finish=None, usage=False, done=False))
    with pytest.raises(AnswerInterruptedError) as caught:
        ask(engine)
    assert caught.value.partial == "Once upon"
    assert "ended before the answer did; what came is kept" in one_line(caught.value)


def test_a_connection_that_breaks_mid_answer_keeps_the_text(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Stream(("Once", " upon", " a"), cut=True))
    pieces: list[str] = []
    with pytest.raises(AnswerInterruptedError) as caught:
        engine.stream_chat(ASK, PARAMS, pieces.append)
    assert caught.value.partial == "Once upon a" == "".join(pieces)
    assert "broke during the answer" in one_line(caught.value)


def test_a_stream_ending_with_its_finish_but_no_done_is_complete(
        standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Stream(("Done", "."), finish="length", usage=False, done=False))
    result = engine.stream_chat(ASK, PARAMS, lambda _p: None)
    assert result.text == "Done." and result.stats.finish_reason == "length"


def test_an_oversize_event_is_refused(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Stream(("Hi",), raw=b"data: " + b"x" * (remote.MAX_LINE_BYTES + 10)))
    with pytest.raises(AnswerInterruptedError) as caught:  # mid-answer: what came is kept
        ask(engine)
    assert "over 1 MB" in one_line(caught.value) and caught.value.partial == "Hi"


def test_an_error_event_mid_answer_keeps_the_text(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    error = b'data: {"error": {"message": "slot evicted"}}\n\n'
    standin.script(CHAT, Stream(("Once", " upon"), raw=error, cut=True))
    with pytest.raises(AnswerInterruptedError) as caught:
        ask(engine)
    assert caught.value.partial == "Once upon"
    assert "slot evicted" in one_line(caught.value) and "kept" in one_line(caught.value)


def test_an_answer_read_at_once_takes_the_servers_own_time() -> None:
    timings = {"predicted_ms": 250.0, "predicted_n": 20.0}
    assert remote._generation_s(0.4, 20, timings) == 0.4  # seen arriving: as seen
    assert remote._generation_s(0.0, 20, timings) == 0.25  # in one read: the server's
    assert remote._generation_s(0.0, 20, {}) == 0.0  # no speed rather than a made-up one
    assert remote._generation_s(0.0, 20, {"predicted_ms": -5.0}) == 0.0
    assert remote._generation_s(0.3, 1, timings) == 0.0  # one token has no speed


def test_a_server_that_never_answers_times_out(standin: RemoteStandIn,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "READ_TIMEOUT_S", 1.0)
    engine = loaded(standin)
    standin.script(CHAT, Hang())
    t0 = time.perf_counter()
    with pytest.raises(RemoteError) as caught:
        ask(engine)
    assert time.perf_counter() - t0 < 10
    assert "sent nothing for 1 s" in one_line(caught.value)


def test_a_listing_that_never_comes_says_how_long_it_waited(standin: RemoteStandIn) -> None:
    standin.script("/v1/models", Hang())
    server = remote.Server(connection(standin.url))
    try:
        with pytest.raises(RemoteError) as caught:
            server.get_json(f"{standin.url}/models", timeout=1.0)
    finally:
        server.close()
    assert "sent nothing for 1 s" in one_line(caught.value)  # not the answers' 300 s


def test_a_stop_while_the_server_says_nothing_returns_at_once(standin: RemoteStandIn) -> None:
    engine = loaded(standin)
    standin.script(CHAT, Hang())
    cancel = CancelToken()
    timer = _later(0.3, cancel.cancel)
    t0 = time.perf_counter()
    result = engine.stream_chat(ASK, PARAMS, lambda _p: None, cancel)
    timer.join()
    assert result.stats.finish_reason == "cancelled" and result.text == ""
    assert time.perf_counter() - t0 < 5


def test_a_closed_port_is_unreachable() -> None:
    with pytest.raises(RemoteError) as caught:
        list_models(connection(closed_url()))
    message = one_line(caught.value)
    assert message.startswith("Cannot reach 'box' (http://127.0.0.1:")
    assert "Is the server running" in message


# -- what the server says, read defensively -------------------------------------------------

def test_retry_after_reads_seconds_and_dates_within_bounds() -> None:
    assert retry_after("0") == 0.0
    assert retry_after("5") == 5.0
    assert retry_after("-3") == 0.0
    assert retry_after("86400") == remote.MAX_RETRY_WAIT_S
    assert retry_after("inf") == remote.MAX_RETRY_WAIT_S
    assert retry_after("1e400") == remote.MAX_RETRY_WAIT_S
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8.0 <= retry_after(in_ten) <= 10.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # past
    assert retry_after("Fri, 31 Dec 9999 23:59:59 GMT") == remote.MAX_RETRY_WAIT_S
    for garbage in (None, "", " ", "soon", "nan", "Mon, 99 Foo 2015", "0x10", "\x00"):
        assert retry_after(garbage) == remote.DEFAULT_RETRY_WAIT_S, garbage


def test_a_garbage_retry_after_waits_the_default(standin: RemoteStandIn,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "DEFAULT_RETRY_WAIT_S", 0.0)
    engine = loaded(standin)
    standin.script(CHAT, Reply(429, headers={"Retry-After": "after lunch"}))
    assert ask(engine)[0] == "Hello world"


@pytest.mark.parametrize(("typed", "url"), [
    ("gpu-box:8080", "http://gpu-box:8080/v1"),
    ("  http://h:11434/v1/  ", "http://h:11434/v1"),
    ("https://api.example.com", "https://api.example.com/v1"),
    ("https://api.example.com/", "https://api.example.com/v1"),
    ("http://h/openai/v1", "http://h/openai/v1"),
    ("http://[::1]:8080", "http://[::1]:8080/v1"),
    ("localhost:5757/v1?x=1#frag", "http://localhost:5757/v1"),
])
def test_normalize_url(typed: str, url: str) -> None:
    assert normalize_url(typed) == url


@pytest.mark.parametrize(("typed", "why"), [
    ("", "empty"),
    ("   ", "empty"),
    ("http://h /v1", "no spaces"),
    ("http://h\n/v1", "no spaces"),
    ("ftp://h/v1", "not an http:// or https:// URL"),
    ("http://", "not an http:// or https:// URL"),
    ("http://h:port/v1", "is not a URL"),
    ("http://h:99999", "is not a URL"),
    ("http://user:secret@h/v1", "key in the key field"),
])
def test_normalize_url_refuses(typed: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as caught:
        normalize_url(typed)
    one_line(caught.value)
    assert "secret" not in str(caught.value)


# -- the environment's proxy ------------------------------------------------------------------

def test_the_proxy_from_the_environment_is_used(standin: RemoteStandIn,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", standin.address)
    engine = RemoteEngine()
    _ENGINES.append(engine)
    target = RemoteTarget(connection("http://lamplight-remote.invalid:8080/v1"), MODEL)
    engine.load(remote_spec(target))
    assert ask(engine)[0] == "Hello world"
    targets = [r.target for r in standin.requests()]
    assert "http://lamplight-remote.invalid:8080/v1/models" in targets
    assert "http://lamplight-remote.invalid:8080/v1/chat/completions" in targets
    assert all(t.startswith("http://lamplight-remote.invalid:8080/") for t in targets)


def _later(delay_s: float, action: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        time.sleep(delay_s)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread

