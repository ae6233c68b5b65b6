"""Hostile requests to the local server (issue 20): none names a file, crashes it, fills its
memory or reaches the log. The scripted engine answers, so the server's own checks are what is
tested; the real model's are in tests/integration/test_server.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from app.core.engine.runner import EngineRunner
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from app.server.app import ServerConfig
from app.server.run import LocalServer
from tests.scripted_engine import ScriptedEngine

SECRET = "my-bank-password-correct-horse"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    engine = ScriptedEngine()
    runner = EngineRunner(lambda: engine)
    server = LocalServer(runner, SettingsFile.load(paths.config_dir), data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False)
    address = server.start(ServerConfig(port=0))
    yield address.url
    server.stop()
    runner.shutdown()


def _chat(url: str, body: object) -> httpx.Response:
    return httpx.post(f"{url}/chat/completions", json=body, timeout=30)


@pytest.mark.parametrize("model", [
    "/etc/passwd", "../../etc/passwd", "~/.ssh/id_rsa", "C:\\Windows\\win.ini",
])
def test_a_model_is_named_by_id_never_by_path(url: str, model: str, smollm2_path: Path
                                              ) -> None:
    for name in (model, str(smollm2_path)):  # not even the path of a real model
        r = _chat(url, {"model": name, "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 404, name
        assert r.json()["error"]["code"] == "model_not_found"


HOSTILE = [
    [],
    "a string",
    {"model": "builtin"},
    {"model": "builtin", "messages": []},
    {"model": "builtin", "messages": "hello"},
    {"model": "builtin", "messages": [{"role": "user"}] * 10_001},
    {"model": "builtin", "messages": [{"role": "user", "content": 5}]},
    {"model": "builtin", "messages": [{"role": "user", "content": [{"type": "image_url",
                                                                     "image_url": {"url":
                                                                     "file:///etc/passwd"}}]}]},
    {"model": "builtin", "messages": [{"role": "tool", "content": "x"}]},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}], "n": 3},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}], "max_tokens": 10**30},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}], "stop": ["a"] * 100},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}],
     "tool_choice": {"type": "function", "function": {"name": "missing"}}},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}],
     "response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
    {"model": "builtin", "messages": [{"role": "user", "content": "x"}],
     "tools": [{"type": "function", "function": {"name": "bad name!"}}]},
    {"model": "x" * 10_000, "messages": [{"role": "user", "content": "x"}]},
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_a_malformed_request_is_a_400_naming_what_is_wrong(url: str, body: object) -> None:
    r = _chat(url, body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert "\n" not in error["message"] and len(error["message"]) < 500
    # And the server is still there.
    assert httpx.get(f"{url}/models", timeout=10).status_code == 200


def test_unknown_endpoints_and_methods_answer_in_openais_shape(url: str) -> None:
    r = httpx.get(f"{url}/files", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.get(f"{url}/chat/completions", timeout=10)
    assert r.status_code == 405 and "error" in r.json()


def test_prompts_and_answers_never_reach_the_log(url: str, caplog: pytest.LogCaptureFixture
                                                 ) -> None:
    caplog.set_level(logging.DEBUG)
    ok = _chat(url, {"model": "builtin", "messages": [{"role": "user", "content": SECRET}]})
    assert ok.status_code == 200
    bad = _chat(url, {"model": "nope", "messages": [{"role": "user", "content": SECRET}]})
    assert bad.status_code == 404
    assert SECRET not in caplog.text


def test_a_web_page_cannot_make_it_answer(url: str) -> None:
    """Cross-site request forgery: a page POSTs text/plain (no preflight) from its origin."""
    body = b'{"model": "builtin", "messages": [{"role": "user", "content": "hi"}]}'
    for origin in ("https://evil.example", "null"):
        r = httpx.post(f"{url}/chat/completions", content=body, timeout=10,
                       headers={"content-type": "text/plain", "origin": origin})
        assert r.status_code == 403, origin
        assert r.json()["error"]["code"] == "origin_not_allowed"
    assert httpx.post(f"{url}/chat/completions", content=body, timeout=10).status_code == 200


@pytest.mark.parametrize("schema", [
    {"type": "array", "items": {"type": "integer"}, "minItems": 30_000_000},
    {"type": "object", "properties": {"a": {"type": "string", "minLength": 10**9}}},
])
def test_a_schema_that_would_write_out_a_huge_grammar_is_refused(url: str,
                                                                 schema: object) -> None:
    r = _chat(url, {"model": "builtin", "messages": [{"role": "user", "content": "x"}],
                    "response_format": {"type": "json_schema",
                                        "json_schema": {"name": "x", "schema": schema}}})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "response_format.json_schema.schema"


def test_a_listed_origin_may_call_it_from_a_browser(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    runner = EngineRunner(ScriptedEngine)
    server = LocalServer(runner, SettingsFile.load(paths.config_dir), data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False)
    address = server.start(ServerConfig(port=0, cors_origins=("https://notes.example",),
                                        api_key="key-0123456789"))
    try:
        url = f"{address.url}/chat/completions"
        preflight = httpx.options(url, timeout=10, headers={
            "origin": "https://notes.example", "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type, x-stainless-os"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://notes.example"
        body = {"model": "builtin", "messages": [{"role": "user", "content": "hi"}]}
        headers = {"origin": "https://notes.example"}
        refused = httpx.post(url, json=body, headers=headers, timeout=10)
        assert refused.status_code == 401  # and the page can read why:
        assert refused.headers["access-control-allow-origin"] == "https://notes.example"
        ok = httpx.post(url, json=body, timeout=10,
                        headers={**headers, "authorization": "Bearer key-0123456789"})
        assert ok.status_code == 200
        other = httpx.post(url, json=body, timeout=10, headers={
            "origin": "https://evil.example", "authorization": "Bearer key-0123456789"})
        assert other.status_code == 403
    finally:
        server.stop()
        runner.shutdown()
